//! hfx's own decoder for the llama family (llama, mistral, qwen2, qwen3, gemma 1-3, phi3), on
//! candle-core tensors. It returns full (batch, seq, vocab) logits or the last position's, keeps
//! one KV cache per sequence and runs a step over several sequences at once (what `serve`'s
//! continuous batching schedules), and every projection is an hfx `Linear` that can carry a
//! LoRA adapter: what `run`, `serve` and `finetune` need, and what candle-transformers'
//! private, last-position-only models do not offer (inference-anchors.md section 0).
//!
//! Weights come from GGUF (kept quantized, or dequantized on request) or HF safetensors. Llama
//! GGUF files store q/k rows in llama.cpp's interleaved rope order, so those use interleaved
//! rope; everything else uses the rotate-half form. Both compute the same function.

mod buffers;
pub mod config;
mod cpu_ops;
mod decode;
mod kv;
pub mod linear;
mod names;
pub mod packed;
mod rope;
mod safetensors;
mod source;

use std::path::Path;

use candle_core::quantized::GgmlDType;
use candle_core::{Device, Tensor};

pub use config::{Activation, Arch, DecoderConfig, GGUF_DECODERS, RopeScaling, SAFETENSORS_DECODERS};
pub use kv::KvCache;
pub use linear::{Linear, Lora, RmsNorm, RowSpan, Weight};
pub use names::{Role, gguf_name, hf_name};
use rope::Rope;
pub(crate) use rope::{Angles, for_layer, rotate};

use super::error::{ModelError, Result, bad_model as cerr};
use super::gguf::Gguf;
use source::{GgufSource, SafetensorsSource, Source};

#[derive(Debug, Clone)]
pub struct Layer {
    pub attn_norm: RmsNorm,
    pub q: Linear,
    pub k: Linear,
    pub v: Linear,
    pub o: Linear,
    pub q_norm: Option<RmsNorm>,
    pub k_norm: Option<RmsNorm>,
    pub post_attn_norm: Option<RmsNorm>,
    pub ffn_norm: RmsNorm,
    pub gate: Linear,
    pub up: Linear,
    pub down: Linear,
    pub post_ffn_norm: Option<RmsNorm>,
    /// Attends only to the last `sliding_window` positions.
    pub sliding: bool,
}

/// How weights are held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightDtype {
    /// As stored: GGUF blocks stay quantized, f16/bf16 matrices stay 16-bit (in hfx's kernels
    /// on the CPU), f32 stays f32.
    #[default]
    Native,
    F32,
    F16,
    Bf16,
    /// Float weight matrices quantized to these blocks while loading, one tensor at a time
    /// (mistral.rs's in-situ quantization): `Q8_0`, `Q4_0`, `Q4K`, `Q5K` or `Q6K`, each fitted
    /// to the row width as llama-quantize does (Q4_K rows that are not a multiple of 256 take
    /// Q5_0, Q5_K rows Q5_1).
    /// Quantized GGUF tensors stay as they are.
    Quant(GgmlDType),
}

impl WeightDtype {
    /// The storage of the output projection (or the embedding tied to it): llama-quantize's
    /// 4-bit presets give it Q6_K, which logits need.
    pub fn for_output(self) -> Self {
        match self {
            Self::Quant(GgmlDType::Q4_0 | GgmlDType::Q4K | GgmlDType::Q5K) => Self::Quant(GgmlDType::Q6K),
            other => other,
        }
    }
}

/// One sequence's part of a forward step.
pub struct Step<'a> {
    pub tokens: &'a [u32],
    pub cache: &'a mut KvCache,
    /// The adapter slot this sequence's rows use (`Linear::adapters`), besides any `lora`.
    pub adapter: Option<usize>,
}

/// One sequence's rows in a batched forward step: its tokens are rows `start..start + len` of
/// the step, at positions `pos..pos + len` of its own sequence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) len: usize,
    pub(crate) pos: usize,
}

/// Which positions get logits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logits {
    All,
    /// The last position of each sequence (generation: skips the vocabulary projection for the
    /// rest of the prompt).
    Last,
    /// As `Last`, for prompt tokens: always through the prompt kernels, even when each sequence
    /// feeds one token, so that a prompt's numbers do not depend on how much of it a cache held
    /// (AMX's prompt kernels sum in another order than the decode kernels).
    Prompt,
}

