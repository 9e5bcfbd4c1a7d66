//! Fused CPU ops for prompt processing. With candle's separate ops a 512-token prompt spent 41%
//! of its time in attention on SmolLM2-135M: scaling, adding the mask and the softmax each
//! allocate and sweep a `(heads, tokens, positions)` score tensor. A fused masked softmax cut
//! that; now a prompt's attention is the training pass's blocked attention
//! (`train::attention`), which multiplies only the keys a block of queries sees (half the
//! square), keeps no score tensor, reads the queries in the projections' layout (no transposed
//! copies) and exponentiates in 16 lanes where libm's `expf` took one call per value: SmolLM2
//! f32 512-token prompts 1.21x faster (five alternated rounds on an Intel Xeon). None of this
//! has a backward pass for candle's autograd, so a LoRA being trained through `Decoder` keeps
//! candle's ops.

use candle_core::{Device, Result, Tensor};

use super::decode::{F32s, norm_rows};
use super::rope::Angles;
use super::{Decoder, KvCache, Layer, Span};
use crate::train::attention;

/// The positions a query at position `at` sees: up to itself, and within the last `window`
/// positions when it has one (transformers: `at - j < window`; a window of 0 counts as 1).
pub(super) fn visible(at: usize, window: Option<usize>) -> std::ops::RangeInclusive<usize> {
    window.map_or(0, |w| (at + 1).saturating_sub(w.max(1)))..=at
}

/// `tanh(x / cap) * cap` on every value (Gemma 2's soft-capping).
pub(super) fn softcap(x: &mut [f32], cap: Option<f32>) {
    if let Some(cap) = cap {
        x.iter_mut().for_each(|v| *v = (*v / cap).tanh() * cap);
    }
}

/// Raw attention scores to weights, in place: scaled, soft-capped, soft-maxed.
pub(super) fn softmax_scores(s: &mut [f32], scale: f32, cap: Option<f32>) {
    s.iter_mut().for_each(|v| *v *= scale);
    softcap(s, cap);
    let max = s.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    let mut sum = 0f32;
    for v in s.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    s.iter_mut().for_each(|v| *v *= inv);
}

impl Decoder {
    /// One sequence's attention in a prompt on the CPU: its rows `rows` of the projections'
    /// queries, keys and values `(1, rows, heads * d)`, normed per head and rotated in their
    /// `(t, heads * d)` layout, the keys and values appended to its cache, and the training
    /// pass's blocked attention over the cache (`train::attention::prompt`); the outputs
    /// `(1, t, heads * d)`.
    pub(super) fn prompt_attention(
        &self,
        (li, layer): (usize, &Layer),
        (q, k, v): (&Tensor, &Tensor, &Tensor),
        (&Span { start, len: t, pos }, angles): (&Span, &Angles),
        cache: &mut KvCache,
    ) -> Result<Tensor> {
        let c = &self.config;
        let (nh, nkv, hd) = (c.num_heads, c.num_kv_heads, c.head_dim);
        let rows = |x: &Tensor| -> Result<Vec<f32>> { x.narrow(1, start, t)?.flatten_all()?.to_vec1::<f32>() };
        let (mut qs, mut ks, vs) = (rows(q)?, rows(k)?, rows(v)?);
        if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
            norm_rows(&mut qs, hd, qn)?;
            norm_rows(&mut ks, hd, kn)?;
        }
        for (x, heads) in [(&mut qs, nh), (&mut ks, nkv)] {
            attention::rope(x, heads, hd, &angles.cos, &angles.sin, c.rope_interleaved, false);
        }
        let heads = |x: Vec<f32>| -> Result<Tensor> {
            Tensor::from_vec(x, (1, t, nkv, hd), &Device::Cpu)?.transpose(1, 2)?.contiguous()
        };
        let (kall, vall) = cache.append(li, pos, &heads(ks)?, &heads(vs)?, c.max_position)?;
        let (kf, vf) = (F32s::cache(&kall)?, F32s::cache(&vall)?);
        let y = attention::prompt(&qs, (kf.cached(), vf.cached()), pos, &attention::Shape::of(c, layer.sliding));
        Tensor::from_vec(y, (1, t, nh * hd), &Device::Cpu)
    }
}
