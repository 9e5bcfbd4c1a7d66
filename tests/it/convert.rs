//! `hfx convert`'s export path on the SmolLM2 fixture and the reference PEFT adapter: merged
//! folders and GGUF files reproduce PEFT's `merge_and_unload()` figures (`lora.json`), the LoRA
//! GGUF reproduces the unmerged adapter, quantized exports get llama-quantize's tensor types and
//! keep the greedy answer. (llama.cpp's runs of the same files: `scripts/check-llama-export.sh`.)

use serde_json::Value;

use crate::common::*;
use crate::generate::{adapter_dir, check_against, converted, ids, reference, run_json};
use hfx::models::decoder::{Decoder, WeightDtype};

fn gguf() -> String {
    fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").to_string_lossy().into_owned()
}

fn cpu() -> candle_core::Device {
    candle_core::Device::Cpu
}

fn greedy(env: &TestEnv, model: &str, extra: &[&str]) -> Vec<u32> {
    let mut args = vec!["run", model, "What is 7 plus 5?", "--temperature", "0", "--max-new-tokens", "16", "--json"];
    args.extend(extra);
    ids(&run_json(env, &args)["token_ids"])
}

#[test]
fn the_reference_adapter_merged_into_gguf_and_safetensors_matches_peft_merge_and_unload() {
    let env = TestEnv::new();
    let a = adapter_dir();
    let a = a.to_str().unwrap();
    let case = &reference("lora.json")["cases"][0];
    let input = ids(&case["input_ids"]);

    // GGUF (f32) from the Q4_1 file: the reference's f32 weights are these blocks dequantized.
    let merged = env.dir.path().join("merged.gguf");
    let m = merged.to_str().unwrap();
    let out: Value = serde_json::from_str(&env.ok(&[
        "convert",
        &gguf(),
        m,
        "--to",
        "gguf",
        "--lora",
        a,
        "--dtype",
        "f32",
        "--json",
    ]))
    .unwrap();
    assert_eq!(
        (out["format"].as_str(), out["merged"].as_u64(), out["tensors"].as_u64()),
        (Some("gguf"), Some(60), Some(272))
    );
    assert_eq!(out["types"], serde_json::json!({"F32": 272}));
    let g = Decoder::from_gguf(&merged, &cpu(), WeightDtype::Native).unwrap();
    check_against(&g, &input, &case["merged"], "merged GGUF");
    // Its metadata is the source's (tokenizer, template), with the new file type.
    let h = hfx::models::gguf::Gguf::open(&merged).unwrap();
    assert_eq!(h.u32("general.file_type"), Some(0));
    assert_eq!(h.str("tokenizer.ggml.pre"), Some("smollm"));
    assert!(h.str("tokenizer.chat_template").is_some_and(|t| t.contains("im_start")));

    // Safetensors from the f32 folder: config and tokenizer files carried over.
    let dir = env.dir.path().join("merged-st");
    let d = dir.to_str().unwrap();
    env.ok(&["convert", converted().to_str().unwrap(), d, "--lora", a]);
    let hf = Decoder::from_safetensors(&dir, &cpu(), WeightDtype::Native).unwrap();
    check_against(&hf, &input, &case["merged"], "merged safetensors");
    for f in ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let st = candle_core::safetensors::load(dir.join("model.safetensors"), &cpu()).unwrap();
    assert_eq!(st.len(), 272);
    assert!(st.keys().all(|k| !k.contains("lora")));

    // The same greedy answer everywhere: base + adapter, merged GGUF, merged folder.
    let want = greedy(&env, &gguf(), &["--lora", a]);
    assert_eq!(greedy(&env, m, &[]), want);
    assert_eq!(greedy(&env, d, &[]), want);
}

