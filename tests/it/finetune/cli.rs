//! `hfx finetune` end to end: the adapter it writes, Ctrl-C and resume, and bad inputs.

use super::*;

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
        // bf16 products (AMX or AVX512-BF16 where the CPU has them, else f32); the default,
        // `high`, trains in the resume test.
        "--matmul-precision",
        "medium",
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
    let targs: Value = serde_json::from_slice(&fs_err::read(out.join("training_args.json")).unwrap()).unwrap();
    assert_eq!(targs["training"]["precision"], "medium");
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
        let base = Trainer::new(&m, &mut none).step(&batch, denom, false);
        let (mut set, _) = adapter::load(&mut m, &out, 0.0).unwrap();
        let tuned = Trainer::new(&m, &mut set).step(&batch, denom, false);
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
