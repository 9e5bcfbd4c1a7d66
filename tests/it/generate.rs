//! hfx's llama decoder on the PyPI SmolLM2 GGUF dequantized to f32, against the transformers
//! reference (`tests/data/reference/smollm2/`, copied from `../shared/reference/`).

use serde_json::Value;

use crate::common::*;
use hfx::models::decoder::{Decoder, KvCache, WeightDtype, argmax};

pub(crate) fn reference(name: &str) -> Value {
    let p = repo_root().join("tests/data/reference/smollm2").join(name);
    serde_json::from_slice(&fs_err::read(p).unwrap()).unwrap()
}

pub(crate) fn ids(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

pub(crate) fn model() -> Decoder {
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    Decoder::from_gguf(&gguf, &candle_core::Device::Cpu, WeightDtype::F32).unwrap()
}

pub(crate) fn logsumexp(row: &[f32]) -> f64 {
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
        let mut next = argmax(&Decoder::last_logits(&m.forward(&prompt, &mut cache).unwrap()).unwrap());
        let mut got = Vec::new();
        while got.len() < 32 && next != 2 {
            got.push(next);
            next = argmax(&Decoder::last_logits(&m.forward(&[next], &mut cache).unwrap()).unwrap());
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

pub(crate) fn run_json(env: &TestEnv, args: &[&str]) -> Value {
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
        // `--dtype f32`: the reference ran on the dequantized weights.
        let mut args =
            vec!["run", g, prompt, "--dtype", "f32", "--temperature", "0", "--max-new-tokens", "32", "--json"];
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
        &["run", g, "The capital of France is", "--raw", "--temperature", "0", "--stop", "United", "--json"],
    );
    assert_eq!(j["text"], " Paris.\n\nThe ");
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
        .args(["run", g, "--dtype", "f32", "--temperature", "0", "--max-new-tokens", "7"])
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

/// The SmolLM2 GGUF converted to an HF folder (540 MB of f32 safetensors), once per test
/// process. It lives in a fixed place under cargo's target tmp dir, replaced by each run: a
/// `static` TempDir is never dropped, so one per run used to pile up in /tmp.
pub(crate) fn converted() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("smollm2-converted");
        if dir.exists() {
            fs_err::remove_dir_all(&dir).unwrap();
        }
        let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
        let env = TestEnv::new();
        let out = env.ok(&["convert", gguf.to_str().unwrap(), "--to", "safetensors", dir.to_str().unwrap(), "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["tensors"], 272);
        dir
    })
}

#[test]
fn convert_writes_an_hf_folder_whose_forward_equals_the_gguf_one() {
    let dir = converted();
    let cfg: Value = serde_json::from_slice(&fs_err::read(dir.join("config.json")).unwrap()).unwrap();
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
    let tc: Value = serde_json::from_slice(&fs_err::read(dir.join("tokenizer_config.json")).unwrap()).unwrap();
    assert_eq!(tc["chat_template"], reference_template());
    let st = candle_core::safetensors::load(dir.join("model.safetensors"), &candle_core::Device::Cpu).unwrap();
    assert_eq!(st.len(), 272);
    assert!(!st.contains_key("lm_head.weight"));
    assert!(st.values().all(|t| t.dtype() == candle_core::DType::F32));
    assert_eq!(st["model.layers.0.self_attn.k_proj.weight"].dims(), [192, 576]);

    // Same logits as the GGUF path (which un-permutes nothing and uses interleaved rope).
    let hf = Decoder::from_safetensors(dir, &candle_core::Device::Cpu, WeightDtype::Native).unwrap();
    let gg = model();
    let input = ids(&reference("logits.json")["cases"][1]["input_ids"]);
    let a: Vec<Vec<f32>> = hf.forward(&input, &mut KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
    let b: Vec<Vec<f32>> = gg.forward(&input, &mut KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
    let diff = a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(diff < 1e-3, "max |logit difference| {diff}");
}

fn reference_template() -> Value {
    let p = repo_root().join("tests/data/reference/smollm2/chat_template.json");
    serde_json::from_slice::<Value>(&fs_err::read(p).unwrap()).unwrap()["chat_template"].clone()
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

pub(crate) fn adapter_dir() -> std::path::PathBuf {
    repo_root().join("tests/data/reference/smollm2/lora-adapter")
}

/// Last-position top-5 / logsumexp and whole-sequence loss against one `lora.json` variant.
pub(crate) fn check_against(m: &Decoder, input: &[u32], want: &Value, what: &str) {
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
    let mut hf = Decoder::from_safetensors(converted(), &candle_core::Device::Cpu, WeightDtype::Native).unwrap();
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
    fs_err::create_dir_all(&dora).unwrap();
    let mut cfg: Value = serde_json::from_slice(&fs_err::read(a.join("adapter_config.json")).unwrap()).unwrap();
    cfg["use_dora"] = Value::Bool(true);
    fs_err::write(dora.join("adapter_config.json"), cfg.to_string()).unwrap();
    fs_err::copy(a.join("adapter_model.safetensors"), dora.join("adapter_model.safetensors")).unwrap();
    let (code, _, err) = env.run(&["run", g, "hi", "--lora", dora.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("DoRA") && err.contains("hint:"), "{err}");

    // An adapter for another base shape: rank-8 A/B whose widths do not match.
    let other = env.dir.path().join("other");
    fs_err::create_dir_all(&other).unwrap();
    fs_err::copy(a.join("adapter_config.json"), other.join("adapter_config.json")).unwrap();
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

fn q4_1() -> Decoder {
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    Decoder::from_gguf(&gguf, &candle_core::Device::Cpu, WeightDtype::Native).unwrap()
}

/// The Q4_1 blocks kept quantized (candle's quantized matmul: activations quantized to 8 bits)
/// against the same blocks dequantized to f32: close logits, same top token almost everywhere,
/// and a third of the memory.
#[test]
fn quantized_q4_1_path_matches_its_dequantized_f32_forward() {
    let q = q4_1();
    let f = model();
    assert!(q.weight_bytes() * 5 < f.weight_bytes(), "{} vs {}", q.weight_bytes(), f.weight_bytes());
    let r = reference("logits.json");
    let (mut agree, mut total) = (0, 0);
    for seq in r["cases"].as_array().unwrap() {
        let input = ids(&seq["input_ids"]);
        let a: Vec<Vec<f32>> = q.forward(&input, &mut KvCache::new(30)).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
        let b: Vec<Vec<f32>> = f.forward(&input, &mut KvCache::new(30)).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
        for (x, y) in a.iter().zip(&b) {
            // Relative to the largest logit. Each quantized matmul is within 0.3-0.7% of the
            // dequantized one (8-bit activations, as llama.cpp quantizes them); through 30 layers
            // that grows to 1.5-10% of the largest logit on these prompts.
            let spread = y.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
            assert!(d < 0.12 * spread, "max diff {d} vs largest logit {spread}");
            agree += usize::from(argmax(x) == argmax(y));
            total += 1;
        }
    }
    assert!(agree * 100 >= total * 90, "top-1 agrees at {agree}/{total} positions");
}

/// Greedy text from the Q4_1 blocks, quantized activations and all, is what llama.cpp writes for
/// the same file: `llama-simple -m SmolLM2-135M-Instruct.Q4_1.gguf -n 32 "The capital of France
/// is"` (llama.cpp vendored in llama-cpp-python 0.3.36, built here with cmake; 32 tokens).
#[test]
fn quantized_q4_1_greedy_text_matches_llama_cpp() {
    let env = TestEnv::new();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let out = run_json(
        &env,
        &[
            "run",
            g.to_str().unwrap(),
            "The capital of France is",
            "--raw",
            "--temperature",
            "0",
            "--max-new-tokens",
            "32",
            "--json",
        ],
    );
    let llama_cpp = " Paris.\n\nThe United States has a population of approximately 311 million people.\n\n\
                     The United States has a population of approximately 31";
    assert_eq!(out["text"], llama_cpp);
    assert_eq!(out["token_ids"].as_array().unwrap().len(), 32);
}

/// The chat's core: history kept between turns, the KV cache reused for the shared prefix
/// (giving exactly what a fresh computation of the whole conversation gives), /clear, and a
/// cancelled answer.
#[test]
fn chat_session_keeps_history_reuses_the_cache_and_clears() {
    use hfx::models::generate::{Request, SamplingParams, generate};
    use hfx::models::session::{Session, Settings};
    use hfx::models::tokenizer::LoadedTokenizer;
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let m = q4_1();
    let tok = LoadedTokenizer::from_gguf(&gguf).unwrap();
    let settings = Settings {
        system: Some("You are a geography assistant. Answer in one short sentence.".into()),
        raw: false,
        max_new_tokens: 40,
        stops: Vec::new(),
        params: SamplingParams::default(),
        grammar: None,
        tools: None,
    };
    let mut s = Session::new(&m, &tok, settings).unwrap();
    assert!(s.templated());
    let mut shown = String::new();
    let first = s
        .say("What is the capital of France?", &|| false, &mut |t| {
            shown.push_str(t);
            Ok(())
        })
        .unwrap();
    assert!(first.text.contains("Paris"), "{}", first.text);
    assert_eq!(shown, first.text);
    let cached = s.cached_tokens();
    // Prompt and answer, less the last token when it was never fed back (length or stop string).
    let all = first.timings.prompt_tokens + first.token_ids.len();
    assert!(cached == all || cached == all - 1, "{cached} of {all}");
    // The second turn sees the first: its prompt starts with everything cached.
    let follow = "And of Germany?";
    let prompt = s.prompt_ids(follow).unwrap();
    let second = s.say(follow, &|| false, &mut |_| Ok(())).unwrap();
    assert!(second.text.contains("Berlin"), "{}", second.text);
    assert_eq!(second.timings.prompt_tokens, prompt.len());
    assert_eq!(s.messages().len(), 5); // system + 2 turns
    // Reusing the cache changes nothing: a fresh computation of the same prompt agrees.
    let mut eos = m.eos_ids.clone();
    eos.extend(tok.specials.eos.as_deref().and_then(|e| tok.tokenizer.token_to_id(e)));
    let req = Request {
        prompt: &prompt,
        max_new_tokens: 40,
        eos: &eos,
        stops: Vec::new(),
        params: SamplingParams::default(),
        grammar: None,
    };
    let fresh =
        generate(&m, &tok.tokenizer, &req, &mut KvCache::new(m.layers.len()), &|| false, &mut |_| Ok(())).unwrap();
    assert_eq!(fresh.token_ids, second.token_ids);
    // Ctrl-C (the cancel flag) ends the answer after the current token; the session goes on.
    let cut = s.say("Name three rivers.", &|| true, &mut |_| Ok(())).unwrap();
    assert_eq!(cut.token_ids.len(), 1);
    s.clear();
    assert_eq!(s.messages().len(), 1);
    assert_eq!(s.cached_tokens(), 0);
    let again = s.say("What is the capital of France?", &|| false, &mut |_| Ok(())).unwrap();
    assert_eq!(again.token_ids, first.token_ids);
}

#[test]
fn hfx_bench_reports_prompt_and_generation_speed() {
    let env = TestEnv::new();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let out = run_json(
        &env,
        &["bench", g.to_str().unwrap(), "-p", "16,32", "-n", "4", "-r", "2", "--parallel", "1,3", "--json"],
    );
    let rows = out.as_array().unwrap();
    let tests: Vec<(&str, u64, u64)> = rows
        .iter()
        .map(|r| (r["test"].as_str().unwrap(), r["n_tokens"].as_u64().unwrap(), r["parallel"].as_u64().unwrap()))
        .collect();
    assert_eq!(tests, [("pp", 16, 1), ("pp", 32, 1), ("tg", 4, 1), ("tg", 4, 3)]);
    for r in rows {
        let (s, lo, hi) =
            (r["tok_s"].as_f64().unwrap(), r["tok_s_min"].as_f64().unwrap(), r["tok_s_max"].as_f64().unwrap());
        assert!(s > 0.0 && lo <= s && s <= hi, "{r}");
    }
    // The human table names the tests the way llama-bench does.
    let table = env.ok(&["bench", g.to_str().unwrap(), "-p", "8", "-n", "0", "-r", "1"]);
    assert!(table.contains("pp8") && table.contains("TOK/S") && !table.contains("tg"), "{table}");
    let table = env.ok(&["bench", g.to_str().unwrap(), "-p", "0", "-n", "2", "-r", "1", "--parallel", "2"]);
    assert!(table.contains("tg2x2") && !table.contains("pp"), "{table}");
    let (code, _, err) = env.run(&["bench", g.to_str().unwrap(), "--parallel", "0"]);
    assert_eq!(code, 2, "{err}");
    // A prompt longer than the context is refused.
    let (code, _, err) = env.run(&["bench", g.to_str().unwrap(), "-p", "9000", "-n", "0"]);
    assert_eq!(code, 1, "{err}");
}

/// Terminal output without its CSI escape sequences (cursor moves, modes).
fn without_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // `ESC [` parameters, then one final byte in `@`..`~`.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a child's output on a thread; `wait_for` polls what has arrived so far.
struct Transcript(std::sync::Arc<std::sync::Mutex<String>>);

impl Transcript {
    fn start(mut r: impl std::io::Read + Send + 'static) -> Self {
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let t = text.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                t.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self(text)
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    /// Wait until `pred` holds for the text after `from`; returns that text.
    fn wait_for(&self, from: usize, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let all = self.text();
            let tail = all.get(from..).unwrap_or_default().to_string();
            if pred(&tail) {
                return tail;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}; transcript:\n{all}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

#[test]
fn chat_repl_through_a_pseudo_terminal() {
    use std::io::Write;
    // `script` (util-linux, Essential on Debian) runs hfx on a real pseudo-terminal: stdin and
    // stderr are terminals, so `hfx run` with no prompt opens the chat, and a \x03 written to
    // the terminal is a real Ctrl-C (SIGINT from the line discipline).
    let env = TestEnv::new();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let cmd = format!(
        "exec '{}' run '{}' --system 'You are a geography assistant. Answer in one short sentence.' \
         --temperature 0 --max-new-tokens 300",
        hfx_bin().display(),
        g.display()
    );
    let base = env.hfx_std();
    let mut c = std::process::Command::new("script");
    c.env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    let mut child = c
        .args(["-qfec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let out = Transcript::start(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    // Waiting at the prompt: the text ends with `>>> ` (and the line editor's cursor moves). A
    // `>>> ` elsewhere is the editor redrawing a line being typed, not the next prompt.
    let idle = |s: &str| without_escapes(s).trim_end_matches('\r').ends_with(">>> ");
    let mut say = |line: &str| {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    };

    let start = out.wait_for(0, "the banner and prompt", idle);
    assert!(start.contains("/help"), "{start}");
    let mark = out.text().len();
    say("What is the capital of France?\n");
    let first = out.wait_for(mark, "the first answer", |s| idle(s) && s.contains("Paris"));
    assert!(first.contains("Paris"), "{first}");
    // History: the follow-up only makes sense with the first turn in context.
    let mark = out.text().len();
    say("And of Germany?\n");
    let second = out.wait_for(mark, "the second answer", idle);
    assert!(second.contains("Berlin"), "{second}");

    let mark = out.text().len();
    say("/help\n");
    let help = out.wait_for(mark, "the help", idle);
    assert!(help.contains("/clear") && help.contains("/exit"), "{help}");
    let mark = out.text().len();
    say("/clear\n");
    out.wait_for(mark, "the clear", |s| s.contains("conversation cleared") && idle(s));

    // Ctrl-C while an answer streams stops that answer, not the session.
    let mark = out.text().len();
    // Shorter than the terminal's 80 columns: the editor's echo of a longer line wraps.
    say("Forget geography. Write a long story about a dragon.\n");
    out.wait_for(mark, "the story to start", |s| {
        let s = without_escapes(s);
        s.rsplit_once("about a dragon.").is_some_and(|(_, story)| story.trim().len() > 40)
    });
    say("\x03");
    let cut = out.wait_for(mark, "the prompt after Ctrl-C", idle);
    assert!(child.try_wait().unwrap().is_none(), "the session survives Ctrl-C: {cut}");
    // The story was cut, not finished before the signal (300 tokens take seconds).
    assert!(cut.contains("(answer stopped)"), "{cut}");
    let mark = out.text().len();
    say("What is the capital of Italy?\n");
    let after = out.wait_for(mark, "an answer after Ctrl-C", idle);
    assert!(after.contains("Rome"), "{after}");

    // The line editor: the up arrow brings back the last input ...
    let mark = out.text().len();
    say("\x1b[A");
    out.wait_for(mark, "the last input recalled", |s| s.contains("capital of Italy?"));
    // ... Ctrl-C at the prompt drops it with a hint ...
    let mark = out.text().len();
    say("\x03");
    let dropped = out.wait_for(mark, "the hint after Ctrl-C at the prompt", |s| idle(s) && s.contains("/exit leaves"));
    assert!(!dropped.contains("Rome"), "a dropped line is not sent: {dropped}");
    // ... and Ctrl-D on an empty line leaves the chat with success.
    say("\x04");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}; transcript:\n{}", out.text());
}

#[test]
fn a_sequence_releases_held_back_text_at_eos_and_reports_cancellation() {
    use hfx::models::generate::FinishReason;
    use hfx::models::sequence::{Sequence, SequenceOptions};
    use hfx::models::tokenizer::LoadedTokenizer;
    let tok = LoadedTokenizer::from_gguf(&fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")).unwrap();
    let ids = tok.tokenizer.encode("Hello wor", false).unwrap().get_ids().to_vec();
    let onehot = |id: u32| {
        let mut l = vec![0f32; tok.vocab_size()];
        l[id as usize] = 10.0;
        l
    };
    let opts = SequenceOptions { max_new_tokens: 10, eos: vec![2], stops: vec!["world".into()], ..Default::default() };
    let mut seq = Sequence::new(vec![1], opts.clone(), 100).unwrap();
    let mut text = String::new();
    for &id in &ids {
        text += &seq.accept(&mut onehot(id), &tok.tokenizer).unwrap().text;
    }
    // "wor" may start the stop string "world": held back...
    assert_eq!(text, "Hello ");
    // ...and released when the model ends the answer instead (it used to be dropped).
    let end = seq.accept(&mut onehot(2), &tok.tokenizer).unwrap();
    assert_eq!((end.token, end.finish), (None, Some(FinishReason::Stop)));
    assert_eq!(text + &end.text, "Hello wor");
    assert_eq!(seq.text(), "Hello wor");
    assert!(!seq.stopped_by_string());
    // Stopped from outside: reported as cancelled, not as a length stop; the held text comes out.
    let mut seq = Sequence::new(vec![1], opts, 100).unwrap();
    for &id in &ids {
        seq.accept(&mut onehot(id), &tok.tokenizer).unwrap();
    }
    let c = seq.cancel();
    assert_eq!((c.text.as_str(), c.finish), ("wor", Some(FinishReason::Cancelled)));
    assert_eq!(seq.generated(), &ids[..]);
}