#[test]
fn the_lora_gguf_reproduces_the_unmerged_adapter_on_gguf_and_safetensors_bases() {
    let env = TestEnv::new();
    let case = &reference("lora.json")["cases"][0];
    let input = ids(&case["input_ids"]);
    let file = env.dir.path().join("adapter.gguf");
    let f = file.to_str().unwrap();
    env.ok(&["convert", adapter_dir().to_str().unwrap(), f, "--to", "gguf-lora", "--base", &gguf()]);
    let h = hfx::models::gguf::Gguf::open(&file).unwrap();
    assert_eq!(h.str("general.type"), Some("adapter"));
    assert_eq!(h.str("adapter.type"), Some("lora"));
    assert_eq!(h.str("general.architecture"), Some("llama"));
    assert_eq!(h.f32("adapter.lora.alpha"), Some(16.0));
    assert_eq!(h.content.tensor_infos.len(), 120);
    // ggml dimensions, innermost first: A is [r, in] row-major, B [out, r].
    assert_eq!(h.content.tensor_infos["blk.0.attn_q.weight.lora_a"].shape.dims(), [8, 576]);
    assert_eq!(h.content.tensor_infos["blk.0.attn_v.weight.lora_b"].shape.dims(), [192, 8]);

    // Applied to the GGUF base (llama.cpp's q/k row order) and to the f32 folder (transformers').
    let mut g = crate::generate::model();
    assert_eq!(hfx::models::lora::apply(&mut g, &file).unwrap(), 60);
    check_against(&g, &input, &case["adapter"], "LoRA GGUF on the GGUF base");
    let mut hf = Decoder::from_safetensors(converted(), &cpu(), WeightDtype::Native).unwrap();
    hfx::models::lora::apply(&mut hf, &file).unwrap();
    check_against(&hf, &input, &case["adapter"], "LoRA GGUF on the safetensors base");
    assert_eq!(
        greedy(&env, &gguf(), &["--lora", f]),
        greedy(&env, &gguf(), &["--lora", adapter_dir().to_str().unwrap()])
    );
}

#[test]
fn quantized_exports_get_llama_quantize_types_and_keep_the_answer() {
    let env = TestEnv::new();
    let a = adapter_dir();
    let a = a.to_str().unwrap();
    let want = greedy(&env, &gguf(), &["--lora", a]);
    for (quant, types) in [
        ("q8_0", serde_json::json!({"F32": 61, "Q8_0": 211})),
        // 576-wide rows are no multiple of 256: Q4_K falls back to Q5_0 and Q6_K to Q8_0 (attn_v
        // of the more-bits layers, the tied embedding); ffn_down rows (1536) take Q4_K / Q6_K.
        ("q4_k_m", serde_json::json!({"F32": 61, "Q4_K": 16, "Q5_0": 166, "Q6_K": 14, "Q8_0": 15})),
        ("q4_0", serde_json::json!({"F32": 61, "Q4_0": 210, "Q8_0": 1})),
    ] {
        let path = env.dir.path().join(format!("m-{quant}.gguf"));
        let p = path.to_str().unwrap();
        let out: Value = serde_json::from_str(&env.ok(&[
            "convert",
            &gguf(),
            p,
            "--to",
            "gguf",
            "--lora",
            a,
            "--quant",
            quant,
            "--json",
        ]))
        .unwrap();
        assert_eq!(out["types"], types, "{quant}");
        if quant == "q8_0" {
            assert_eq!(greedy(&env, p, &[]), want, "{quant}");
        } else {
            // At 4 bits the first token of "What is 7 plus 5?" is a near tie ("The" and "1" about
            // 0.1 apart in log-probability), and the activations' Q8_1 rounding turns any change
            // in the prompt's arithmetic at the last bit (a different order of a sum) into
            // differences of that size: the merged 4-bit files must keep README's answer instead.
            let out =
                env.ok(&["run", p, "What is the capital of France? Answer in one sentence.", "--temperature", "0"]);
            assert_eq!(out.trim(), "The capital of France is Paris.", "{quant}");
        }
    }
    // An f32 folder exports to GGUF with its tokenizer written as llama.cpp's `gpt2` vocabulary.
    let from_st = env.dir.path().join("from-st.gguf");
    env.ok(&["convert", converted().to_str().unwrap(), from_st.to_str().unwrap(), "--to", "gguf"]);
    let h = hfx::models::gguf::Gguf::open(&from_st).unwrap();
    let src = hfx::models::gguf::Gguf::open(std::path::Path::new(&gguf())).unwrap();
    for k in ["tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.chat_template", "general.architecture"] {
        assert_eq!(h.str(k), src.str(k), "{k}");
    }
    for k in ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "llama.block_count", "llama.context_length"]
    {
        assert_eq!(h.u32(k), src.u32(k), "{k}");
    }
    assert_eq!(
        h.get("tokenizer.ggml.tokens").unwrap().to_vec().unwrap().len(),
        src.get("tokenizer.ggml.tokens").unwrap().to_vec().unwrap().len()
    );
    assert_eq!(greedy(&env, from_st.to_str().unwrap(), &[]), greedy(&env, converted().to_str().unwrap(), &[]));
}