pub struct Decoder {
    pub config: DecoderConfig,
    pub embed: Weight,
    pub layers: Vec<Layer>,
    pub norm: RmsNorm,
    pub lm_head: Linear,
    rope: Rope,
    rope_local: Option<Rope>,
    pub device: Device,
    /// End-of-sequence ids from the model's metadata (EOS and end-of-turn).
    pub eos_ids: Vec<u32>,
}

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

impl Decoder {
    /// Load an HF folder (config.json + model.safetensors or shards).
    pub fn from_safetensors(dir: &Path, device: &Device, dtype: WeightDtype) -> Result<Self> {
        let config = DecoderConfig::from_dir(dir)?;
        let files = super::embed::safetensors_files(dir)?;
        let st = safetensors::SafetensorsFiles::open(&files)?;
        let mut src = SafetensorsSource { st, device: device.clone() };
        // Gemma 3 multimodal checkpoints keep the language model under another prefix.
        let prefix = ["model.", "model.language_model.", "language_model.model."]
            .into_iter()
            .find(|p| src.has(&format!("{p}embed_tokens.weight")))
            .unwrap_or("model.");
        let arch = config.arch;
        let mut m = Self::load(
            config,
            &mut src,
            dtype,
            device,
            &|i, role| format!("{prefix}layers.{i}.{}", hf_name(role, arch)),
            [format!("{prefix}embed_tokens.weight"), format!("{prefix}norm.weight"), "lm_head.weight".to_string()],
        )?;
        m.eos_ids = eos_ids_of(dir);
        Ok(m)
    }

    /// Load a GGUF model; quantized tensors stay quantized unless `dtype` says otherwise.
    pub fn from_gguf(path: &Path, device: &Device, dtype: WeightDtype) -> Result<Self> {
        Self::from_parsed_gguf(&Gguf::open(path)?, device, dtype)
    }

    /// `from_gguf` on an already parsed header (the tokenizer's arrays may have been split off).
    pub fn from_parsed_gguf(g: &Gguf, device: &Device, dtype: WeightDtype) -> Result<Self> {
        let path = g.path.as_path();
        let mut config = DecoderConfig::from_gguf(g)?;
        let mut src = GgufSource::open(g, device)?;
        if src.has("rope_freqs.weight") {
            let f = src.tensor("rope_freqs.weight")?.to_vec1::<f32>().map_err(cerr(path))?;
            config.rope_scaling = RopeScaling::Factors(f);
        }
        let mut m = Self::load(
            config,
            &mut src,
            dtype,
            device,
            &|i, role| format!("blk.{i}.{}", gguf_name(role)),
            ["token_embd.weight".to_string(), "output_norm.weight".to_string(), "output.weight".to_string()],
        )?;
        m.eos_ids =
            ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"].iter().filter_map(|k| g.u32(k)).collect();
        m.eos_ids.dedup();
        Ok(m)
    }

