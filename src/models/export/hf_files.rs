//! A transformers folder: `model.safetensors` with transformers' names and row order (q/k rows
//! un-permuted from llama.cpp's order, Gemma norms stored as `w - 1`), `config.json`, and the
//! tokenizer files (copied from a folder source; built from a GGUF source's vocabulary).

use std::path::Path;

use serde_json::{Value, json};

use super::{Exported, FloatType, Model, Slot, held, held_dims, qk_heads, reorder, type_counts};
use crate::models::decoder::{Activation, DecoderConfig, RopeScaling, hf_name, unpermute};
use crate::models::error::{ModelError, Result, candle_message};
use crate::models::gguf::Gguf;
use crate::models::resolve::ModelFiles;
use crate::models::tokenizer::{GgufVocab, LoadedTokenizer};
use crate::models::{read_json, write_json};
use crate::report::Progress;

/// Small files a transformers folder carries besides weights and config.json.
const COPIED: &[&str] = &[
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "generation_config.json",
    "chat_template.jinja",
    "chat_template.json",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
];

/// The float type a folder's config.json says its weights are stored in.
pub(super) fn source_dtype(dir: &Path) -> FloatType {
    let cfg = read_json(&dir.join("config.json")).ok().flatten().unwrap_or(Value::Null);
    match cfg.get("torch_dtype").or_else(|| cfg.get("dtype")).and_then(Value::as_str) {
        Some("bfloat16") => FloatType::Bf16,
        Some("float16") => FloatType::F16,
        _ => FloatType::F32,
    }
}

fn hf_tensor_name(c: &DecoderConfig, slot: Slot) -> String {
    match slot {
        Slot::Embed => "model.embed_tokens.weight".into(),
        Slot::Norm => "model.norm.weight".into(),
        Slot::Head => "lm_head.weight".into(),
        Slot::RopeFreqs => "rope_freqs".into(),
        Slot::Weight(i, r) => format!("model.layers.{i}.{}.weight", hf_name(r, c.arch)),
        Slot::Bias(i, r) => format!("model.layers.{i}.{}.bias", hf_name(r, c.arch)),
    }
}

pub(super) fn write_folder(
    files: &ModelFiles,
    model: &Model,
    out: &Path,
    dtype: Option<FloatType>,
    progress: &dyn Progress,
) -> Result<Exported> {
    let m = &model.m;
    let c = &m.config;
    if matches!(c.rope_scaling, RopeScaling::Factors(_)) {
        return Err(ModelError::Export {
            what: "the model's rope frequency factors (`rope_freqs.weight`) have no config.json form".into(),
            hint: "export it to GGUF instead (`--to gguf`)".into(),
        });
    }
    let dtype = dtype.unwrap_or(match files {
        ModelFiles::Dir(d) => source_dtype(d),
        _ => FloatType::F32,
    });
    fs_err::create_dir_all(out).map_err(|source| ModelError::Write { path: out.to_path_buf(), source })?;
    refuse_other_weights(out)?;
    let slots = super::slots(m);
    let mut entries = Vec::with_capacity(slots.len());
    for &slot in &slots {
        entries.push(super::Entry { name: hf_tensor_name(c, slot), dims: held_dims(m, slot)?, dtype: dtype.ggml() });
    }
    // transformers applies Gemma's norms as `1 + w`; hfx holds them applied.
    let minus_one = c.arch.is_gemma();
    let e = |err: candle_core::Error| ModelError::Generation(candle_message(&err));
    let weights = out.join("model.safetensors");
    let bytes = super::write::safetensors(
        &weights,
        &entries,
        |i| {
            let slot = slots[i];
            let mut t = held(m, slot).map_err(e)?;
            if let Some(h) = qk_heads(m, slot).filter(|_| c.rope_interleaved) {
                t = reorder(&t, h, unpermute).map_err(e)?;
            }
            if minus_one && slot.is_norm() {
                t = (t - 1.0).map_err(e)?;
            }
            super::encode(&t, dtype.ggml()).map_err(e)
        },
        progress,
    )?;
    let mut written = vec!["config.json".to_string(), "model.safetensors".to_string()];
    match files {
        ModelFiles::Dir(d) => {
            let path = d.join("config.json");
            let mut cfg = read_json(&path)?.ok_or(ModelError::NotFound { path })?;
            if cfg.get("text_config").is_some() {
                // A multimodal checkpoint's text model, written as the text model alone.
                cfg = config_json(c, dtype, &Value::Null);
            } else {
                cfg["torch_dtype"] = json!(dtype.torch());
                if let Some(o) = cfg.as_object_mut() {
                    o.remove("dtype");
                    o.remove("quantization_config");
                }
            }
            write_json(&out.join("config.json"), &cfg)?;
            for f in COPIED {
                let src = d.join(f);
                if src.is_file() {
                    let dest = out.join(f);
                    fs_err::copy(&src, &dest).map_err(|source| ModelError::Write { path: dest, source })?;
                    written.push((*f).to_string());
                }
            }
        }
        ModelFiles::Gguf(_) => {
            let g = model.gguf.as_ref().ok_or_else(|| ModelError::Generation("GGUF header not kept".into()))?;
            written.extend(gguf_tokenizer_files(g, c, dtype, out)?);
        }
        ModelFiles::TokenizerJson(_) => {}
    }
    Ok(Exported {
        path: out.to_path_buf(),
        format: "safetensors",
        tensors: entries.len(),
        bytes,
        merged: model.merged,
        types: type_counts(&entries),
        files: written,
    })
}

