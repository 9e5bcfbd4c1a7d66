//! PEFT LoRA adapters applied unmerged, in the library and through `hfx run --lora`.

use super::*;

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

/// A served prompt whose start is in the prefix cache is computed from its cached keys and
/// values plus its last tokens alone; with an adapter its logits must still be the whole
/// prompt's, bit for bit (candle's matmul summed the adapter's delta in another order for
/// another row count: 0.3 apart on these logits, and another answer from `hfx serve`).
#[test]
fn a_prompt_continued_from_a_cached_prefix_gets_the_whole_prompts_logits() {
    use hfx::models::decoder::{Logits, Step};
    let mut m = q4_1();
    hfx::models::lora::load_slot(&mut m, &adapter_dir(), 0).unwrap();
    let first: Vec<u32> = (0..37).map(|i| 100 + i * 7).collect();
    let mut prompt = first[..24].to_vec();
    prompt.extend((0..10).map(|i| 200 + i * 11));
    for adapter in [None, Some(0)] {
        let last = |tokens: &[u32], cache: &mut KvCache| {
            let out = m.forward_batch(&mut [Step { tokens, cache, adapter }], Logits::Prompt).unwrap();
            out[0].flatten_all().unwrap().to_vec1::<f32>().unwrap()
        };
        let whole = last(&prompt, &mut KvCache::new(m.layers.len()));
        // The cache of another prompt sharing 24 tokens, then the other 10.
        let mut cache = KvCache::new(m.layers.len());
        last(&first, &mut cache);
        cache.truncate(24);
        assert_eq!(last(&prompt[24..], &mut cache), whole, "adapter {adapter:?}: 10 tokens after 24 cached");
        // The whole prompt cached but its last token.
        cache.clear();
        last(&prompt, &mut cache);
        cache.truncate(prompt.len() - 1);
        assert_eq!(last(&prompt[prompt.len() - 1..], &mut cache), whole, "adapter {adapter:?}: the last token alone");
    }
}
