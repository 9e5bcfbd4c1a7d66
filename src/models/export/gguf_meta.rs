//! GGUF metadata of an exported model: a GGUF source's own (with the new file type), or the keys
//! llama.cpp's `convert_hf_to_gguf.py` writes for a transformers folder, tokenizer included.

use std::path::Path;

use candle_core::quantized::gguf_file::Value;
use serde_json::Value as Json;

use crate::models::decoder::{DecoderConfig, RopeScaling};
use crate::models::error::{ModelError, Result};
use crate::models::gguf::Gguf;
use crate::models::tokenizer::{LoadedTokenizer, pre_tokenizer_name};

// GGUF token types (llama.cpp's `llama_token_type`).
const NORMAL: i32 = 1;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;
const UNUSED: i32 = 5;

/// A GGUF source's metadata with `general.file_type` replaced. Alignment is dropped (the writer
/// aligns to GGUF's default 32 bytes), and so are a split model's `split.*` keys.
pub(super) fn from_gguf(g: &Gguf, file_type: u32, quantized: bool) -> Vec<(String, Value)> {
    // The output is one file, whatever the source's split.
    let drop = ["general.file_type", "general.alignment", "general.quantization_version"];
    let mut keys: Vec<&String> =
        g.content.metadata.keys().filter(|k| !drop.contains(&k.as_str()) && !k.starts_with("split.")).collect();
    keys.sort();
    let mut out: Vec<(String, Value)> = keys.into_iter().map(|k| (k.clone(), g.content.metadata[k].clone())).collect();
    out.push(("general.file_type".into(), Value::U32(file_type)));
    if quantized {
        out.push(("general.quantization_version".into(), Value::U32(2)));
    }
    out
}

fn unsupported(what: String, hint: &str) -> ModelError {
    ModelError::Export { what, hint: hint.to_string() }
}

/// The metadata llama.cpp reads for a transformers folder's model and tokenizer.
pub(super) fn from_hf(
    c: &DecoderConfig,
    dir: &Path,
    file_type: u32,
    quantized: bool,
    vocab_rows: usize,
) -> Result<Vec<(String, Value)>> {
    let a = c.arch.gguf_name();
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    let u = |v: usize| Value::U32(v as u32);
    let k = |key: &str| format!("{a}.{key}");
    if (c.attn_scale - 1.0 / (c.head_dim as f64).sqrt()).abs() > 1e-9 {
        return Err(unsupported(
            "an attention scale other than 1/sqrt(head_dim) (`query_pre_attn_scalar`) has no GGUF key hfx writes"
                .into(),
            "export this model to safetensors instead",
        ));
    }
    let mut m: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(a.into())),
        ("general.type".into(), Value::String("model".into())),
        ("general.name".into(), Value::String(name)),
        ("general.file_type".into(), Value::U32(file_type)),
        (k("context_length"), u(c.max_position)),
        (k("embedding_length"), u(c.hidden_size)),
        (k("block_count"), u(c.num_layers)),
        (k("feed_forward_length"), u(c.intermediate_size)),
        (k("attention.head_count"), u(c.num_heads)),
        (k("attention.head_count_kv"), u(c.num_kv_heads)),
        (k("attention.key_length"), u(c.head_dim)),
        (k("attention.value_length"), u(c.head_dim)),
        (k("attention.layer_norm_rms_epsilon"), Value::F32(c.rms_norm_eps as f32)),
        (k("rope.freq_base"), Value::F32(c.rope_theta)),
        (k("rope.dimension_count"), u(c.head_dim)),
        (k("vocab_size"), u(vocab_rows)),
    ];
    if quantized {
        m.push(("general.quantization_version".into(), Value::U32(2)));
    }
    if let RopeScaling::Linear(f) = c.rope_scaling {
        m.push((k("rope.scaling.type"), Value::String("linear".into())));
        m.push((k("rope.scaling.factor"), Value::F32(f)));
    }
    if let Some(s) = c.attn_softcap {
        m.push((k("attn_logit_softcapping"), Value::F32(s)));
    }
    if let Some(s) = c.final_softcap {
        m.push((k("final_logit_softcapping"), Value::F32(s)));
    }
    if let Some(w) = c.sliding_window {
        m.push((k("attention.sliding_window"), u(w)));
    }
    m.extend(tokenizer(dir, vocab_rows)?);
    Ok(m)
}

