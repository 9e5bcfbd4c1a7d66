//! Training on a Hub dataset (and pushing the adapter) and on HumanEval with packing.

use super::*;

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
