//! hfx's llama decoder on the PyPI SmolLM2 GGUF dequantized to f32, against the transformers
//! reference (`tests/data/reference/smollm2/`, copied from `../shared/reference/`).

use serde_json::Value;

use crate::common::*;
use hfx::models::llama::{KvCache, Llama, argmax};

fn reference(name: &str) -> Value {
    let p = repo_root().join("tests/data/reference/smollm2").join(name);
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

fn model() -> Llama {
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    Llama::from_gguf(&gguf, &candle_core::Device::Cpu).unwrap()
}

fn logsumexp(row: &[f32]) -> f64 {
    let max = f64::from(row.iter().copied().fold(f32::NEG_INFINITY, f32::max));
    max + row.iter().map(|x| (f64::from(*x) - max).exp()).sum::<f64>().ln()
}

#[test]
fn greedy_ids_match_transformers() {
    let m = model();
    let r = reference("greedy.json");
    for case in r["cases"].as_array().unwrap() {
        let prompt = ids(&case["prompt_ids"]);
        let want = ids(&case["generated_ids"]);
        let mut cache = KvCache::new(m.layers.len());
        let mut next = argmax(&Llama::last_logits(&m.forward(&prompt, &mut cache).unwrap()).unwrap());
        let mut got = Vec::new();
        while got.len() < 32 && next != 2 {
            got.push(next);
            next = argmax(&Llama::last_logits(&m.forward(&[next], &mut cache).unwrap()).unwrap());
        }
        assert_eq!(got, want, "prompt {:?}", case["prompt"]);
        assert_eq!(next == 2, case["finish_reason"] == "eos");
    }
}

#[test]
fn full_sequence_logits_match_transformers() {
    let m = model();
    let r = reference("logits.json");
    for seq in r["cases"].as_array().unwrap() {
        let input = ids(&seq["input_ids"]);
        let mut cache = KvCache::new(m.layers.len());
        let logits = m.forward(&input, &mut cache).unwrap().squeeze(0).unwrap();
        let rows: Vec<Vec<f32>> = logits.to_vec2().unwrap();
        let near: Vec<u64> = seq["near_tie_positions"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        for pos in seq["positions"].as_array().unwrap() {
            let p = pos["pos"].as_u64().unwrap() as usize;
            let row = &rows[p];
            let top: Vec<u32> = ids(&pos["top5_ids"]);
            let want: Vec<f64> = pos["top5_logits"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            for (id, w) in top.iter().zip(&want) {
                let got = f64::from(row[*id as usize]);
                assert!((got - w).abs() < 1e-3, "position {p}: logit of {id} {got} vs {w}");
            }
            let mut order: Vec<usize> = (0..row.len()).collect();
            order.sort_by(|a, b| row[*b].total_cmp(&row[*a]));
            let mine: Vec<u32> = order[..5].iter().map(|i| *i as u32).collect();
            if !near.contains(&(p as u64)) {
                assert_eq!(mine, top, "top-5 at position {p}");
            }
            assert!((logsumexp(row) - pos["logsumexp"].as_f64().unwrap()).abs() < 1e-3, "logsumexp at {p}");
        }
        // Mean causal-LM cross-entropy over the n-1 predicted positions: within 1e-4 relative.
        let n = input.len();
        let loss: f64 =
            (0..n - 1).map(|i| logsumexp(&rows[i]) - f64::from(rows[i][input[i + 1] as usize])).sum::<f64>()
                / (n - 1) as f64;
        let want = seq["loss"].as_f64().unwrap();
        assert!(((loss - want) / want).abs() < 1e-4, "loss {loss} vs {want}");
    }
}

fn run_json(env: &TestEnv, args: &[&str]) -> Value {
    let out = env.ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

#[test]
fn hfx_run_greedy_chat_and_raw_prompts_match_transformers() {
    let env = TestEnv::new();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let g = g.to_str().unwrap();
    let r = reference("greedy.json");
    for case in r["cases"].as_array().unwrap() {
        let prompt = case["prompt"].as_str().unwrap();
        let mut args = vec!["run", g, prompt, "--temperature", "0", "--max-new-tokens", "32", "--json"];
        if case["chat"] == false {
            args.push("--raw");
        }
        let out = run_json(&env, &args);
        assert_eq!(ids(&out["token_ids"]), ids(&case["generated_ids"]), "{prompt:?}");
        let finish = if case["finish_reason"] == "eos" { "stop" } else { "length" };
        assert_eq!(out["finish_reason"], finish, "{prompt:?}");
        assert_eq!(out["text"], case["text"], "{prompt:?}");
        assert_eq!(out["timings"]["prompt_tokens"].as_u64().unwrap() as usize, ids(&case["prompt_ids"]).len());
    }
}

#[test]
fn hfx_run_streams_stops_seeds_and_reads_stdin() {
    let env = TestEnv::new();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let g = g.to_str().unwrap();
    // Plain output is the streamed text; a stop string ends it and is not printed.
    let out = env.ok(&["run", g, "The capital of France is", "--raw", "--temperature", "0", "--stop", "\n\n"]);
    assert_eq!(out, " Paris.");
    let j = run_json(
        &env,
        &["run", g, "The capital of France is", "--raw", "--temperature", "0", "--stop", "is:", "--json"],
    );
    assert_eq!(j["text"], " Paris.\n\nThe answer ");
    assert_eq!(j["finish_reason"], "stop");
    // Sampling with a seed is reproducible; length limits apply.
    let a = run_json(
        &env,
        &["run", g, "Tell me a story.", "--temperature", "0.9", "--seed", "42", "--max-new-tokens", "12", "--json"],
    );
    let b = run_json(
        &env,
        &["run", g, "Tell me a story.", "--temperature", "0.9", "--seed", "42", "--max-new-tokens", "12", "--json"],
    );
    assert_eq!(a["token_ids"], b["token_ids"]);
    assert_eq!(a["token_ids"].as_array().unwrap().len(), 12);
    assert_eq!(a["finish_reason"], "length");
    // The prompt from stdin.
    let out = env
        .hfx()
        .args(["run", g, "--temperature", "0", "--max-new-tokens", "7"])
        .write_stdin("What is the capital of France?\n")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "The capital of France is Paris.");
    // A prompt beyond the context (8192 tokens) is refused up front.
    let long = "word ".repeat(9000);
    let (code, _, err) = env.run(&["run", g, &long, "--raw"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("context is 8192") && err.contains("hint:"), "{err}");
}

/// The f32 SmolLM2 safetensors folder, made once per test run by `hfx convert` from the GGUF.
fn converted() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
        let env = TestEnv::new();
        let out =
            env.ok(&["convert", gguf.to_str().unwrap(), "--to", "safetensors", dir.path().to_str().unwrap(), "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["tensors"], 272);
        dir
    })
    .path()
}

#[test]
fn convert_writes_an_hf_folder_whose_forward_equals_the_gguf_one() {
    let dir = converted();
    let cfg: Value = serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    // The reference config (model.json) in the fields that define the computation.
    for (k, v) in [
        ("model_type", serde_json::json!("llama")),
        ("hidden_size", serde_json::json!(576)),
        ("intermediate_size", serde_json::json!(1536)),
        ("num_hidden_layers", serde_json::json!(30)),
        ("num_attention_heads", serde_json::json!(9)),
        ("num_key_value_heads", serde_json::json!(3)),
        ("head_dim", serde_json::json!(64)),
        ("rms_norm_eps", serde_json::json!(1e-5)),
        ("rope_theta", serde_json::json!(100000.0)),
        ("vocab_size", serde_json::json!(49152)),
        ("tie_word_embeddings", serde_json::json!(true)),
        ("eos_token_id", serde_json::json!(2)),
    ] {
        assert_eq!(cfg[k], v, "config.json {k}");
    }
    let tc: Value = serde_json::from_slice(&std::fs::read(dir.join("tokenizer_config.json")).unwrap()).unwrap();
    assert_eq!(tc["chat_template"], reference_template());
    let st = candle_core::safetensors::load(dir.join("model.safetensors"), &candle_core::Device::Cpu).unwrap();
    assert_eq!(st.len(), 272);
    assert!(!st.contains_key("lm_head.weight"));
    assert!(st.values().all(|t| t.dtype() == candle_core::DType::F32));
    assert_eq!(st["model.layers.0.self_attn.k_proj.weight"].dims(), [192, 576]);

    // Same logits as the GGUF path (which un-permutes nothing and uses interleaved rope).
    let hf = Llama::from_safetensors(dir, &candle_core::Device::Cpu).unwrap();
    let gg = model();
    let input = ids(&reference("logits.json")["cases"][1]["input_ids"]);
    let a: Vec<Vec<f32>> = hf.forward(&input, &mut KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
    let b: Vec<Vec<f32>> = gg.forward(&input, &mut KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
    let diff = a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(diff < 1e-3, "max |logit difference| {diff}");
}

fn reference_template() -> Value {
    let p = repo_root().join("tests/data/reference/smollm2/chat_template.json");
    serde_json::from_slice::<Value>(&std::fs::read(p).unwrap()).unwrap()["chat_template"].clone()
}

#[test]
fn the_converted_model_served_as_smollm2_runs_from_the_hub_like_transformers() {
    let env = TestEnv::new();
    env.hub.add_repo(
        RepoSpec::new(RepoType::Model, "HuggingFaceTB/SmolLM2-135M-Instruct").gitattributes().dir(converted()),
    );
    let r = reference("greedy.json");
    let case = &r["cases"][0];
    let out = run_json(
        &env,
        &[
            "run",
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            case["prompt"].as_str().unwrap(),
            "--temperature",
            "0",
            "--json",
        ],
    );
    assert_eq!(ids(&out["token_ids"]), ids(&case["generated_ids"]));
    assert_eq!(out["text"], case["text"]);
    assert_eq!(out["finish_reason"], "stop");
}

fn adapter_dir() -> std::path::PathBuf {
    repo_root().join("tests/data/reference/smollm2/lora-adapter")
}

/// Last-position top-5 / logsumexp and whole-sequence loss against one `lora.json` variant.
fn check_against(m: &Llama, input: &[u32], want: &Value, what: &str) {
    let rows: Vec<Vec<f32>> = m.forward(input, &mut KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
    let last = rows.last().unwrap();
    for (id, w) in ids(&want["top5_ids"]).iter().zip(want["top5_logits"].as_array().unwrap()) {
        let got = f64::from(last[*id as usize]);
        assert!((got - w.as_f64().unwrap()).abs() < 1e-3, "{what}: logit of {id} {got} vs {w}");
    }
    let mut order: Vec<usize> = (0..last.len()).collect();
    order.sort_by(|a, b| last[*b].total_cmp(&last[*a]));
    assert_eq!(order[..5].iter().map(|i| *i as u32).collect::<Vec<_>>(), ids(&want["top5_ids"]), "{what}: top-5");
    assert!((logsumexp(last) - want["logsumexp"].as_f64().unwrap()).abs() < 1e-3, "{what}: logsumexp");
    let n = input.len();
    let loss: f64 = (0..n - 1).map(|i| logsumexp(&rows[i]) - f64::from(rows[i][input[i + 1] as usize])).sum::<f64>()
        / (n - 1) as f64;
    let wl = want["loss"].as_f64().unwrap();
    assert!(((loss - wl) / wl).abs() < 1e-4, "{what}: loss {loss} vs {wl}");
}

#[test]
fn peft_lora_adapter_unmerged_matches_peft_on_gguf_and_safetensors() {
    let case = &reference("lora.json")["cases"][0];
    let input = ids(&case["input_ids"]);
    let mut gg = model();
    check_against(&gg, &input, &case["base"], "gguf base");
    assert_eq!(hfx::models::lora::apply(&mut gg, &adapter_dir()).unwrap(), 60);
    check_against(&gg, &input, &case["adapter"], "gguf + adapter");
    let mut hf = Llama::from_safetensors(converted(), &candle_core::Device::Cpu).unwrap();
    hfx::models::lora::apply(&mut hf, &adapter_dir()).unwrap();
    check_against(&hf, &input, &case["adapter"], "safetensors + adapter");
}

#[test]
fn hfx_run_lora_and_its_errors() {
    let env = TestEnv::new();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let g = g.to_str().unwrap();
    let a = adapter_dir();
    // With the adapter the first greedy token is 504 ("The"); without it, 2068.
    let with = run_json(
        &env,
        &[
            "run",
            g,
            "What is 7 plus 5?",
            "--lora",
            a.to_str().unwrap(),
            "--temperature",
            "0",
            "--max-new-tokens",
            "1",
            "--json",
        ],
    );
    assert_eq!(ids(&with["token_ids"]), [504]);
    let without =
        run_json(&env, &["run", g, "What is 7 plus 5?", "--temperature", "0", "--max-new-tokens", "1", "--json"]);
    assert_eq!(ids(&without["token_ids"]), [2068]);

    let dora = env.dir.path().join("dora");
    std::fs::create_dir_all(&dora).unwrap();
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(a.join("adapter_config.json")).unwrap()).unwrap();
    cfg["use_dora"] = Value::Bool(true);
    std::fs::write(dora.join("adapter_config.json"), cfg.to_string()).unwrap();
    std::fs::copy(a.join("adapter_model.safetensors"), dora.join("adapter_model.safetensors")).unwrap();
    let (code, _, err) = env.run(&["run", g, "hi", "--lora", dora.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("DoRA") && err.contains("hint:"), "{err}");

    // An adapter for another base shape: rank-8 A/B whose widths do not match.
    let other = env.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(a.join("adapter_config.json"), other.join("adapter_config.json")).unwrap();
    let mut t = std::collections::HashMap::new();
    for i in 0..30 {
        for m in ["q_proj", "v_proj"] {
            let p = format!("base_model.model.model.layers.{i}.self_attn.{m}");
            t.insert(
                format!("{p}.lora_A.weight"),
                candle_core::Tensor::zeros((8, 1024), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
            );
            t.insert(
                format!("{p}.lora_B.weight"),
                candle_core::Tensor::zeros((1024, 8), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
            );
        }
    }
    candle_core::safetensors::save(&t, other.join("adapter_model.safetensors")).unwrap();
    let (code, _, err) = env.run(&["run", g, "hi", "--lora", other.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("another base model") && err.contains("base_model_name_or_path"), "{err}");
}
