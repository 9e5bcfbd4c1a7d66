//! hfx's own decoder for the llama family, on candle-core tensors. It returns full
//! (batch, seq, vocab) logits, keeps one KV cache per sequence, and every projection is an
//! hfx `Linear` that can carry a LoRA adapter: what `run`, `serve` (continuous batching) and
//! `finetune` need, and what candle-transformers' private, last-position-only models do not
//! offer (inference-anchors.md section 0).
//!
//! Weights come from GGUF (dequantized to f32 today) or HF safetensors. GGUF stores q/k rows in
//! llama.cpp's interleaved rope order, so those models use interleaved rope; HF weights use the
//! rotate-half form. Both compute the same function.

use std::io::BufReader;
use std::path::Path;

use candle_core::{DType, Device, Tensor};

use super::error::{ModelError, Result};
use super::gguf::Gguf;

/// Architecture settings, read from GGUF metadata or config.json.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub head_dim: usize,
    pub vocab_size: usize,
    pub rms_norm_eps: f64,
    pub rope_theta: f32,
    pub max_position: usize,
    /// llama.cpp's q/k row order (GGUF) vs transformers' (safetensors).
    pub rope_interleaved: bool,
}

/// A LoRA adapter on one projection: `y += scale * (x A^T) B^T`.
#[derive(Debug, Clone)]
pub struct Lora {
    pub a: Tensor,
    pub b: Tensor,
    pub scale: f64,
}

/// A projection `y = x W^T` (+ LoRA), weights `(out, in)`.
#[derive(Debug, Clone)]
pub struct Linear {
    pub weight: Tensor,
    pub lora: Option<Lora>,
}