    /// `name(layer, role)` is a projection's tensor name without `.weight`/`.bias` (both formats
    /// end that way); the three others are the embeddings', final norm's and output's.
    fn load(
        config: DecoderConfig,
        src: &mut dyn Source,
        dtype: WeightDtype,
        device: &Device,
        name: &dyn Fn(usize, Role) -> String,
        [embed_name, norm_name, head_name]: [String; 3],
    ) -> Result<Self> {
        let c = &config;
        let eps = c.rms_norm_eps;
        let plus_one = c.norm_plus_one;
        let mut layers = Vec::with_capacity(c.num_layers);
        for i in 0..c.num_layers {
            let n = |role: Role| format!("{}.weight", name(i, role));
            let norm = |src: &mut dyn Source, role: Role| -> Result<RmsNorm> {
                let t = src.tensor(&n(role))?;
                RmsNorm::new(t, eps, plus_one).map_err(|e| ModelError::Generation(e.to_string()))
            };
            let attn_norm = norm(src, Role::AttnNorm)?;
            let ffn_norm = norm(src, Role::FfnNorm)?;
            let (q_norm, k_norm) =
                if c.qk_norm { (Some(norm(src, Role::QNorm)?), Some(norm(src, Role::KNorm)?)) } else { (None, None) };
            let (post_attn_norm, post_ffn_norm) = if c.sandwich_norms {
                (Some(norm(src, Role::PostAttnNorm)?), Some(norm(src, Role::PostFfnNorm)?))
            } else {
                (None, None)
            };
            let split_err = |e: candle_core::Error| ModelError::Generation(e.to_string());
            let (mut q, mut k, mut v) = if src.has(&n(Role::Qkv)) {
                let qkv = src.weight(&n(Role::Qkv), dtype)?;
                let (hq, hk) = (c.num_heads * c.head_dim, c.num_kv_heads * c.head_dim);
                (
                    Linear::new(qkv.rows(0, hq).map_err(split_err)?),
                    Linear::new(qkv.rows(hq, hk).map_err(split_err)?),
                    Linear::new(qkv.rows(hq + hk, hk).map_err(split_err)?),
                )
            } else {
                (
                    Linear::new(src.weight(&n(Role::Q), dtype)?),
                    Linear::new(src.weight(&n(Role::K), dtype)?),
                    Linear::new(src.weight(&n(Role::V), dtype)?),
                )
            };
            if c.attn_bias {
                let b = |role: Role| format!("{}.bias", name(i, role));
                q.bias = Some(src.tensor(&b(Role::Q))?);
                k.bias = Some(src.tensor(&b(Role::K))?);
                v.bias = Some(src.tensor(&b(Role::V))?);
            }
            let o = Linear::new(src.weight(&n(Role::O), dtype)?);
            let fused_mlp = c.arch == Arch::Phi3 && !src.has(&n(Role::Gate));
            let (gate, up) = if fused_mlp {
                let gu = src.weight(&n(Role::GateUp), dtype)?;
                let ff = c.intermediate_size;
                (Linear::new(gu.rows(0, ff).map_err(split_err)?), Linear::new(gu.rows(ff, ff).map_err(split_err)?))
            } else {
                (Linear::new(src.weight(&n(Role::Gate), dtype)?), Linear::new(src.weight(&n(Role::Up), dtype)?))
            };
            let down = Linear::new(src.weight(&n(Role::Down), dtype)?);
            layers.push(Layer {
                attn_norm,
                q,
                k,
                v,
                o,
                q_norm,
                k_norm,
                post_attn_norm,
                ffn_norm,
                gate,
                up,
                down,
                post_ffn_norm,
                sliding: c.sliding_layers.get(i).copied().unwrap_or(false),
            });
        }
        let untied = src.has(&head_name) && !config.tie_embeddings;
        let embed = src.weight(&embed_name, if untied { dtype } else { dtype.for_output() })?;
        let norm =
            RmsNorm::new(src.tensor(&norm_name)?, eps, plus_one).map_err(|e| ModelError::Generation(e.to_string()))?;
        let lm_head =
            if untied { Linear::new(src.weight(&head_name, dtype.for_output())?) } else { Linear::new(embed.clone()) };
        Self::assemble(config, embed, layers, norm, lm_head, device)
    }

    fn assemble(
        mut config: DecoderConfig,
        embed: Weight,
        layers: Vec<Layer>,
        norm: RmsNorm,
        lm_head: Linear,
        device: &Device,
    ) -> Result<Self> {
        let e = |e: candle_core::Error| ModelError::Generation(e.to_string());
        let (vocab, hidden) = embed.dims2().map_err(e)?;
        if hidden != config.hidden_size {
            return Err(ModelError::Generation(format!(
                "embedding width {hidden} != hidden size {}",
                config.hidden_size
            )));
        }
        config.vocab_size = vocab;
        let rope = Rope { inv_freqs: config.inv_freqs(false) };
        let rope_local = config.rope_local_theta.map(|_| Rope { inv_freqs: config.inv_freqs(true) });
        Ok(Self { config, embed, layers, norm, lm_head, rope, rope_local, device: device.clone(), eos_ids: Vec::new() })
    }

    /// Every weight matrix once (a tied output projection is the embedding).
    fn matrices(&self) -> impl Iterator<Item = &Weight> {
        let head = (!self.tied()).then_some(&self.lm_head.weight);
        std::iter::once(&self.embed).chain(head).chain(
            self.layers.iter().flat_map(|l| [&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down].map(|x| &x.weight)),
        )
    }

    /// Weight bytes held in memory.
    pub fn weight_bytes(&self) -> usize {
        self.matrices().map(Weight::size_in_bytes).sum()
    }

