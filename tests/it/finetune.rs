//! `hfx finetune` and the training pass under it, against what transformers + PEFT compute on
//! the f32 SmolLM2 (`tests/data/reference/smollm2/train/`, copied from `../shared/reference/`).

use serde_json::Value;

use crate::common::*;
use crate::generate::{adapter_dir as start_adapter, ids, logsumexp, model as f32_model};
use hfx::models::decoder::{Decoder, WeightDtype};
use hfx::train::adapter;
use hfx::train::model::{Batch, Trainer};

fn reference(name: &str) -> Value {
    crate::generate::reference(&format!("train/{name}"))
}

/// The reference batch: the four records' ids and label masks as `lora_train.json` gives them.
fn reference_batch(r: &Value) -> Batch {
    let mut b = Batch::default();
    for rec in r["encoded"].as_array().unwrap() {
        let mask: Vec<bool> = rec["label_mask"].as_array().unwrap().iter().map(|v| v.as_u64() == Some(1)).collect();
        b.push(&ids(&rec["ids"]), &mask);
    }
    b
}

fn l2(v: &[f32]) -> f64 {
    v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt()
}

#[test]
fn loss_and_all_120_lora_gradients_match_peft() {
    let r = reference("lora_train.json");
    let mut model = f32_model();
    let (mut set, shape) = adapter::load(&mut model, &start_adapter(), 0.0).unwrap();
    assert_eq!((shape.rank, set.adapters.len()), (8, 60));
    let batch = reference_batch(&r);
    assert_eq!(batch.targets.len() as u64, r["labelled_tokens"].as_u64().unwrap());
    let denom = batch.targets.len() as f64;
    let mut t = Trainer { model: &model, lora: &mut set, dropout_seed: None, logits_chunk: 64, checkpoint: false };
    let loss = t.step(&batch, denom, true).unwrap() / denom;
    let want = r["loss"].as_f64().unwrap();
    assert!(((loss - want) / want).abs() < 1e-4, "loss {loss} vs {want}");

    let grads = adapter::grad_tensors(&model, &set).unwrap();
    let path = repo_root().join("tests/data/reference/smollm2/train/lora_grad.safetensors");
    let want = candle_core::safetensors::load(path, &candle_core::Device::Cpu).unwrap();
    assert_eq!(want.len(), 120);
    let mut worst = (0f64, String::new());
    for (name, w) in &want {
        let g = grads.get(name).unwrap_or_else(|| panic!("no gradient for {name}"));
        assert_eq!(g.dims(), w.dims(), "{name}");
        let wv: Vec<f32> = w.flatten_all().unwrap().to_vec1().unwrap();
        let gv: Vec<f32> = g.flatten_all().unwrap().to_vec1().unwrap();
        let diff: Vec<f32> = gv.iter().zip(&wv).map(|(a, b)| a - b).collect();
        let rel = l2(&diff) / l2(&wv);
        if rel > worst.0 {
            worst = (rel, name.clone());
        }
    }
    assert!(worst.0 <= 1e-3, "worst gradient {}: relative L2 difference {}", worst.1, worst.0);
    let global = set.grad_norm();
    let wg = r["grad_global_norm"].as_f64().unwrap();
    assert!(((global - wg) / wg).abs() < 1e-3, "global norm {global} vs {wg}");
}