impl Linear {
    pub fn new(weight: Tensor) -> Self {
        Self { weight, lora: None }
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = x.broadcast_matmul(&self.weight.t()?)?;
        match &self.lora {
            None => Ok(y),
            Some(l) => {
                let delta = x.broadcast_matmul(&l.a.t()?)?.broadcast_matmul(&l.b.t()?)?;
                y + (delta * l.scale)?
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub attn_norm: Tensor,
    pub q: Linear,
    pub k: Linear,
    pub v: Linear,
    pub o: Linear,
    pub ffn_norm: Tensor,
    pub gate: Linear,
    pub up: Linear,
    pub down: Linear,
}

/// A layer's tensors in `Layer` field order, as GGUF and transformers name them.
pub const GGUF_LAYER: [&str; 9] =
    ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"];
pub const HF_LAYER: [&str; 9] = [
    "input_layernorm",
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "post_attention_layernorm",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
];

impl Layer {
    fn load(mut get: impl FnMut(&str) -> Result<Tensor>, names: &[&str; 9]) -> Result<Self> {
        Ok(Self {
            attn_norm: get(names[0])?,
            q: Linear::new(get(names[1])?),
            k: Linear::new(get(names[2])?),
            v: Linear::new(get(names[3])?),
            o: Linear::new(get(names[4])?),
            ffn_norm: get(names[5])?,
            gate: Linear::new(get(names[6])?),
            up: Linear::new(get(names[7])?),
            down: Linear::new(get(names[8])?),
        })
    }
}

pub struct Llama {
    pub config: LlamaConfig,
    pub embed: Tensor,
    pub layers: Vec<Layer>,
    pub norm: Tensor,
    pub lm_head: Linear,
    cos: Tensor,
    sin: Tensor,
    pub device: Device,
    /// End-of-sequence ids from the model's metadata (EOS and end-of-turn).
    pub eos_ids: Vec<u32>,
}

/// One sequence's keys and values per layer: `(1, kv_heads, positions, head_dim)`.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
}

impl KvCache {
    pub fn new(layers: usize) -> Self {
        Self { layers: vec![None; layers] }
    }

    /// Positions already cached.
    pub fn len(&self) -> usize {
        self.layers.first().and_then(|l| l.as_ref()).map_or(0, |(k, _)| k.dims()[2])
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn cerr(path: &Path) -> impl Fn(candle_core::Error) -> ModelError + '_ {
    move |e| ModelError::BadModel {
        path: path.to_path_buf(),
        reason: e.to_string().lines().next().unwrap_or_default().to_string(),
    }
}

impl LlamaConfig {
    pub fn from_gguf(g: &Gguf) -> Result<Self> {
        let arch = g.architecture().unwrap_or("llama").to_string();
        if arch != "llama" {
            return Err(ModelError::UnsupportedArchitecture { model_type: arch });
        }
        let key = |k: &str| format!("{arch}.{k}");
        let req = |k: &str| {
            g.u64(&key(k)).map(|v| v as usize).ok_or_else(|| ModelError::GgufKey { path: g.path.clone(), key: key(k) })
        };
        let hidden_size = req("embedding_length")?;
        let num_heads = req("attention.head_count")?;
        let vocab = g.get("tokenizer.ggml.tokens").and_then(|v| v.to_vec().ok()).map(Vec::len);
        Ok(Self {
            hidden_size,
            intermediate_size: req("feed_forward_length")?,
            num_layers: req("block_count")?,
            num_heads,
            num_kv_heads: g.u64(&key("attention.head_count_kv")).map_or(num_heads, |v| v as usize),
            head_dim: g.u64(&key("rope.dimension_count")).map_or(hidden_size / num_heads, |v| v as usize),
            vocab_size: g.u64(&key("vocab_size")).map(|v| v as usize).or(vocab).unwrap_or(0),
            rms_norm_eps: f64::from(g.f32(&key("attention.layer_norm_rms_epsilon")).unwrap_or(1e-5)),
            rope_theta: g.f32(&key("rope.freq_base")).unwrap_or(10_000.0),
            max_position: req("context_length")?,
            rope_interleaved: true,
        })
    }
}

impl LlamaConfig {
    /// From an HF `config.json` (llama and mistral: the same block).
    pub fn from_hf(cfg: &serde_json::Value, path: &Path) -> Result<Self> {
        let bad = |reason: String| ModelError::BadModel { path: path.to_path_buf(), reason };
        let kind = cfg.get("model_type").and_then(serde_json::Value::as_str).unwrap_or_default();
        if !SAFETENSORS_DECODERS.contains(&kind) {
            return Err(ModelError::DecoderPending { what: format!("decoder models (`{kind}`)") });
        }
        if cfg.get("rope_scaling").is_some_and(|v| !v.is_null()) {
            return Err(bad("`rope_scaling` is not supported yet".into()));
        }
        let req = |k: &str| {
            cfg.get(k).and_then(serde_json::Value::as_u64).map(|v| v as usize).ok_or_else(|| bad(format!("no `{k}`")))
        };
        let hidden_size = req("hidden_size")?;
        let num_heads = req("num_attention_heads")?;
        Ok(Self {
            hidden_size,
            intermediate_size: req("intermediate_size")?,
            num_layers: req("num_hidden_layers")?,
            num_heads,
            num_kv_heads: req("num_key_value_heads").unwrap_or(num_heads),
            head_dim: req("head_dim").unwrap_or(hidden_size / num_heads),
            vocab_size: req("vocab_size").unwrap_or(0),
            rms_norm_eps: cfg.get("rms_norm_eps").and_then(serde_json::Value::as_f64).unwrap_or(1e-6),
            rope_theta: cfg.get("rope_theta").and_then(serde_json::Value::as_f64).unwrap_or(10_000.0) as f32,
            max_position: req("max_position_embeddings").unwrap_or(4096),
            rope_interleaved: false,
        })
    }
}

/// `model_type`s the safetensors loader reads (the same llama block).
pub const SAFETENSORS_DECODERS: &[&str] = &["llama", "mistral"];

/// llama.cpp's q/k row order back to transformers' (the inverse of convert_hf_to_gguf's permute).
pub fn unpermute(w: &Tensor, heads: usize) -> candle_core::Result<Tensor> {
    let (out, inp) = w.dims2()?;
    w.reshape((heads, out / heads / 2, 2, inp))?.transpose(1, 2)?.reshape((out, inp))
}

/// transformers' q/k row order to llama.cpp's (convert_hf_to_gguf's permute).
pub fn permute(w: &Tensor, heads: usize) -> candle_core::Result<Tensor> {
    let (out, inp) = w.dims2()?;
    w.reshape((heads, 2, out / heads / 2, inp))?.transpose(1, 2)?.reshape((out, inp))
}

impl Llama {
    /// Load an HF folder (config.json + model.safetensors or shards), weights as f32.
    pub fn from_safetensors(dir: &Path, device: &Device) -> Result<Self> {
        let cfg_path = dir.join("config.json");
        let raw = std::fs::read(&cfg_path).map_err(|source| ModelError::Io { path: cfg_path.clone(), source })?;
        let cfg: serde_json::Value = serde_json::from_slice(&raw)
            .map_err(|e| ModelError::BadModel { path: cfg_path.clone(), reason: e.to_string() })?;
        let config = LlamaConfig::from_hf(&cfg, &cfg_path)?;
        let files = super::embed::safetensors_files(dir)?;
        let e = cerr(&files[0]);
        // SAFETY: the weights are memory-mapped read-only from the cache or a folder hfx does not
        // write to while loading; safetensors validates offsets against the file length.
        #[allow(unsafe_code)]
        let st = unsafe { candle_core::safetensors::MmapedSafetensors::multi(&files) }.map_err(&e)?;
        let get = |name: &str| st.load(name, device).and_then(|t| t.to_dtype(DType::F32)).map_err(&e);
        let mut layers = Vec::with_capacity(config.num_layers);
        for i in 0..config.num_layers {
            layers.push(Layer::load(|n| get(&format!("model.layers.{i}.{n}.weight")), &HF_LAYER)?);
        }
        let embed = get("model.embed_tokens.weight")?;
        let tied = cfg.get("tie_word_embeddings").and_then(serde_json::Value::as_bool).unwrap_or(false);
        let lm_head = match st.get("lm_head.weight") {
            Ok(_) if !tied => Linear::new(get("lm_head.weight")?),
            _ => Linear::new(embed.clone()),
        };
        let norm = get("model.norm.weight")?;
        let mut m = Self::assemble(config, embed, layers, norm, lm_head, device, &files[0])?;
        m.eos_ids = eos_ids_of(dir);
        Ok(m)
    }

    /// Load a GGUF llama model, dequantizing every tensor to f32.
    pub fn from_gguf(path: &Path, device: &Device) -> Result<Self> {
        let g = Gguf::open(path)?;
        let config = LlamaConfig::from_gguf(&g)?;
        let file = std::fs::File::open(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let e = cerr(path);
        let mut get = |name: &str| -> Result<Tensor> {
            let q = g.content.tensor(&mut reader, name, device).map_err(&e)?;
            q.dequantize(device).map_err(&e)
        };
        let mut layers = Vec::with_capacity(config.num_layers);
        for i in 0..config.num_layers {
            layers.push(Layer::load(|n| get(&format!("blk.{i}.{n}.weight")), &GGUF_LAYER)?);
        }
        let embed = get("token_embd.weight")?;
        let norm = get("output_norm.weight")?;
        let lm_head = if g.content.tensor_infos.contains_key("output.weight") {
            Linear::new(get("output.weight")?)
        } else {
            Linear::new(embed.clone())
        };
        let mut m = Self::assemble(config, embed, layers, norm, lm_head, device, path)?;
        m.eos_ids =
            ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"].iter().filter_map(|k| g.u32(k)).collect();
        m.eos_ids.dedup();
        Ok(m)
    }

    fn assemble(
        mut config: LlamaConfig,
        embed: Tensor,
        layers: Vec<Layer>,
        norm: Tensor,
        lm_head: Linear,
        device: &Device,
        path: &Path,
    ) -> Result<Self> {
        let e = cerr(path);
        let (vocab, hidden) = embed.dims2().map_err(&e)?;
        if hidden != config.hidden_size {
            return Err(ModelError::BadModel {
                path: path.to_path_buf(),
                reason: format!("embedding width {hidden} != hidden size {}", config.hidden_size),
            });
        }
        config.vocab_size = vocab;
        let half = config.head_dim / 2;
        let inv: Vec<f32> =
            (0..half).map(|i| 1.0 / config.rope_theta.powf(2.0 * i as f32 / config.head_dim as f32)).collect();
        let positions = config.max_position.min(1 << 16);
        let inv = Tensor::from_vec(inv, (1, half), device).map_err(&e)?;
        let t = Tensor::arange(0u32, positions as u32, device)
            .and_then(|t| t.to_dtype(DType::F32))
            .and_then(|t| t.reshape((positions, 1)))
            .map_err(&e)?;
        let freqs = t.broadcast_mul(&inv).map_err(&e)?;
        Ok(Self {
            cos: freqs.cos().map_err(&e)?,
            sin: freqs.sin().map_err(&e)?,
            config,
            embed,
            layers,
            norm,
            lm_head,
            device: device.clone(),
            eos_ids: Vec::new(),
        })
    }

    /// Logits `(1, tokens, vocab)` for `tokens` following what `cache` holds; the cache grows.
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> candle_core::Result<Tensor> {
        let c = &self.config;
        let t = tokens.len();
        let pos = cache.len();
        if pos + t > self.cos.dims()[0] {
            candle_core::bail!("{} positions exceed the context of {}", pos + t, self.cos.dims()[0]);
        }
        if cache.layers.len() != self.layers.len() {
            *cache = KvCache::new(self.layers.len());
        }
        let ids = Tensor::new(tokens, &self.device)?;
        let mut x = self.embed.index_select(&ids, 0)?.unsqueeze(0)?; // (1, t, hidden)
        let cos = self.cos.narrow(0, pos, t)?;
        let sin = self.sin.narrow(0, pos, t)?;
        let mask = if t > 1 { Some(causal_mask(t, pos, &self.device)?) } else { None };
        let groups = c.num_heads / c.num_kv_heads;
        for (layer, slot) in self.layers.iter().zip(cache.layers.iter_mut()) {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, c.rms_norm_eps as f32)?;
            let heads = |y: Tensor, n: usize| y.reshape((1, t, n, c.head_dim))?.transpose(1, 2)?.contiguous();
            let q = heads(layer.q.forward(&h)?, c.num_heads)?;
            let k = heads(layer.k.forward(&h)?, c.num_kv_heads)?;
            let v = heads(layer.v.forward(&h)?, c.num_kv_heads)?;
            let (q, k) = if c.rope_interleaved {
                (candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?, candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?)
            } else {
                (candle_nn::rotary_emb::rope(&q, &cos, &sin)?, candle_nn::rotary_emb::rope(&k, &cos, &sin)?)
            };
            let (k, v) = match slot.take() {
                None => (k, v),
                Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?),
            };
            *slot = Some((k.clone(), v.clone()));
            let k = repeat_kv(&k, groups)?;
            let v = repeat_kv(&v, groups)?;
            let scale = 1.0 / (c.head_dim as f64).sqrt();
            let mut att = (q.matmul(&k.t()?.contiguous()?)? * scale)?;
            if let Some(m) = &mask {
                att = att.broadcast_add(m)?;
            }
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&v)?.transpose(1, 2)?.reshape((1, t, c.num_heads * c.head_dim))?;
            x = (x + layer.o.forward(&y)?)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, c.rms_norm_eps as f32)?;
            let mlp = (candle_nn::ops::silu(&layer.gate.forward(&h)?)? * layer.up.forward(&h)?)?;
            x = (x + layer.down.forward(&mlp)?)?;
        }
        let x = candle_nn::ops::rms_norm(&x, &self.norm, c.rms_norm_eps as f32)?;
        self.lm_head.forward(&x)
    }