/// `tokenizer.ggml.*` from a byte-level BPE `tokenizer.json` (the GPT-2 family: Llama 3, Qwen,
/// SmolLM, ...), as `convert_hf_to_gguf.py`'s `gpt2` vocabulary.
fn tokenizer(dir: &Path, vocab_rows: usize) -> Result<Vec<(String, Value)>> {
    let path = dir.join("tokenizer.json");
    let raw = fs_err::read(&path)?;
    let bad = |reason: String| ModelError::BadTokenizer { path: path.clone(), reason };
    let j: Json = serde_json::from_slice(&raw).map_err(|e| bad(e.to_string()))?;
    let model = &j["model"];
    let sentencepiece_hint = "convert with llama.cpp's convert_hf_to_gguf.py, or export to safetensors";
    if model["type"] != "BPE" || model["byte_fallback"] == true {
        return Err(unsupported(
            format!(
                "the tokenizer is {} (hfx writes byte-level BPE vocabularies to GGUF)",
                if model["byte_fallback"] == true {
                    "SentencePiece-style BPE".to_string()
                } else {
                    format!("{}", model["type"])
                }
            ),
            sentencepiece_hint,
        ));
    }
    let pre = pre_tokenizer_name(&j["pre_tokenizer"]).ok_or_else(|| {
        unsupported("the tokenizer's pre-tokenizer matches none llama.cpp names".into(), sentencepiece_hint)
    })?;
    let vocab = model["vocab"].as_object().ok_or_else(|| bad("no `model.vocab`".into()))?;
    let mut tokens: Vec<Option<(String, i32)>> = Vec::new();
    let mut put = |id: usize, text: &str, kind: i32| {
        if tokens.len() <= id {
            tokens.resize(id + 1, None);
        }
        tokens[id] = Some((text.to_string(), kind));
    };
    for (text, id) in vocab {
        let id = id.as_u64().ok_or_else(|| bad(format!("vocabulary id of `{text}`")))? as usize;
        put(id, text, NORMAL);
    }
    for t in j["added_tokens"].as_array().into_iter().flatten() {
        let (Some(id), Some(text)) = (t["id"].as_u64(), t["content"].as_str()) else { continue };
        put(id as usize, text, if t["special"] == true { CONTROL } else { USER_DEFINED });
    }
    // The embedding may have more rows than the tokenizer has tokens (Qwen pads to a multiple of
    // 128): llama.cpp wants one token per row, so the rest are unused placeholders.
    if tokens.len() < vocab_rows {
        tokens.resize(vocab_rows, None);
    }
    let (texts, kinds): (Vec<Value>, Vec<Value>) = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| match t {
            Some((s, k)) => (Value::String(s.clone()), Value::I32(*k)),
            None => (Value::String(format!("[PAD{i}]")), Value::I32(UNUSED)),
        })
        .unzip();
    let merges: Vec<Value> = model["merges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| match m {
            Json::String(s) => Some(s.clone()),
            Json::Array(p) => Some(format!("{} {}", p.first()?.as_str()?, p.get(1)?.as_str()?)),
            _ => None,
        })
        .map(Value::String)
        .collect();
    let tok = LoadedTokenizer::from_dir(dir)?;
    let sp = &tok.specials;
    let id = |t: &Option<String>| t.as_deref().and_then(|t| tok.tokenizer.token_to_id(t));
    let mut m = vec![
        ("tokenizer.ggml.model".to_string(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String(pre.into())),
        ("tokenizer.ggml.tokens".into(), Value::Array(texts)),
        ("tokenizer.ggml.token_type".into(), Value::Array(kinds)),
        ("tokenizer.ggml.merges".into(), Value::Array(merges)),
        ("tokenizer.ggml.add_bos_token".into(), Value::Bool(sp.add_bos)),
        ("tokenizer.ggml.add_eos_token".into(), Value::Bool(sp.add_eos)),
    ];
    for (key, t) in [("bos", &sp.bos), ("eos", &sp.eos), ("unknown", &sp.unk), ("padding", &sp.pad)] {
        if let Some(i) = id(t) {
            m.push((format!("tokenizer.ggml.{key}_token_id"), Value::U32(i)));
        }
    }
    if let Some(t) = &tok.chat_template {
        m.push(("tokenizer.chat_template".into(), Value::String(t.clone())));
    }
    Ok(m)
}