    /// Parameters (elements of every weight; tied embeddings counted once).
    pub fn parameters(&self) -> usize {
        self.matrices().map(|w| w.dims2().map_or(0, |(a, b)| a * b)).sum()
    }

    pub fn tied(&self) -> bool {
        match (&self.embed, &self.lm_head.weight) {
            (Weight::Quant(a), Weight::Quant(b)) => std::sync::Arc::ptr_eq(a, b),
            (Weight::Packed(a), Weight::Packed(b)) => std::sync::Arc::ptr_eq(a, b),
            (Weight::Dense(a), Weight::Dense(b)) => a.id() == b.id(),
            _ => false,
        }
    }

    /// Logits `(1, tokens, vocab)` for `tokens` following what `cache` holds; the cache grows.
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> candle_core::Result<Tensor> {
        let mut out = self.forward_batch(&mut [Step { tokens, cache, adapter: None }], Logits::All)?;
        out.pop().ok_or_else(|| candle_core::Error::Msg("no output".into()))?.unsqueeze(0)
    }

    /// Logits of the last position, `(vocab,)` as a vector (a decode step for one token).
    pub fn forward_last(&self, tokens: &[u32], cache: &mut KvCache) -> candle_core::Result<Vec<f32>> {
        self.last_of(tokens, cache, Logits::Last)
    }

    /// `forward_last` for prompt tokens (`Logits::Prompt`).
    pub fn forward_prompt(&self, tokens: &[u32], cache: &mut KvCache) -> candle_core::Result<Vec<f32>> {
        self.last_of(tokens, cache, Logits::Prompt)
    }

    fn last_of(&self, tokens: &[u32], cache: &mut KvCache, which: Logits) -> candle_core::Result<Vec<f32>> {
        let mut out = self.forward_batch(&mut [Step { tokens, cache, adapter: None }], which)?;
        out.pop().ok_or_else(|| candle_core::Error::Msg("no output".into()))?.flatten_all()?.to_vec1()
    }

    /// Rotary angles of each step's positions: for global layers, and for sliding layers where
    /// they have their own base (Gemma 3).
    pub(crate) fn span_angles(&self, spans: &[Span]) -> Vec<(Angles, Option<Angles>)> {
        spans
            .iter()
            .map(|&Span { len, pos, .. }| {
                (self.rope.angles(pos, len), self.rope_local.as_ref().map(|r| r.angles(pos, len)))
            })
            .collect()
    }