#[test]
fn three_adamw_steps_follow_the_peft_loss_curve() {
    use hfx::train::optim::{Optimizer, OptimizerKind};
    let r = reference("lora_train.json");
    assert_eq!(r["adamw"]["lr"].as_f64(), Some(1e-3));
    let want: Vec<f64> = r["adamw_loss_curve"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let mut model = f32_model();
    let (mut set, _) = adapter::load(&mut model, &start_adapter(), 0.0).unwrap();
    let batch = reference_batch(&r);
    let denom = batch.targets.len() as f64;
    let mut opt = Optimizer::new(OptimizerKind::AdamW, 0.0);
    let mut curve = Vec::new();
    for step in 0..4 {
        set.zero_grad();
        let mut t = Trainer { model: &model, lora: &mut set, dropout_seed: None, logits_chunk: 64, checkpoint: false };
        curve.push(t.step(&batch, denom, step < 3).unwrap() / denom);
        if step < 3 {
            opt.step(&mut set, 1e-3);
        }
    }
    for (i, (got, w)) in curve.iter().zip(&want).enumerate() {
        assert!(((got - w) / w).abs() < 1e-3, "loss after {i} steps: {got} vs {w} (curve {curve:?})");
    }
}

#[test]
fn the_four_record_shapes_give_the_reference_ids_and_label_masks() {
    use hfx::train::records::{Columns, Encoder, Shape};
    let r = reference("lora_train.json");
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let tok = hfx::models::tokenizer::LoadedTokenizer::from_gguf(&gguf).unwrap();
    let enc = Encoder::new(&tok, 2, Columns::default()).unwrap();
    let shapes = ["messages", "messages", "prompt_completion", "text"];
    for ((rec, want), shape) in
        r["records"].as_array().unwrap().iter().zip(r["encoded"].as_array().unwrap()).zip(shapes)
    {
        let row = rec.as_object().unwrap().clone();
        let detected = Shape::detect(&row, &Columns::default()).unwrap();
        assert_eq!(serde_json::to_value(detected).unwrap(), shape);
        let ex = enc.example(&row, detected).unwrap();
        assert_eq!(ex.ids, ids(&want["ids"]), "{shape}");
        let mask: Vec<bool> = want["label_mask"].as_array().unwrap().iter().map(|v| v.as_u64() == Some(1)).collect();
        assert_eq!(ex.labels, mask, "{shape}");
        assert_eq!(ex.labelled() as u64, want["labelled"].as_u64().unwrap());
    }
}

fn gguf() -> String {
    fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").to_string_lossy().into_owned()
}

/// A small chat set: multiplication questions with short answers.
fn write_chat_set(path: &std::path::Path, n: usize) {
    let mut out = String::new();
    for i in 0..n {
        let (a, b) = (2 + i % 9, 3 + (i * 7) % 8);
        let rec = serde_json::json!({"messages": [
            {"role": "user", "content": format!("What is {a} times {b}?")},
            {"role": "assistant", "content": format!("{a} times {b} is {}.", a * b)},
        ]});
        out.push_str(&rec.to_string());
        out.push('\n');
    }
    fs_err::write(path, out).unwrap();
}

fn log_lines(dir: &std::path::Path) -> Vec<Value> {
    fs_err::read_to_string(dir.join("training_log.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn qlora_on_the_gguf_writes_a_peft_adapter_whose_losses_fall_and_that_runs_on_the_f32_model() {
    let env = TestEnv::new();
    let data = env.dir.path().join("chat.jsonl");
    write_chat_set(&data, 40);
    let out = env.dir.path().join("adapter");
    let o = out.to_str().unwrap();
    let args = [
        "finetune",
        &gguf(),
        "--lora",
        "--data",
        data.to_str().unwrap(),
        "--output",
        o,
        "--max-steps",
        "6",
        "--batch-size",
        "4",
        "--lr",
        "2e-3",
        "--eval-split",
        "0.1",
        "--eval-every",
        "3",
        "--json",
    ];
    let stdout = env.ok(&args);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["steps"], 6);
    let (first, last) = (summary["first_loss"].as_f64().unwrap(), summary["final_loss"].as_f64().unwrap());
    assert!(last < 0.7 * first, "train loss {first} -> {last}");

    // The log: six steps (1-based, loss before the update) and two evaluations, falling.
    let log = log_lines(&out);
    let steps: Vec<&Value> = log.iter().filter(|l| l.get("loss").is_some()).collect();
    let evals: Vec<&Value> = log.iter().filter(|l| l.get("eval_loss").is_some()).collect();
    assert_eq!(steps.iter().map(|s| s["step"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
    for s in &steps {
        for k in ["lr", "grad_norm", "tokens", "tokens_per_s"] {
            assert!(s[k].as_f64().unwrap() > 0.0, "{k} in {s}");
        }
    }
    assert_eq!(evals.len(), 2);
    let (e1, e2) = (evals[0]["eval_loss"].as_f64().unwrap(), evals[1]["eval_loss"].as_f64().unwrap());
    assert!(e2 < e1, "eval loss {e1} -> {e2}");
    assert!((evals[1]["eval_perplexity"].as_f64().unwrap() - e2.exp()).abs() < 1e-9);

    // PEFT's folder: config fields and tensor names, shapes and nothing else.
    let cfg: Value = serde_json::from_slice(&fs_err::read(out.join("adapter_config.json")).unwrap()).unwrap();
    assert_eq!(cfg["peft_type"], "LORA");
    assert_eq!(cfg["task_type"], "CAUSAL_LM");
    assert_eq!((cfg["r"].as_u64(), cfg["lora_alpha"].as_f64()), (Some(8), Some(16.0)));
    assert_eq!(cfg["target_modules"], serde_json::json!(["q_proj", "v_proj"]));
    assert_eq!((cfg["bias"].as_str(), cfg["use_dora"].as_bool()), (Some("none"), Some(false)));
    assert_eq!((cfg["fan_in_fan_out"].as_bool(), cfg["use_rslora"].as_bool()), (Some(false), Some(false)));
    assert_eq!(cfg["base_model_name_or_path"], gguf());
    let st = candle_core::safetensors::load(out.join("adapter_model.safetensors"), &candle_core::Device::Cpu).unwrap();
    assert_eq!(st.len(), 120);
    for i in 0..30 {
        let p = format!("base_model.model.model.layers.{i}.self_attn");
        assert_eq!(st[&format!("{p}.q_proj.lora_A.weight")].dims(), [8, 576]);
        assert_eq!(st[&format!("{p}.q_proj.lora_B.weight")].dims(), [576, 8]);
        assert_eq!(st[&format!("{p}.v_proj.lora_B.weight")].dims(), [192, 8]);
    }
    let card = fs_err::read_to_string(out.join("README.md")).unwrap();
    assert!(card.starts_with("---\nbase_model: ") && card.contains("library_name: peft"), "{card}");
    assert!(card.contains("final_train_loss: ") && card.contains("final_eval_loss: "), "{card}");
    assert!(out.join("training_args.json").is_file());
    let png = fs_err::read(out.join("loss.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height.
    assert_eq!(
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap())),
        (960, 540)
    );

    // The adapter, trained on Q4_1 blocks, applies to the f32 weights (transformers' row order)
    // and lowers their loss on the training records.
    let f32m = {
        let mut m = f32_model();
        let tok = hfx::models::tokenizer::LoadedTokenizer::from_gguf(std::path::Path::new(&gguf())).unwrap();
        let enc = hfx::train::records::Encoder::new(&tok, 2, Default::default()).unwrap();
        let rows = fs_err::read_to_string(&data).unwrap();
        let mut batch = Batch::default();
        for l in rows.lines().take(8) {
            let row: serde_json::Map<String, Value> = serde_json::from_str(l).unwrap();
            let ex = enc.example(&row, hfx::train::records::Shape::Messages).unwrap();
            batch.push(&ex.ids, &ex.labels);
        }
        let denom = batch.targets.len() as f64;
        let mut none = hfx::train::model::LoraSet::new(Vec::new(), m.layers.len(), 1.0, 0.0);
        let base = Trainer { model: &m, lora: &mut none, dropout_seed: None, logits_chunk: 64, checkpoint: false }
            .step(&batch, denom, false);
        let (mut set, _) = adapter::load(&mut m, &out, 0.0).unwrap();
        let tuned = Trainer { model: &m, lora: &mut set, dropout_seed: None, logits_chunk: 64, checkpoint: false }
            .step(&batch, denom, false);
        (base.unwrap() / denom, tuned.unwrap() / denom)
    };
    assert!(f32m.1 < 0.7 * f32m.0, "f32 model loss without/with the adapter: {f32m:?}");

    // `hfx run --lora` loads it; the answer is the trained one.
    let answer =
        env.ok(&["run", &gguf(), "What is 4 times 6?", "--lora", o, "--temperature", "0", "--max-new-tokens", "12"]);
    assert!(answer.contains("24"), "{answer}");
    // ... and so do the adapter merged into a GGUF, merged into the f32 folder, and as a LoRA GGUF.
    let ask = |model: &str, extra: &[&str]| {
        let mut a = vec!["run", model, "What is 4 times 6?", "--temperature", "0", "--max-new-tokens", "12"];
        a.extend(extra);
        env.ok(&a)
    };
    let merged = env.dir.path().join("merged.gguf");
    env.ok(&["convert", &gguf(), merged.to_str().unwrap(), "--to", "gguf", "--lora", o, "--dtype", "f32"]);
    assert_eq!(ask(merged.to_str().unwrap(), &[]), answer);
    let folder = env.dir.path().join("merged-st");
    let conv = crate::generate::converted().to_str().unwrap();
    env.ok(&["convert", conv, folder.to_str().unwrap(), "--lora", o]);
    assert_eq!(ask(folder.to_str().unwrap(), &[]), answer);
    let lg = env.dir.path().join("adapter.gguf");
    env.ok(&["convert", o, lg.to_str().unwrap(), "--to", "gguf-lora", "--base", &gguf()]);
    assert_eq!(ask(&gguf(), &["--lora", lg.to_str().unwrap()]), answer);

    // An existing output is refused, and nothing in it is touched.
    let before = fs_err::read(out.join("adapter_model.safetensors")).unwrap();
    let (code, _, err) = env.run(&args);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already exists") && err.contains("hint: pass --overwrite"), "{err}");
    assert_eq!(fs_err::read(out.join("adapter_model.safetensors")).unwrap(), before);
}

#[test]
fn ctrl_c_saves_a_checkpoint_and_resume_follows_the_uninterrupted_curve() {
    let env = TestEnv::new();
    let data = env.dir.path().join("chat.jsonl");
    write_chat_set(&data, 24);
    let run = |out: &std::path::Path, extra: &[&str]| {
        let mut a: Vec<String> =
            ["finetune", &gguf(), "--lora", "--data", data.to_str().unwrap()].iter().map(|s| s.to_string()).collect();
        a.extend(
            ["--output", out.to_str().unwrap(), "--max-steps", "5", "--batch-size", "2", "--lr", "1e-3"]
                .map(String::from),
        );
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let whole = env.dir.path().join("whole");
    let args = run(&whole, &[]);
    env.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let want = log_lines(&whole);

    // Interrupt after two steps are logged.
    let cut = env.dir.path().join("cut");
    let args = run(&cut, &[]);
    let mut child = env
        .hfx_std()
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while fs_err::read_to_string(cut.join("training_log.jsonl")).map_or(0, |s| s.lines().count()) < 2 {
        assert!(started.elapsed() < std::time::Duration::from_secs(300), "no progress");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("--resume"), "{err}");
    // Not presented as a finished adapter; a checkpoint holds the state.
    assert!(!cut.join("adapter_model.safetensors").exists());
    let checkpoints: Vec<_> = fs_err::read_dir(cut.join("checkpoints")).unwrap().flatten().collect();
    assert_eq!(checkpoints.len(), 1, "{checkpoints:?}");

    let args = run(&cut, &["--resume"]);
    env.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let got = log_lines(&cut);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["step"], w["step"]);
        for k in ["loss", "lr", "grad_norm"] {
            assert_eq!(g[k], w[k], "step {}: {k}", w["step"]);
        }
    }
    let a = fs_err::read(whole.join("adapter_model.safetensors")).unwrap();
    assert_eq!(fs_err::read(cut.join("adapter_model.safetensors")).unwrap(), a);

    // --resume where there is nothing to resume.
    let args = run(&env.dir.path().join("fresh"), &["--resume"]);
    let (code, _, err) = env.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no checkpoint to resume") && err.contains("hint:"), "{err}");
}

#[test]
fn bad_inputs_are_clear_errors_that_leave_no_adapter() {
    let env = TestEnv::new();
    let dir = env.dir.path();
    let out = dir.join("out");
    let fail = |data: &std::path::Path, extra: &[&str], model: &str, want: &[&str]| {
        let _ = fs_err::remove_dir_all(&out);
        let mut args =
            vec!["finetune", model, "--lora", "--data", data.to_str().unwrap(), "--output", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (code, stdout, err) = env.run(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(stdout.is_empty(), "{stdout}");
        for w in want {
            assert!(err.contains(w), "{args:?}: expected `{w}` in {err}");
        }
        assert!(err.contains("hint: "), "{err}");
        assert!(!out.exists(), "{args:?} created {}", out.display());
    };
    let g = gguf();
    let empty = dir.join("empty.jsonl");
    fs_err::write(&empty, "").unwrap();
    fail(&empty, &[], &g, &["no usable records", "empty"]);
    let cols = dir.join("cols.jsonl");
    fs_err::write(&cols, "{\"question\": \"a\", \"answer\": \"b\"}\n").unwrap();
    fail(&cols, &[], &g, &["record shape", "question"]);
    let broken = dir.join("broken.jsonl");
    fs_err::write(&broken, "{\"text\": \"fine\"}\n{\"text\": \"oops\"\n").unwrap();
    fail(&broken, &[], &g, &["broken.jsonl", "line 2"]);
    let no_assistant = dir.join("user_only.jsonl");
    fs_err::write(&no_assistant, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n").unwrap();
    fail(&no_assistant, &[], &g, &["no usable records", "record 1", "no assistant turn"]);
    let good = dir.join("good.jsonl");
    write_chat_set(&good, 4);
    let minilm = fixtures_dir().join("minilm");
    fail(&good, &[], minilm.to_str().unwrap(), &["embedding (encoder) model"]);
    // An adapter for another base shape, and a DoRA adapter.
    let other = dir.join("other");
    fs_err::create_dir_all(&other).unwrap();
    let a = start_adapter();
    fs_err::copy(a.join("adapter_config.json"), other.join("adapter_config.json")).unwrap();
    let mut t = std::collections::HashMap::new();
    for i in 0..30 {
        for m in ["q_proj", "v_proj"] {
            let p = format!("base_model.model.model.layers.{i}.self_attn.{m}");
            let z =
                |r, c| candle_core::Tensor::zeros((r, c), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
            t.insert(format!("{p}.lora_A.weight"), z(8, 1024));
            t.insert(format!("{p}.lora_B.weight"), z(1024, 8));
        }
    }
    candle_core::safetensors::save(&t, other.join("adapter_model.safetensors")).unwrap();
    fail(&good, &["--adapter", other.to_str().unwrap()], &g, &["A 8x1024", "576"]);
    let dora = dir.join("dora");
    fs_err::create_dir_all(&dora).unwrap();
    let mut cfg: Value = serde_json::from_slice(&fs_err::read(a.join("adapter_config.json")).unwrap()).unwrap();
    cfg["use_dora"] = Value::Bool(true);
    fs_err::write(dora.join("adapter_config.json"), cfg.to_string()).unwrap();
    fs_err::copy(a.join("adapter_model.safetensors"), dora.join("adapter_model.safetensors")).unwrap();
    fail(&good, &["--adapter", dora.to_str().unwrap()], &g, &["DoRA"]);
    // Usage errors: exit 2.
    let (code, _, err) = env.run(&["finetune", &g, "--lora", "--data", "x", "--output", "y", "--target-modules", "qq"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown target module `qq`"), "{err}");
}

/// The Python with torch, transformers and peft that `scripts/test.sh` installs.
fn peft_python() -> std::path::PathBuf {
    let p = std::env::var_os("HFX_PEFT_PYTHON").map(std::path::PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
        home.join(".cache/hfx-ci/venv-peft/bin/python")
    });
    assert!(
        p.is_file(),
        "no Python with torch and peft: run scripts/test.sh (it installs them) or set HFX_PEFT_PYTHON"
    );
    p
}

/// PEFT's view of `adapter` on the f32 transformers folder (`peft_check.py`).
fn peft_outputs(adapter: &std::path::Path, input: &[u32]) -> Value {
    let py = std::process::Command::new(peft_python())
        .arg(repo_root().join("tests/data/peft_check.py"))
        .arg(crate::generate::converted())
        .arg(adapter)
        .arg(serde_json::to_string(input).unwrap())
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    let peft: Value = serde_json::from_slice(&py.stdout).unwrap();
    for w in peft["warnings"].as_array().unwrap() {
        let w = w.as_str().unwrap().to_lowercase();
        assert!(!w.contains("missing") && !w.contains("unexpected"), "PEFT warned: {w}");
    }
    peft
}

/// `rows` (hfx's logits for `input`) against PEFT's, unmerged and merged, within the
/// reference tolerances (1e-3 on logits and logsumexp, 1e-4 relative on the loss).
fn assert_same_as_peft(rows: &[Vec<f32>], input: &[u32], peft: &Value, what: &str) {
    let mut loss = 0f64;
    for (i, r) in rows.iter().enumerate() {
        let lse = logsumexp(r);
        if i + 1 < rows.len() {
            loss += lse - f64::from(r[input[i + 1] as usize]);
        }
        for variant in ["adapter", "merged"] {
            let p = &peft[variant];
            let want = p["logsumexp"][i].as_f64().unwrap();
            assert!((lse - want).abs() < 1e-3, "{what} {variant} position {i}: logsumexp {lse} vs {want}");
            for (id, want) in p["top5_ids"][i].as_array().unwrap().iter().zip(p["top5_logits"][i].as_array().unwrap()) {
                let got = f64::from(r[id.as_u64().unwrap() as usize]);
                assert!(
                    (got - want.as_f64().unwrap()).abs() < 1e-3,
                    "{what} {variant} position {i} id {id}: {got} vs {want}"
                );
            }
        }
    }
    loss /= (rows.len() - 1) as f64;
    for k in ["loss", "merged_loss"] {
        let want = peft[k].as_f64().unwrap();
        assert!(((loss - want) / want).abs() < 1e-4, "{what} {k}: hfx {loss} vs PEFT {want}");
    }
}

fn logit_rows(m: &Decoder, input: &[u32]) -> Vec<Vec<f32>> {
    m.forward(input, &mut hfx::models::decoder::KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap()
}

#[test]
fn peft_loads_hfx_adapters_as_its_own_and_computes_the_same_logits() {
    let env = TestEnv::new();
    let data = env.dir.path().join("chat.jsonl");
    write_chat_set(&data, 12);
    let hf = crate::generate::converted();
    let input = ids(&crate::generate::reference("lora.json")["cases"][0]["input_ids"]);

    // `hfx finetune` on the transformers folder; PEFT computes what `hfx run --lora` does.
    let out = env.dir.path().join("adapter");
    env.ok(&[
        "finetune",
        hf.to_str().unwrap(),
        "--lora",
        "--data",
        data.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--max-steps",
        "2",
        "--batch-size",
        "4",
        "--lr",
        "5e-3",
        "--dropout",
        "0",
        "--target-modules",
        "q_proj,k_proj,v_proj,o_proj",
    ]);
    let mut m = Decoder::from_safetensors(hf, &candle_core::Device::Cpu, WeightDtype::Native).unwrap();
    let base = logit_rows(&m, &input);
    assert_eq!(hfx::models::lora::apply(&mut m, &out).unwrap(), 120);
    let rows = logit_rows(&m, &input);
    let moved = base.last().unwrap().iter().zip(rows.last().unwrap()).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    assert!(moved > 1e-2, "the trained adapter left the logits unchanged ({moved})");
    assert_same_as_peft(&rows, &input, &peft_outputs(&out, &input), "trained on safetensors");

    // An adapter held in the GGUF model's row order (q/k as llama.cpp permutes them), applied
    // as training applies it, then saved: PEFT on the transformers weights must compute the
    // same function, so the saved q/k rows are back in transformers' order.
    let mut g = f32_model();
    let shape = hfx::train::adapter::LoraShape {
        rank: 8,
        alpha: 16.0,
        dropout: 0.0,
        targets: hfx::train::model::Module::ALL[..4].to_vec(),
        rslora: false,
    };
    let mut set = adapter::init(&g, &shape, 3).unwrap();
    for (i, ad) in set.adapters.iter_mut().enumerate() {
        ad.b.value.iter_mut().enumerate().for_each(|(k, v)| *v = (((i * 31 + k * 17) % 13) as f32 - 6.0) * 2e-3);
    }
    for ad in &set.adapters {
        let t = |p: &hfx::train::model::Param| {
            candle_core::Tensor::from_vec(p.value.clone(), (p.rows, p.cols), &candle_core::Device::Cpu).unwrap()
        };
        let l = &mut g.layers[ad.layer];
        let lin = match ad.module {
            hfx::train::model::Module::Q => &mut l.q,
            hfx::train::model::Module::K => &mut l.k,
            hfx::train::model::Module::V => &mut l.v,
            _ => &mut l.o,
        };
        lin.lora = Some(hfx::models::decoder::Lora { a: t(&ad.a), b: t(&ad.b), scale: 2.0 });
    }
    let rows = logit_rows(&g, &input);
    let saved = env.dir.path().join("from-gguf");
    adapter::save(&g, &set, &shape, &Default::default(), &saved).unwrap();
    assert_same_as_peft(&rows, &input, &peft_outputs(&saved, &input), "held in GGUF order");
}

#[test]
fn trains_on_a_hub_dataset_and_pushes_the_adapter_without_its_checkpoints() {
    let env = TestEnv::new();
    env.ok(&["login", "--token", TOKEN]);
    let data = env.dir.path().join("train.jsonl");
    write_chat_set(&data, 8);
    env.hub.add_repo(RepoSpec::new(RepoType::Dataset, "alice/chats").file("train.jsonl", fs_err::read(&data).unwrap()));
    let out = env.dir.path().join("pushed");
    let stdout = env.ok(&[
        "finetune",
        &gguf(),
        "--lora",
        "--data",
        "alice/chats",
        "--output",
        out.to_str().unwrap(),
        "--max-steps",
        "2",
        "--batch-size",
        "2",
        "--save-every",
        "1",
        "--push",
        "alice/smol-lora",
        "--private",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["pushed"].as_str().unwrap().contains("/alice/smol-lora/commit/"), "{v}");
    let card = fs_err::read_to_string(out.join("README.md")).unwrap();
    assert!(card.contains("datasets:\n- \"alice/chats\""), "{card}");
    for f in ["adapter_model.safetensors", "adapter_config.json", "README.md", "training_log.jsonl", "loss.png"] {
        let want = sha256_hex(&fs_err::read(out.join(f)).unwrap());
        assert_eq!(env.hub.file_sha256(RepoType::Model, "alice/smol-lora", "main", f), Some(want), "{f}");
    }
    assert!(out.join("checkpoints/step-1").is_dir());
    assert!(
        env.hub
            .file_info(RepoType::Model, "alice/smol-lora", "main", "checkpoints/step-1/adapter_config.json")
            .is_none()
    );
}

/// HumanEval (the PyPI fixture) as chat records: the user names the function, the assistant
/// answers with its code (prompt and canonical solution).
fn write_humaneval_chats(train: &std::path::Path, eval: &std::path::Path) {
    let gz = fs_err::File::open(fixtures_dir().join("humaneval/HumanEval.jsonl.gz")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz), &mut text).unwrap();
    let (mut t, mut e) = (String::new(), String::new());
    for (i, line) in text.lines().enumerate() {
        let r: Value = serde_json::from_str(line).unwrap();
        let (prompt, solution) = (r["prompt"].as_str().unwrap(), r["canonical_solution"].as_str().unwrap());
        let rec = serde_json::json!({"messages": [
            {"role": "user", "content": format!("Write the Python function `{}`.", r["entry_point"].as_str().unwrap())},
            {"role": "assistant", "content": format!("{prompt}{solution}")},
        ]});
        let dest = if i % 41 == 0 { &mut e } else { &mut t };
        dest.push_str(&rec.to_string());
        dest.push('\n');
    }
    fs_err::write(train, t).unwrap();
    fs_err::write(eval, e).unwrap();
}

#[test]
fn humaneval_chats_train_with_packing_and_the_eval_loss_falls() {
    let env = TestEnv::new();
    let (train, eval) = (env.dir.path().join("he-train.jsonl"), env.dir.path().join("he-eval.jsonl"));
    write_humaneval_chats(&train, &eval);
    let out = env.dir.path().join("he");
    let (code, _, err) = env.run(&[
        "finetune",
        &gguf(),
        "--lora",
        "--data",
        train.to_str().unwrap(),
        "--eval-data",
        eval.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--max-steps",
        "4",
        "--batch-size",
        "1",
        "--max-seq-len",
        "256",
        "--packing",
        "--lr",
        "1e-3",
        "--eval-every",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    // 160 training records, 4 for evaluation; the long ones cut to 256 tokens and counted.
    assert!(err.contains("train: 160 record(s) of shape `messages`, 160 used"), "{err}");
    assert!(err.contains("eval: 4 record(s)"), "{err}");
    assert!(err.contains("truncated to --max-seq-len"), "{err}");
    let log = log_lines(&out);
    let evals: Vec<f64> = log.iter().filter_map(|l| l.get("eval_loss")).map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(evals.len(), 2, "{log:?}");
    assert!(evals[1] < evals[0], "eval loss {evals:?}");
    // Packing fills each row with whole records up to 256 tokens.
    let tokens: Vec<u64> = log.iter().filter_map(|l| l.get("tokens")).map(|v| v.as_u64().unwrap()).collect();
    assert!(tokens.len() == 4 && tokens.iter().all(|t| (40..=256).contains(t)), "{tokens:?}");
}
