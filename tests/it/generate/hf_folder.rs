//! The GGUF converted to an HF folder: its files, its logits, and serving it from the Hub.

use super::*;

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