    /// One step over several sequences, each with its own cache and position. Projections run
    /// once over all the sequences' rows; attention runs per sequence against its own cache.
    /// Returns per sequence `(tokens, vocab)` logits, or `(1, vocab)` with `Logits::Last`.
    pub fn forward_batch(&self, steps: &mut [Step<'_>], which: Logits) -> candle_core::Result<Vec<Tensor>> {
        let c = &self.config;
        let max = c.max_position;
        let mut all = Vec::new();
        let mut spans = Vec::with_capacity(steps.len());
        for s in steps.iter_mut() {
            if s.tokens.is_empty() {
                candle_core::bail!("an empty step");
            }
            let pos = s.cache.len();
            if pos + s.tokens.len() > max {
                candle_core::bail!("{} positions exceed the context of {max}", pos + s.tokens.len());
            }
            if s.cache.layers.len() != self.layers.len() {
                *s.cache = KvCache::new(self.layers.len());
            }
            if let Some(&bad) = s.tokens.iter().find(|&&t| t as usize >= c.vocab_size) {
                candle_core::bail!("token id {bad} is outside the vocabulary of {}", c.vocab_size);
            }
            spans.push(Span { start: all.len(), len: s.tokens.len(), pos });
            all.extend_from_slice(s.tokens);
        }
        // hfx's fused CPU kernels (decode steps, prompt attention) have no backward pass: a LoRA
        // being trained keeps candle's ops.
        let fused = matches!(self.device, Device::Cpu) && !self.training();
        if fused && which != Logits::Prompt && spans.iter().all(|s| s.len == 1) {
            return self.decode_cpu(steps, &all, &spans);
        }
        let rows: Vec<RowSpan> = spans
            .iter()
            .zip(steps.iter())
            .map(|(&Span { start, len, .. }, s)| RowSpan { start, len, adapter: s.adapter })
            .collect();
        let mut x = self.embed(&all)?.unsqueeze(0)?; // (1, rows, hidden)
        if c.embed_scale {
            x = (x * (c.hidden_size as f64).sqrt())?;
        }
        // Masks per sequence, for global and for sliding layers.
        let groups = c.num_heads / c.num_kv_heads;
        let mask_for = |t: usize, pos: usize, window: Option<usize>| -> candle_core::Result<Option<Tensor>> {
            let total = pos + t;
            // Causal, and within the window (transformers: i - j < window) on sliding layers.
            let blocked = |i: usize, j: usize| j > pos + i || window.is_some_and(|w| pos + i - j >= w);
            if (0..t).all(|i| (0..total).all(|j| !blocked(i, j))) {
                return Ok(None);
            }
            let m: Vec<f32> = (0..groups)
                .flat_map(|_| (0..t).flat_map(move |i| (0..total).map(move |j| (i, j))))
                .map(|(i, j)| if blocked(i, j) { f32::NEG_INFINITY } else { 0.0 })
                .collect();
            Tensor::from_vec(m, (groups * t, total), &self.device).map(Some)
        };
        // Additive masks for candle's softmax; the fused CPU attention masks as it goes.
        let mut masks = Vec::with_capacity(spans.len());
        if !fused {
            for &Span { len: t, pos, .. } in &spans {
                let local =
                    if c.sliding_layers.iter().any(|s| *s) { mask_for(t, pos, c.sliding_window)? } else { None };
                masks.push((mask_for(t, pos, None)?, local));
            }
        }
        let half = c.head_dim / 2;
        let tensors = |a: &Angles, t: usize| -> candle_core::Result<(Tensor, Tensor)> {
            Ok((
                Tensor::from_slice(&a.cos, (t, half), &self.device)?,
                Tensor::from_slice(&a.sin, (t, half), &self.device)?,
            ))
        };
        let raw = self.span_angles(&spans);
        // As tensors for candle's rope; the fused CPU attention rotates with `raw`.
        let mut angles = Vec::with_capacity(spans.len());
        if !fused {
            for (&Span { len: t, .. }, (global, local)) in spans.iter().zip(&raw) {
                angles.push((tensors(global, t)?, local.as_ref().map(|l| tensors(l, t)).transpose()?));
            }
        }
        for (li, layer) in self.layers.iter().enumerate() {
            let h = layer.attn_norm.forward(&x)?;
            let q = layer.q.forward_spans(&h, &rows)?;
            let k = layer.k.forward_spans(&h, &rows)?;
            let v = layer.v.forward_spans(&h, &rows)?;
            let mut ys = Vec::with_capacity(spans.len());
            for (si, &Span { start, len: t, pos }) in spans.iter().enumerate() {
                if fused {
                    let a = rope::for_layer(&raw[si], layer.sliding);
                    ys.push(self.prompt_attention((li, layer), (&q, &k, &v), (&spans[si], a), steps[si].cache)?);
                    continue;
                }
                let heads = |y: &Tensor, n: usize| -> candle_core::Result<Tensor> {
                    y.narrow(1, start, t)?.reshape((1, t, n, c.head_dim))?.transpose(1, 2)?.contiguous()
                };
                let (mut qi, mut ki) = (heads(&q, c.num_heads)?, heads(&k, c.num_kv_heads)?);
                let vi = heads(&v, c.num_kv_heads)?;
                if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
                    qi = qn.forward(&qi)?;
                    ki = kn.forward(&ki)?;
                }
                let (cos, sin) = rope::for_layer(&angles[si], layer.sliding);
                let (qi, ki) = if c.rope_interleaved {
                    (candle_nn::rotary_emb::rope_i(&qi, cos, sin)?, candle_nn::rotary_emb::rope_i(&ki, cos, sin)?)
                } else {
                    (candle_nn::rotary_emb::rope(&qi, cos, sin)?, candle_nn::rotary_emb::rope(&ki, cos, sin)?)
                };
                let (kall, vall) = steps[si].cache.append(li, pos, &ki, &vi, max)?;
                // Query heads sharing a KV head attend together: (1, kv, groups * t, head_dim),
                // so keys and values are never copied per query head.
                let qg = qi.reshape((1, c.num_kv_heads, groups * t, c.head_dim))?;
                let mut att = (qg.matmul(&kall.t()?)? * c.attn_scale)?;
                if let Some(cap) = c.attn_softcap {
                    att = ((att / f64::from(cap))?.tanh()? * f64::from(cap))?;
                }
                let (global, local) = &masks[si];
                if let Some(m) = if layer.sliding { local } else { global } {
                    att = att.broadcast_add(m)?;
                }
                let att = candle_nn::ops::softmax_last_dim(&att)?;
                let y = att.matmul(&vall.contiguous()?)?.reshape((1, c.num_heads, t, c.head_dim))?;
                ys.push(y.transpose(1, 2)?.reshape((1, t, c.num_heads * c.head_dim))?);
            }
            let y = if ys.len() == 1 { ys.pop().unwrap_or_else(|| unreachable!()) } else { Tensor::cat(&ys, 1)? };
            let mut a = layer.o.forward_spans(&y, &rows)?;
            if let Some(n) = &layer.post_attn_norm {
                a = n.forward(&a)?;
            }
            x = (x + a)?;
            let h = layer.ffn_norm.forward(&x)?;
            let (g, u) = (layer.gate.forward_spans(&h, &rows)?, layer.up.forward_spans(&h, &rows)?);
            let gated = if fused {
                // The training pass's fused `act(g) * u`, vectorized (candle's SiLU calls libm's
                // `expf` per element).
                crate::train::gate::Gate::of(c.activation).forward(&g, &u)?
            } else {
                let g = match c.activation {
                    Activation::Silu => candle_nn::ops::silu(&g)?,
                    Activation::GeluTanh => g.gelu()?,
                };
                (g * u)?
            };
            let mut m = layer.down.forward_spans(&gated, &rows)?;
            if let Some(n) = &layer.post_ffn_norm {
                m = n.forward(&m)?;
            }
            x = (x + m)?;
        }
        if which != Logits::All {
            let last: Vec<u32> = spans.iter().map(|s| (s.start + s.len - 1) as u32).collect();
            x = x.index_select(&Tensor::new(last.as_slice(), &self.device)?, 1)?;
        }
        let x = self.norm.forward(&x)?;
        let mut logits = self.lm_head.forward(&x)?.squeeze(0)?;
        if let Some(cap) = c.final_softcap {
            logits = ((logits / f64::from(cap))?.tanh()? * f64::from(cap))?;
        }
        let mut out = Vec::with_capacity(spans.len());
        for (i, &Span { start: s, len: t, .. }) in spans.iter().enumerate() {
            out.push(match which {
                Logits::All => logits.narrow(0, s, t)?,
                Logits::Last | Logits::Prompt => logits.narrow(0, i, 1)?,
            });
        }
        Ok(out)
    }