    /// Logits of the last position as a vector.
    pub fn last_logits(logits: &Tensor) -> candle_core::Result<Vec<f32>> {
        let t = logits.dim(1)?;
        logits.narrow(1, t - 1, 1)?.flatten_all()?.to_vec1()
    }
}

/// EOS ids from generation_config.json, then config.json (an id or a list of ids).
fn eos_ids_of(dir: &Path) -> Vec<u32> {
    let mut ids = Vec::new();
    for f in ["generation_config.json", "config.json"] {
        let Ok(raw) = std::fs::read(dir.join(f)) else { continue };
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&raw) else { continue };
        match v.get("eos_token_id") {
            Some(serde_json::Value::Number(n)) => ids.extend(n.as_u64().map(|x| x as u32)),
            Some(serde_json::Value::Array(a)) => ids.extend(a.iter().filter_map(|x| x.as_u64()).map(|x| x as u32)),
            _ => {}
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// `(t, pos + t)`: position i of the new tokens sees cached positions and new ones up to i.
fn causal_mask(t: usize, pos: usize, device: &Device) -> candle_core::Result<Tensor> {
    let total = pos + t;
    let mask: Vec<f32> =
        (0..t).flat_map(|i| (0..total).map(move |j| if j > pos + i { f32::NEG_INFINITY } else { 0.0 })).collect();
    Tensor::from_vec(mask, (t, total), device)
}

fn repeat_kv(x: &Tensor, n: usize) -> candle_core::Result<Tensor> {
    if n == 1 {
        return Ok(x.clone());
    }
    let (b, h, t, d) = x.dims4()?;
    x.unsqueeze(2)?.expand((b, h, n, t, d))?.reshape((b, h * n, t, d))
}

/// Argmax of a logits vector (first index on ties, as torch does).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, v) in logits.iter().enumerate() {
        if *v > logits[best] {
            best = i;
        }
    }
    best as u32
}
