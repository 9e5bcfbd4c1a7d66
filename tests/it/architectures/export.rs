//! Export of every architecture to GGUF and back to safetensors, with the same logits.

use super::*;

/// A byte-level BPE tokenizer.json over the tiny vocabulary (a GGUF export writes it as
/// llama.cpp's `gpt2` vocabulary).
fn write_tokenizer(dir: &Path) {
    let mut vocab = serde_json::Map::new();
    vocab.insert("<s>".into(), json!(0));
    for i in 1..VOCAB - 1 {
        vocab.insert(format!("t{i}"), json!(i));
    }
    vocab.insert("t1t2".into(), json!(VOCAB - 1));
    let byte_level = json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true});
    let tj = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [{"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": true}],
        "normalizer": null,
        "pre_tokenizer": byte_level,
        "post_processor": null,
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                  "vocab": vocab, "merges": [["t1", "t2"]]},
    });
    fs_err::write(dir.join("tokenizer.json"), serde_json::to_vec(&tj).unwrap()).unwrap();
}

#[test]
fn every_architecture_exports_to_gguf_and_back_to_safetensors_with_the_same_logits() {
    use hfx::models::export::{ExportOptions, FloatType, Target, export};
    use hfx::models::resolve::ModelFiles;
    for t in ["llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3"] {
        let a = arch(t);
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("hf");
        write_hf(&src, &a, &hf_weights(&a));
        write_tokenizer(&src);
        let last = |m: &Decoder| m.forward_last(&PROMPT, &mut KvCache::new(m.layers.len())).unwrap();
        let want = last(&Decoder::from_safetensors(&src, &Device::Cpu, WeightDtype::Native).unwrap());
        let scale = want.iter().fold(0f32, |s, v| s.max(v.abs())).max(1.0);

        let gguf = tmp.path().join("m.gguf");
        let opts = ExportOptions::default();
        let q = &hfx::report::Quiet;
        export(&ModelFiles::Dir(src.clone()), &gguf, Target::Gguf, &opts, q).unwrap();
        let g = Decoder::from_gguf(&gguf, &Device::Cpu, WeightDtype::Native).unwrap();
        let d = max_diff(&last(&g), &want);
        assert!(d < 1e-4 * scale, "{t}: safetensors -> GGUF differs by {d}");

        let back = tmp.path().join("back");
        export(&ModelFiles::Gguf(gguf.clone()), &back, Target::Safetensors, &opts, q).unwrap();
        let b = Decoder::from_safetensors(&back, &Device::Cpu, WeightDtype::Native).unwrap();
        let d = max_diff(&last(&b), &want);
        assert!(d < 1e-4 * scale, "{t}: GGUF -> safetensors differs by {d}");
        // llama.cpp has no `mistral` architecture: Mistral models come back as llama.
        let want_type = if t == "mistral" { "llama" } else { t };
        assert_eq!(b.config.arch.hf_names().0, want_type);

        // bf16 halves the file and stays close.
        let half = tmp.path().join("bf16");
        let opts = ExportOptions { dtype: Some(FloatType::Bf16), ..Default::default() };
        export(&ModelFiles::Dir(src.clone()), &half, Target::Safetensors, &opts, q).unwrap();
        let h = Decoder::from_safetensors(&half, &Device::Cpu, WeightDtype::Native).unwrap();
        let d = max_diff(&last(&h), &want);
        assert!(d < 0.05 * scale, "{t}: bf16 export differs by {d}");
    }
}
