//! Decoder architecture settings from GGUF metadata or an HF `config.json`. The llama family
//! differs in a handful of switches (biases, q/k norms, sandwich norms, soft-capping, sliding
//! windows, rope variants); one config describes them all and one forward pass reads it.

use std::path::Path;

use serde_json::Value;

use crate::models::error::{ModelError, Result};
use crate::models::gguf::Gguf;

/// The model families hfx runs, as `config.json`'s `model_type` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Llama,
    Mistral,
    Qwen2,
    Qwen3,
    Gemma,
    Gemma2,
    Gemma3,
    Phi3,
}

/// `model_type`s the safetensors loader reads.
pub const SAFETENSORS_DECODERS: &[&str] =
    &["llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3"];
/// `general.architecture` values the GGUF loader reads.
pub const GGUF_DECODERS: &[&str] = &["llama", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi3"];

impl Arch {
    pub fn from_model_type(t: &str) -> Option<Self> {
        Some(match t {
            "llama" => Self::Llama,
            "mistral" => Self::Mistral,
            "qwen2" => Self::Qwen2,
            "qwen3" => Self::Qwen3,
            "gemma" => Self::Gemma,
            "gemma2" => Self::Gemma2,
            "gemma3_text" | "gemma3" => Self::Gemma3,
            "phi3" => Self::Phi3,
            _ => return None,
        })
    }

    pub fn is_gemma(self) -> bool {
        matches!(self, Self::Gemma | Self::Gemma2 | Self::Gemma3)
    }

    /// `general.architecture` in GGUF files (llama.cpp writes Mistral models as `llama`).
    pub fn gguf_name(self) -> &'static str {
        match self {
            Self::Llama | Self::Mistral => "llama",
            Self::Qwen2 => "qwen2",
            Self::Qwen3 => "qwen3",
            Self::Gemma => "gemma",
            Self::Gemma2 => "gemma2",
            Self::Gemma3 => "gemma3",
            Self::Phi3 => "phi3",
        }
    }

    /// `model_type` and the class in `architectures` of transformers' config.json.
    pub fn hf_names(self) -> (&'static str, &'static str) {
        match self {
            Self::Llama => ("llama", "LlamaForCausalLM"),
            Self::Mistral => ("mistral", "MistralForCausalLM"),
            Self::Qwen2 => ("qwen2", "Qwen2ForCausalLM"),
            Self::Qwen3 => ("qwen3", "Qwen3ForCausalLM"),
            Self::Gemma => ("gemma", "GemmaForCausalLM"),
            Self::Gemma2 => ("gemma2", "Gemma2ForCausalLM"),
            Self::Gemma3 => ("gemma3_text", "Gemma3ForCausalLM"),
            Self::Phi3 => ("phi3", "Phi3ForCausalLM"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Silu,
    /// `gelu_pytorch_tanh` (Gemma).
    GeluTanh,
}

/// Rope frequency scaling (`rope_scaling`), applied to the inverse frequencies.
#[derive(Debug, Clone, PartialEq)]
pub enum RopeScaling {
    None,
    /// Positions divided by `factor`.
    Linear(f32),
    /// Llama 3.1's per-frequency smoothing.
    Llama3 {
        factor: f32,
        low_freq_factor: f32,
        high_freq_factor: f32,
        original_max_position: usize,
    },
    /// Per-dimension divisors (llama.cpp's `rope_freqs.weight`).
    Factors(Vec<f32>),
}

/// Architecture settings, read from GGUF metadata or config.json.
#[derive(Debug, Clone, PartialEq)]
pub struct DecoderConfig {
    pub arch: Arch,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub head_dim: usize,
    pub vocab_size: usize,
    pub rms_norm_eps: f64,
    pub rope_theta: f32,
    pub rope_scaling: RopeScaling,
    /// Rope base of sliding-window layers where it differs (Gemma 3 local layers).
    pub rope_local_theta: Option<f32>,
    pub max_position: usize,
    /// llama.cpp's q/k row order (llama GGUF files) vs transformers' rotate-half order.
    pub rope_interleaved: bool,
    /// q/k/v projections carry biases (Qwen2, `attention_bias`).
    pub attn_bias: bool,
    /// RMS norms over each head's q and k before rope (Qwen3, Gemma 3).
    pub qk_norm: bool,
    /// Norm weights are stored as `w - 1` and applied as `1 + w` (Gemma in transformers;
    /// llama.cpp's converter already adds the one).
    pub norm_plus_one: bool,
    /// Embeddings multiplied by sqrt(hidden_size) (Gemma).
    pub embed_scale: bool,
    pub activation: Activation,
    /// Norms after attention and after the MLP too (Gemma 2 and 3).
    pub sandwich_norms: bool,
    pub attn_softcap: Option<f32>,
    pub final_softcap: Option<f32>,
    /// Attention scores are multiplied by this (1/sqrt(head_dim) unless the model says).
    pub attn_scale: f64,
    pub sliding_window: Option<usize>,
    /// Per layer: does it use the sliding window?
    pub sliding_layers: Vec<bool>,
    pub tie_embeddings: bool,
}

impl DecoderConfig {
    /// Defaults for `arch` before the size fields are known.
    fn base(arch: Arch) -> Self {
        let gemma = arch.is_gemma();
        Self {
            arch,
            hidden_size: 0,
            intermediate_size: 0,
            num_layers: 0,
            num_heads: 0,
            num_kv_heads: 0,
            head_dim: 0,
            vocab_size: 0,
            rms_norm_eps: 1e-6,
            rope_theta: 10_000.0,
            rope_scaling: RopeScaling::None,
            rope_local_theta: None,
            max_position: 4096,
            rope_interleaved: false,
            attn_bias: arch == Arch::Qwen2,
            qk_norm: matches!(arch, Arch::Qwen3 | Arch::Gemma3),
            norm_plus_one: gemma,
            embed_scale: gemma,
            activation: if gemma { Activation::GeluTanh } else { Activation::Silu },
            sandwich_norms: matches!(arch, Arch::Gemma2 | Arch::Gemma3),
            attn_softcap: None,
            final_softcap: None,
            attn_scale: 0.0,
            sliding_window: None,
            sliding_layers: Vec::new(),
            tie_embeddings: gemma,
        }
    }

    /// Which layers are local: Gemma 2 alternates (even layers), Gemma 3 has 5 local then 1 global.
    fn default_sliding(&self) -> Vec<bool> {
        (0..self.num_layers)
            .map(|i| match self.arch {
                Arch::Gemma2 => i % 2 == 0,
                Arch::Gemma3 => (i + 1) % 6 != 0,
                _ => self.sliding_window.is_some(),
            })
            .collect()
    }

    pub fn from_gguf(g: &Gguf) -> Result<Self> {
        let name = g.architecture().unwrap_or("llama").to_string();
        // Mistral's GGUF name is `llama`: Llama, listed first, claims it.
        let arch = [Arch::Llama, Arch::Qwen2, Arch::Qwen3, Arch::Gemma, Arch::Gemma2, Arch::Gemma3, Arch::Phi3]
            .into_iter()
            .find(|a| a.gguf_name() == name)
            .ok_or_else(|| ModelError::UnsupportedArchitecture { model_type: name.clone() })?;
        let key = |k: &str| format!("{name}.{k}");
        let req = |k: &str| {
            g.u64(&key(k)).map(|v| v as usize).ok_or_else(|| ModelError::GgufKey { path: g.path.clone(), key: key(k) })
        };
        let mut c = Self::base(arch);
        c.hidden_size = req("embedding_length")?;
        c.num_heads = req("attention.head_count")?;
        c.intermediate_size = req("feed_forward_length")?;
        c.num_layers = req("block_count")?;
        c.num_kv_heads = g.u64(&key("attention.head_count_kv")).map_or(c.num_heads, |v| v as usize);
        c.head_dim = g
            .u64(&key("attention.key_length"))
            .or_else(|| g.u64(&key("rope.dimension_count")))
            .map_or(c.hidden_size / c.num_heads, |v| v as usize);
        let vocab = g.get("tokenizer.ggml.tokens").and_then(|v| v.to_vec().ok()).map(Vec::len);
        c.vocab_size = g.u64(&key("vocab_size")).map(|v| v as usize).or(vocab).unwrap_or(0);
        c.rms_norm_eps = f64::from(g.f32(&key("attention.layer_norm_rms_epsilon")).unwrap_or(1e-5));
        c.rope_theta = g.f32(&key("rope.freq_base")).unwrap_or(10_000.0);
        c.max_position = req("context_length")?;
        // convert_hf_to_gguf permutes q/k rows for the llama architecture only.
        c.rope_interleaved = arch == Arch::Llama;
        // ... and adds one to Gemma's norm weights.
        c.norm_plus_one = false;
        c.attn_softcap = g.f32(&key("attn_logit_softcapping")).filter(|v| *v > 0.0);
        c.final_softcap = g.f32(&key("final_logit_softcapping")).filter(|v| *v > 0.0);
        c.sliding_window = g.u64(&key("attention.sliding_window")).map(|v| v as usize).filter(|v| *v > 0);
        if arch == Arch::Gemma3 {
            // llama.cpp hard-codes Gemma 3's local rope base.
            c.rope_local_theta = Some(10_000.0);
        }
        match g.str(&key("rope.scaling.type")) {
            None | Some("none") => {}
            Some("linear") => c.rope_scaling = RopeScaling::Linear(g.f32(&key("rope.scaling.factor")).unwrap_or(1.0)),
            Some(other) => {
                return Err(ModelError::BadModel {
                    path: g.path.clone(),
                    reason: format!("rope scaling `{other}` is not supported (none, linear, llama3)"),
                });
            }
        }
        if g.content.tensor_infos.keys().any(|k| k.starts_with("rope_factors")) {
            return Err(ModelError::BadModel {
                path: g.path.clone(),
                reason: "long-context rope factors (`rope_factors_long/short`) are not supported".into(),
            });
        }
        c.tie_embeddings = !g.content.tensor_infos.contains_key("output.weight");
        c.finish();
        Ok(c)
    }

    /// From the `config.json` of an HF folder.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let path = dir.join("config.json");
        let cfg = crate::models::read_json(&path)?.ok_or_else(|| ModelError::NotFound { path: path.clone() })?;
        Self::from_hf(&cfg, &path)
    }

    /// From an HF `config.json`.
    pub fn from_hf(cfg: &Value, path: &Path) -> Result<Self> {
        let bad = |reason: String| ModelError::BadModel { path: path.to_path_buf(), reason };
        let kind = cfg.get("model_type").and_then(Value::as_str).unwrap_or_default();
        let Some(arch) = Arch::from_model_type(kind) else {
            return Err(ModelError::UnsupportedArchitecture { model_type: kind.to_string() });
        };
        // Gemma 3 multimodal checkpoints nest the language model's settings.
        let cfg = match cfg.get("text_config") {
            Some(t) if kind == "gemma3" => t,
            _ => cfg,
        };
        let u = |k: &str| cfg.get(k).and_then(Value::as_u64).map(|v| v as usize);
        let f = |k: &str| cfg.get(k).and_then(Value::as_f64);
        let b = |k: &str| cfg.get(k).and_then(Value::as_bool);
        let req = |k: &str| u(k).ok_or_else(|| bad(format!("no `{k}`")));
        let mut c = Self::base(arch);
        c.hidden_size = req("hidden_size")?;
        c.num_heads = req("num_attention_heads")?;
        c.intermediate_size = req("intermediate_size")?;
        c.num_layers = req("num_hidden_layers")?;
        c.num_kv_heads = u("num_key_value_heads").unwrap_or(c.num_heads);
        c.head_dim = u("head_dim").unwrap_or(c.hidden_size / c.num_heads);
        c.vocab_size = u("vocab_size").unwrap_or(0);
        c.rms_norm_eps = f("rms_norm_eps").unwrap_or(1e-6);
        c.rope_theta = f("rope_theta").unwrap_or(10_000.0) as f32;
        c.rope_local_theta = f("rope_local_base_freq").map(|v| v as f32);
        c.max_position = u("max_position_embeddings").unwrap_or(4096);
        if let Some(bias) = b("attention_bias") {
            c.attn_bias = bias;
        }
        if b("mlp_bias") == Some(true) {
            return Err(bad("`mlp_bias` is not supported".into()));
        }
        let act = cfg.get("hidden_activation").or_else(|| cfg.get("hidden_act")).and_then(Value::as_str);
        c.activation = match act {
            None => c.activation,
            Some("silu" | "swish") => Activation::Silu,
            Some("gelu_pytorch_tanh" | "gelu" | "gelu_new") => Activation::GeluTanh,
            Some(other) => return Err(bad(format!("activation `{other}` is not supported"))),
        };
        c.attn_softcap = f("attn_logit_softcapping").map(|v| v as f32);
        c.final_softcap = f("final_logit_softcapping").map(|v| v as f32);
        if let Some(s) = f("query_pre_attn_scalar") {
            c.attn_scale = 1.0 / s.sqrt();
        }
        // Mistral and Qwen2 name a window they do not use unless told (use_sliding_window).
        let window_used = match arch {
            Arch::Qwen2 | Arch::Qwen3 => b("use_sliding_window").unwrap_or(false),
            _ => true,
        };
        c.sliding_window = u("sliding_window").filter(|_| window_used);
        if let Some(types) = cfg.get("layer_types").and_then(Value::as_array) {
            c.sliding_layers = types.iter().map(|t| t.as_str() == Some("sliding_attention")).collect();
        }
        if let Some(p) = u("sliding_window_pattern").filter(|p| *p > 0)
            && c.sliding_layers.is_empty()
        {
            c.sliding_layers = (0..c.num_layers).map(|i| (i + 1) % p != 0).collect();
        }
        c.tie_embeddings = b("tie_word_embeddings").unwrap_or(c.tie_embeddings);
        if f("partial_rotary_factor").is_some_and(|p| p != 1.0) {
            return Err(bad("partial rotary embeddings (`partial_rotary_factor`) are not supported".into()));
        }
        c.rope_scaling = match cfg.get("rope_scaling") {
            None | Some(Value::Null) => RopeScaling::None,
            Some(r) => {
                let kind = r.get("rope_type").or_else(|| r.get("type")).and_then(Value::as_str).unwrap_or("default");
                let rf = |k: &str| r.get(k).and_then(Value::as_f64).map(|v| v as f32);
                match kind {
                    "default" => RopeScaling::None,
                    "linear" => RopeScaling::Linear(rf("factor").unwrap_or(1.0)),
                    "llama3" => RopeScaling::Llama3 {
                        factor: rf("factor").unwrap_or(8.0),
                        low_freq_factor: rf("low_freq_factor").unwrap_or(1.0),
                        high_freq_factor: rf("high_freq_factor").unwrap_or(4.0),
                        original_max_position: r
                            .get("original_max_position_embeddings")
                            .and_then(Value::as_u64)
                            .map_or(8192, |v| v as usize),
                    },
                    other => {
                        return Err(bad(format!("rope scaling `{other}` is not supported (linear and llama3 are)")));
                    }
                }
            }
        };
        c.finish();
        Ok(c)
    }

    fn finish(&mut self) {
        if self.attn_scale == 0.0 {
            self.attn_scale = 1.0 / (self.head_dim as f64).sqrt();
        }
        if self.sliding_layers.len() != self.num_layers {
            self.sliding_layers = self.default_sliding();
        }
        if self.sliding_window.is_none() {
            self.sliding_layers.iter_mut().for_each(|s| *s = false);
        }
    }

    /// Inverse rope frequencies for a layer (local layers may use another base).
    pub fn inv_freqs(&self, local: bool) -> Vec<f32> {
        let theta = if local { self.rope_local_theta.unwrap_or(self.rope_theta) } else { self.rope_theta };
        let d = self.head_dim as f32;
        let base: Vec<f32> = (0..self.head_dim / 2).map(|i| 1.0 / theta.powf(2.0 * i as f32 / d)).collect();
        // Gemma 3 scales only its global layers.
        if local && self.rope_local_theta.is_some() {
            return base;
        }
        match &self.rope_scaling {
            RopeScaling::None => base,
            RopeScaling::Linear(f) => base.iter().map(|x| x / f).collect(),
            RopeScaling::Factors(fs) => base.iter().zip(fs).map(|(x, f)| x / f).collect(),
            RopeScaling::Llama3 { factor, low_freq_factor, high_freq_factor, original_max_position } => {
                let old = *original_max_position as f32;
                let low_wavelen = old / low_freq_factor;
                let high_wavelen = old / high_freq_factor;
                base.iter()
                    .map(|&f| {
                        let wavelen = 2.0 * std::f32::consts::PI / f;
                        if wavelen < high_wavelen {
                            f
                        } else if wavelen > low_wavelen {
                            f / factor
                        } else {
                            let smooth = (old / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
                            (1.0 - smooth) * f / factor + smooth * f
                        }
                    })
                    .collect()
            }
        }
    }
}