    /// Token embeddings `(tokens, hidden)`, before any scaling.
    pub(crate) fn embed(&self, tokens: &[u32]) -> candle_core::Result<Tensor> {
        let ids = Tensor::new(tokens, &self.device)?;
        match &self.embed {
            Weight::Dense(w) => w.index_select(&ids, 0),
            Weight::Quant(q) => q.embedding(&ids),
            Weight::Packed(q) => {
                let rows: Vec<f32> = tokens.iter().flat_map(|&t| q.rows(t as usize, 1).dequantize()).collect();
                Tensor::from_vec(rows, (tokens.len(), q.dims().1), &self.device)
            }
        }
    }

    /// Is a LoRA adapter being trained? Its forward pass must stay on tensor ops, which record
    /// the graph that backpropagation walks.
    fn training(&self) -> bool {
        self.layers
            .iter()
            .flat_map(|l| [&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down])
            .any(|p| p.lora.as_ref().is_some_and(|l| l.a.is_variable() || l.b.is_variable()))
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
        let Ok(raw) = fs_err::read(dir.join(f)) else { continue };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_buffers_stop_growing_at_the_context() {
        let mut cache = KvCache::new(1);
        let kv = Tensor::zeros((1, 2, 1, 4), candle_core::DType::F32, &Device::Cpu).unwrap();
        for pos in 0..100 {
            cache.append(0, pos, &kv, &kv, 100).unwrap();
        }
        assert_eq!(cache.len(), 100);
        // Doubling from 64 would allocate 128 positions, 28 of them past the context.
        assert_eq!(cache.capacity(), 100);
        assert_eq!(cache.size_in_bytes(), 2 * 100 * 2 * 4 * 4);
    }
}