#[test]
fn quantizing_a_folder_on_load_matches_the_exported_gguf_and_keeps_the_answer() {
    let env = TestEnv::new();
    let folder = converted().to_str().unwrap();
    // Q8_0 everywhere either way, rounded as llama.cpp rounds: the blocks are the exported
    // GGUF's, bit for bit (q/k rows are in each format's rope order, so compare the others).
    let q8 = env.dir.path().join("q8_0.gguf");
    env.ok(&["convert", folder, q8.to_str().unwrap(), "--to", "gguf", "--quant", "q8_0"]);
    let quant = WeightDtype::Quant(candle_core::quantized::GgmlDType::Q8_0);
    let on_load = Decoder::from_safetensors(converted(), &cpu(), quant).unwrap();
    let exported = Decoder::from_gguf(&q8, &cpu(), WeightDtype::Native).unwrap();
    let flat = |w: &hfx::models::decoder::Weight| w.to_f32().unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(matches!(on_load.embed, hfx::models::decoder::Weight::Packed(_)), "Q8_0 runs on hfx's kernels");
    assert_eq!(on_load.weight_bytes(), exported.weight_bytes());
    assert!(flat(&on_load.embed) == flat(&exported.embed));
    for i in [0, 17, 29] {
        let (a, b) = (&on_load.layers[i], &exported.layers[i]);
        for (x, y) in [(&a.v, &b.v), (&a.o, &b.o), (&a.gate, &b.gate), (&a.up, &b.up), (&a.down, &b.down)] {
            assert!(flat(&x.weight) == flat(&y.weight), "layer {i}");
        }
    }
    // Q5_K: its 1536-wide rows in hfx's Q5_K blocks, the 576-wide ones in Q5_1 (llama-quantize's
    // fallback), both on hfx's kernels.
    let q5k =
        Decoder::from_safetensors(converted(), &cpu(), WeightDtype::Quant(candle_core::quantized::GgmlDType::Q5K))
            .unwrap();
    use hfx::models::decoder::{Weight, packed::PackedMatrix};
    assert!(matches!(&q5k.layers[3].down.weight, Weight::Packed(p) if matches!(**p, PackedMatrix::Q5K(_))));
    assert!(matches!(&q5k.layers[3].gate.weight, Weight::Packed(p) if matches!(**p, PackedMatrix::Q5_1(_))));
    // Every type keeps README's answer to its first sentence (576-wide rows fall back from Q4_K to Q5_0, from Q5_K to
    // Q5_1 and from Q6_K to Q8_0, the tied output takes Q6_K's fallback).
    for quant in ["q8_0", "q4_k", "q5_k", "q6_k"] {
        let out = env.ok(&[
            "run",
            folder,
            "What is the capital of France? Answer in one sentence.",
            "--temperature",
            "0",
            "--quant",
            quant,
        ]);
        // Q5_K goes on after "Paris" (a near tie between "." and ","; see the 4-bit exports above).
        assert!(out.trim().starts_with("The capital of France is Paris"), "{quant}: {out}");
    }
    let (code, _, err) = env.run(&["run", folder, "hi", "--quant", "q8_0", "--dtype", "f16"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--quant") && err.contains("--dtype"), "{err}");
}

#[test]
fn bf16_and_f16_weights_stay_16_bit_and_give_the_f32_folders_greedy_ids_on_the_reference_prompts() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("bf16");
    let d = dir.to_str().unwrap();
    env.ok(&["convert", &gguf(), d, "--to", "safetensors", "--dtype", "bf16"]);
    let header = fs_err::read(dir.join("model.safetensors")).unwrap();
    let len = u64::from_le_bytes(header[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&header[8..8 + len]).unwrap();
    assert_eq!(header["model.layers.0.mlp.down_proj.weight"]["dtype"], "BF16");
    // Kept at two bytes a weight unless widened.
    let kept = Decoder::from_safetensors(&dir, &cpu(), WeightDtype::Native).unwrap();
    let wide = Decoder::from_safetensors(&dir, &cpu(), WeightDtype::F32).unwrap();
    assert_eq!((kept.weight_bytes(), wide.weight_bytes()), (2 * kept.parameters(), 4 * kept.parameters()));
    // An f16 GGUF of the same weights, whose F16 tensors stay f16 as well.
    let f16 = env.dir.path().join("f16.gguf");
    let f16 = f16.to_str().unwrap();
    env.ok(&["convert", &gguf(), f16, "--to", "gguf", "--dtype", "f16"]);
    // The reference's ids (transformers on the f32 weights, which the f32 folder matches), kept
    // in bf16 (the default: hfx's bf16 kernels), widened to f32, or kept in f16: the smallest
    // top-2 logit gap on these prompts is 0.05, and the rounding of the weights flips none.
    for case in reference("greedy.json")["cases"].as_array().unwrap() {
        let prompt = case["prompt"].as_str().unwrap();
        for (model, dtype) in
            [(d, &[][..]), (d, &["--dtype", "f32"][..]), (d, &["--dtype", "bf16"][..]), (f16, &[][..])]
        {
            let mut args = vec!["run", model, prompt, "--temperature", "0", "--max-new-tokens", "32", "--json"];
            args.extend(dtype);
            if case["chat"] == false {
                args.push("--raw");
            }
            let got = ids(&run_json(&env, &args)["token_ids"]);
            assert_eq!(got, ids(&case["generated_ids"]), "{prompt:?} {model} {dtype:?}");
        }
    }
}

/// `hfx run --dtype f16|bf16` on an f32 safetensors folder narrows its matrices to 16 bits while
/// loading (half the weight bytes, as `hfx bench`, which loads through the same `ModelArgs`,
/// reports in its SIZE column) and keeps the folder's greedy ids on the reference prompts.
#[test]
fn run_dtype_f16_and_bf16_narrow_an_f32_folder_and_keep_its_greedy_ids() {
    use hfx::output::human_bytes;
    let env = TestEnv::new();
    let dir = converted();
    let d = dir.to_str().unwrap();
    let params = Decoder::from_safetensors(dir, &cpu(), WeightDtype::F16).unwrap().parameters() as u64;
    let (f32_size, half_size) = (human_bytes(4 * params), human_bytes(2 * params));
    let bench = |extra: &[&str]| {
        let mut args = vec!["bench", d, "-p", "0", "-n", "1", "-r", "1"];
        args.extend(extra);
        env.ok(&args)
    };
    let stored = bench(&[]);
    assert!(stored.contains(&f32_size) && !stored.contains(&half_size), "f32 folder: {stored}");
    for dtype in ["f16", "bf16"] {
        let table = bench(&["--dtype", dtype]);
        assert!(table.contains(&half_size) && !table.contains(&f32_size), "--dtype {dtype}: {table}");
        // One chat and one raw prompt of the reference.
        let cases = reference("greedy.json")["cases"].as_array().unwrap().clone();
        for case in
            [cases.iter().find(|c| c["chat"] == true).unwrap(), cases.iter().find(|c| c["chat"] == false).unwrap()]
        {
            let prompt = case["prompt"].as_str().unwrap();
            let mut args =
                vec!["run", d, prompt, "--dtype", dtype, "--temperature", "0", "--max-new-tokens", "32", "--json"];
            if case["chat"] == false {
                args.push("--raw");
            }
            let got = ids(&run_json(&env, &args)["token_ids"]);
            assert_eq!(got, ids(&case["generated_ids"]), "{prompt:?} --dtype {dtype}");
        }
    }
}

#[test]
fn convert_refuses_bad_requests_clearly() {
    let env = TestEnv::new();
    let a = adapter_dir();
    let out = env.dir.path().join("x");
    let o = out.to_str().unwrap();
    // --quant on a safetensors export: a usage error.
    let (code, _, err) = env.run(&["convert", &gguf(), o, "--quant", "q8_0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--quant applies to `--to gguf`"), "{err}");
    // gguf-lora without --base: clap says so.
    let (code, _, err) = env.run(&["convert", a.to_str().unwrap(), o, "--to", "gguf-lora"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--base"), "{err}");
    // A GGUF written onto an existing folder.
    fs_err::create_dir_all(&out).unwrap();
    let (code, _, err) = env.run(&["convert", &gguf(), o, "--to", "gguf"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is a folder") && err.contains("hint:"), "{err}");
    // A destination folder that does not exist, and one that already holds other weights.
    let missing = env.dir.path().join("no/such/dir/m.gguf");
    let (code, _, err) = env.run(&["convert", &gguf(), missing.to_str().unwrap(), "--to", "gguf"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot write") && err.contains("m.gguf") && err.contains("hint:"), "{err}");
    let shards = env.dir.path().join("shards");
    fs_err::create_dir_all(&shards).unwrap();
    fs_err::write(shards.join("model.safetensors.index.json"), "{}").unwrap();
    let (code, _, err) = env.run(&["convert", &gguf(), shards.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already holds other weights") && err.contains("hint:"), "{err}");
    assert!(!shards.join("model.safetensors").exists());
    // An adapter for another model: the base's shapes do not match.
    let other = env.dir.path().join("other");
    fs_err::create_dir_all(&other).unwrap();
    let mut cfg: Value = serde_json::from_slice(&fs_err::read(a.join("adapter_config.json")).unwrap()).unwrap();
    cfg["target_modules"] = serde_json::json!(["q_proj", "down_proj"]);
    fs_err::write(other.join("adapter_config.json"), cfg.to_string()).unwrap();
    fs_err::copy(a.join("adapter_model.safetensors"), other.join("adapter_model.safetensors")).unwrap();
    let lg = env.dir.path().join("a.gguf");
    let (code, _, err) =
        env.run(&["convert", other.to_str().unwrap(), lg.to_str().unwrap(), "--to", "gguf-lora", "--base", &gguf()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no lora_A/lora_B for layer 0 `down_proj`") && err.contains("hint:"), "{err}");
    assert!(!lg.exists());
    // An embedding model has nothing to export as a decoder.
    let minilm = fixtures_dir().join("minilm");
    let mg = env.dir.path().join("minilm.gguf");
    let (code, _, err) = env.run(&["convert", minilm.to_str().unwrap(), mg.to_str().unwrap(), "--to", "gguf"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unsupported model type") && err.contains("hint:"), "{err}");
    // Nothing was left behind that looks like a result.
    let names: Vec<String> = fs_err::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".gguf") || n.contains("hfx-tmp")), "{names:?}");
}
