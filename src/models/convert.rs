//! `hfx convert`: a GGUF llama model to a Hugging Face folder (config.json, model.safetensors
//! with HF names and q/k rows un-permuted, tokenizer.json, tokenizer_config.json with the chat
//! template, generation_config.json), so transformers and hfx's safetensors path can load it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use serde_json::json;

use super::decoder::{Arch, DecoderConfig, LLAMA_ROLES, Role, gguf_name, hf_name as layer_name, unpermute};
use super::error::{ModelError, Result, bad_model};
use super::gguf::Gguf;
use super::tokenizer::{GgufVocab, LoadedTokenizer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutDtype {
    F32,
    Bf16,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Converted {
    pub dir: PathBuf,
    pub tensors: usize,
    pub files: Vec<String>,
}

/// The HF name of a GGUF llama tensor, and the heads to un-permute it with (q and k only).
fn hf_name(name: &str, c: &DecoderConfig) -> Option<(String, Option<usize>)> {
    Some(match name {
        "token_embd.weight" => ("model.embed_tokens.weight".into(), None),
        "output_norm.weight" => ("model.norm.weight".into(), None),
        "output.weight" => ("lm_head.weight".into(), None),
        _ => {
            let rest = name.strip_prefix("blk.")?;
            let (i, t) = rest.split_once('.')?;
            let i: usize = i.parse().ok()?;
            let n = t.strip_suffix(".weight")?;
            let role = *LLAMA_ROLES.iter().find(|r| gguf_name(**r) == n)?;
            let hf = layer_name(role, Arch::Llama);
            let heads = match role {
                Role::Q => Some(c.num_heads),
                Role::K => Some(c.num_kv_heads),
                _ => None,
            };
            (format!("model.layers.{i}.{hf}.weight"), heads)
        }
    })
}

/// f32 as the short decimal a person (and transformers) would write: 9.99999974e-06 -> 1e-05.
fn short(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

fn write_json(path: &Path, v: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    crate::cache::atomic_write(path, text.as_bytes())
        .map_err(|e| ModelError::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) })
}

pub fn gguf_to_safetensors(gguf: &Path, out: &Path, dtype: OutDtype) -> Result<Converted> {
    let g = Gguf::open(gguf)?;
    let c = DecoderConfig::from_gguf(&g)?;
    if c.arch != Arch::Llama {
        return Err(ModelError::BadModel {
            path: gguf.to_path_buf(),
            reason: "`hfx convert` writes llama-architecture models only".into(),
        });
    }
    let bad = |reason: String| ModelError::BadModel { path: gguf.to_path_buf(), reason };
    let cerr = bad_model(gguf);
    std::fs::create_dir_all(out).map_err(|source| ModelError::Io { path: out.to_path_buf(), source })?;
    let device = Device::Cpu;
    let mut reader = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(gguf).map_err(|source| ModelError::Io { path: gguf.to_path_buf(), source })?,
    );
    let mut names: Vec<&String> = g.content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: BTreeMap<String, Tensor> = BTreeMap::new();
    for name in names {
        // llama.cpp's precomputed rope factors are not weights of the HF model.
        if name == "rope_freqs.weight" {
            continue;
        }
        let (hf, heads) = hf_name(name, &c).ok_or_else(|| bad(format!("unexpected tensor `{name}`")))?;
        let mut t = g.content.tensor(&mut reader, name, &device).and_then(|q| q.dequantize(&device)).map_err(&cerr)?;
        if let Some(h) = heads {
            t = unpermute(&t, h).map_err(&cerr)?;
        }
        if dtype == OutDtype::Bf16 {
            t = t.to_dtype(DType::BF16).map_err(&cerr)?;
        }
        tensors.insert(hf, t);
    }
    let tied = !tensors.contains_key("lm_head.weight");
    let vocab = tensors.get("model.embed_tokens.weight").and_then(|t| t.dims().first().copied()).unwrap_or(0);

    let st_path = out.join("model.safetensors");
    let tmp = out.join(".model.safetensors.hfx-tmp");
    let map: std::collections::HashMap<String, Tensor> = tensors.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    candle_core::safetensors::save(&map, &tmp).map_err(&cerr)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644));
    }
    std::fs::rename(&tmp, &st_path).map_err(|source| ModelError::Io { path: st_path.clone(), source })?;

    let gv = GgufVocab::read(&g)?;
    let sp = &gv.specials;
    let tok_id = |t: &Option<String>| {
        t.as_ref().and_then(|t| {
            g.get("tokenizer.ggml.tokens")
                .and_then(|v| v.to_vec().ok())
                .and_then(|v| v.iter().position(|x| x.to_string().ok().is_some_and(|s| s == t)))
        })
    };
    let (bos, eos, pad) = (tok_id(&sp.bos), tok_id(&sp.eos), tok_id(&sp.pad));
    write_json(
        &out.join("config.json"),
        &json!({
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "attention_bias": false,
            "mlp_bias": false,
            "head_dim": c.head_dim,
            "hidden_act": "silu",
            "hidden_size": c.hidden_size,
            "intermediate_size": c.intermediate_size,
            "num_hidden_layers": c.num_layers,
            "num_attention_heads": c.num_heads,
            "num_key_value_heads": c.num_kv_heads,
            "rms_norm_eps": short(c.rms_norm_eps as f32),
            "rope_theta": short(c.rope_theta),
            "rope_scaling": null,
            "max_position_embeddings": c.max_position,
            "vocab_size": vocab,
            "tie_word_embeddings": tied,
            "bos_token_id": bos,
            "eos_token_id": eos,
            "pad_token_id": pad,
            "torch_dtype": if dtype == OutDtype::Bf16 { "bfloat16" } else { "float32" },
        }),
    )?;
    write_json(
        &out.join("generation_config.json"),
        &json!({"bos_token_id": bos, "eos_token_id": eos, "pad_token_id": pad}),
    )?;
    let tok = LoadedTokenizer::from_gguf(gguf)?;
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
    if let Some(t) = &gv.chat_template {
        tc["chat_template"] = json!(t);
    }
    write_json(&out.join("tokenizer_config.json"), &tc)?;
    Ok(Converted {
        dir: out.to_path_buf(),
        tensors: tensors.len(),
        files: [
            "config.json",
            "generation_config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
        ]
        .map(str::to_string)
        .to_vec(),
    })
}
