//! `hfx run` and `hfx bench` on the command line: greedy output, streaming, stops, seeds, stdin.

use super::*;

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