/// A folder that already holds other weights (shards and their index, which transformers would
/// load instead of the new `model.safetensors`) is refused rather than left inconsistent.
fn refuse_other_weights(out: &Path) -> Result<()> {
    let entries = fs_err::read_dir(out)?;
    let other = entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).find(|n| {
        n != "model.safetensors"
            && (n.ends_with(".safetensors") || n.ends_with(".safetensors.index.json") || n.ends_with(".gguf"))
    });
    match other {
        Some(name) => Err(ModelError::Export {
            what: format!("`{}` already holds other weights (`{name}`)", out.display()),
            hint: "write to an empty or new folder".into(),
        }),
        None => Ok(()),
    }
}

/// f32 as the short decimal a person (and transformers) would write: 9.99999974e-06 -> 1e-05.
fn short(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// A config.json transformers (and hfx's safetensors loader) reads as `c`. `ids` holds
/// bos/eos/pad token ids.
fn config_json(c: &DecoderConfig, dtype: FloatType, ids: &Value) -> Value {
    let (model_type, class) = c.arch.hf_names();
    let gemma = c.arch.is_gemma();
    let act = match c.activation {
        Activation::Silu => "silu",
        Activation::GeluTanh => "gelu_pytorch_tanh",
    };
    let mut v = json!({
        "architectures": [class],
        "model_type": model_type,
        "attention_bias": c.attn_bias,
        "mlp_bias": false,
        "head_dim": c.head_dim,
        "hidden_act": act,
        "hidden_size": c.hidden_size,
        "intermediate_size": c.intermediate_size,
        "num_hidden_layers": c.num_layers,
        "num_attention_heads": c.num_heads,
        "num_key_value_heads": c.num_kv_heads,
        "rms_norm_eps": short(c.rms_norm_eps as f32),
        "rope_theta": short(c.rope_theta),
        "rope_scaling": null,
        "max_position_embeddings": c.max_position,
        "vocab_size": c.vocab_size,
        "tie_word_embeddings": c.tie_embeddings,
        "bos_token_id": ids["bos"],
        "eos_token_id": ids["eos"],
        "pad_token_id": ids["pad"],
        "torch_dtype": dtype.torch(),
    });
    if gemma {
        v["hidden_activation"] = json!(act);
        v["query_pre_attn_scalar"] = json!((1.0 / (c.attn_scale * c.attn_scale)).round());
        v["attn_logit_softcapping"] = json!(c.attn_softcap);
        v["final_logit_softcapping"] = json!(c.final_softcap);
    }
    if let Some(t) = c.rope_local_theta {
        v["rope_local_base_freq"] = json!(short(t));
    }
    match &c.rope_scaling {
        RopeScaling::Linear(f) => v["rope_scaling"] = json!({"rope_type": "linear", "factor": short(*f)}),
        RopeScaling::Llama3 { factor, low_freq_factor, high_freq_factor, original_max_position } => {
            v["rope_scaling"] = json!({
                "rope_type": "llama3",
                "factor": short(*factor),
                "low_freq_factor": short(*low_freq_factor),
                "high_freq_factor": short(*high_freq_factor),
                "original_max_position_embeddings": original_max_position,
            });
        }
        RopeScaling::None | RopeScaling::Factors(_) => {}
    }
    v["sliding_window"] = json!(c.sliding_window);
    if c.sliding_window.is_some() {
        v["use_sliding_window"] = json!(true);
        v["layer_types"] = json!(
            c.sliding_layers
                .iter()
                .map(|s| if *s { "sliding_attention" } else { "full_attention" })
                .collect::<Vec<_>>()
        );
    }
    v
}

/// config.json, generation_config.json, tokenizer.json and tokenizer_config.json (with the chat
/// template) from a GGUF file's metadata.
fn gguf_tokenizer_files(g: &Gguf, c: &DecoderConfig, dtype: FloatType, out: &Path) -> Result<Vec<String>> {
    let gv = GgufVocab::read(g)?;
    let (sp, chat_template) = (gv.specials.clone(), gv.chat_template.clone());
    let sp = &sp;
    let tokens = g.get("tokenizer.ggml.tokens").and_then(|v| v.to_vec().ok());
    let tok_id = |t: &Option<String>| {
        let t = t.as_ref()?;
        tokens.as_ref()?.iter().position(|x| x.to_string().ok().is_some_and(|s| s == t))
    };
    let ids = json!({"bos": tok_id(&sp.bos), "eos": tok_id(&sp.eos), "pad": tok_id(&sp.pad)});
    write_json(&out.join("config.json"), &config_json(c, dtype, &ids))?;
    write_json(
        &out.join("generation_config.json"),
        &json!({"bos_token_id": ids["bos"], "eos_token_id": ids["eos"], "pad_token_id": ids["pad"]}),
    )?;
    let tokenizer = gv.build(&g.path)?;
    let tok = LoadedTokenizer {
        tokenizer,
        specials: sp.clone(),
        chat_template: chat_template.clone(),
        source: g.path.clone(),
    };
    tok.save_json(&out.join("tokenizer.json"))?;
    let mut tc = json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": sp.add_bos,
        "add_eos_token": sp.add_eos,
        "bos_token": sp.bos,
        "eos_token": sp.eos,
        "unk_token": sp.unk,
        "pad_token": sp.pad,
        "model_max_length": c.max_position,
        "clean_up_tokenization_spaces": false,
    });
    if let Some(t) = &chat_template {
        tc["chat_template"] = json!(t);
    }
    write_json(&out.join("tokenizer_config.json"), &tc)?;
    Ok(["generation_config.json", "tokenizer.json", "tokenizer_config.json"].map(str::to_string).to_vec())
}
