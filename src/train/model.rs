//! The training forward and backward pass of a decoder with LoRA adapters on some of its
//! projections: the base weights stay frozen (and quantized, for GGUF), only A and B get
//! gradients. A batch is a list of records laid end to end; each attends within itself with
//! positions from 0, so packing several records into one row computes what they compute apart.

use candle_core::{Device, Result, Tensor};
use rand::{Rng, SeedableRng, rngs::SmallRng};
use rayon::prelude::*;

use super::ops::{self, AttnShape, Gate};
use crate::models::decoder::{Activation, Decoder, Layer, Linear, Span};

/// A projection LoRA can target, by its transformers name (declared in `ALL`'s order: the
/// discriminant indexes `LoraSet`'s table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    Q,
    K,
    V,
    O,
    Gate,
    Up,
    Down,
}

impl Module {
    pub const ALL: [Module; 7] = [Module::Q, Module::K, Module::V, Module::O, Module::Gate, Module::Up, Module::Down];

    pub fn name(self) -> &'static str {
        match self {
            Self::Q => "q_proj",
            Self::K => "k_proj",
            Self::V => "v_proj",
            Self::O => "o_proj",
            Self::Gate => "gate_proj",
            Self::Up => "up_proj",
            Self::Down => "down_proj",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }

    /// `self_attn` or `mlp`, as in `model.layers.N.self_attn.q_proj`.
    pub fn block(self) -> &'static str {
        match self {
            Self::Q | Self::K | Self::V | Self::O => "self_attn",
            _ => "mlp",
        }
    }

    pub fn of(self, l: &Layer) -> &Linear {
        match self {
            Self::Q => &l.q,
            Self::K => &l.k,
            Self::V => &l.v,
            Self::O => &l.o,
            Self::Gate => &l.gate,
            Self::Up => &l.up,
            Self::Down => &l.down,
        }
    }
}

/// One trainable matrix: its values, shape `(rows, cols)` and accumulated gradient.
#[derive(Debug, Clone)]
pub struct Param {
    pub value: Vec<f32>,
    pub rows: usize,
    pub cols: usize,
    pub grad: Vec<f32>,
}

impl Param {
    pub fn new(value: Vec<f32>, rows: usize, cols: usize) -> Self {
        Self { grad: vec![0.0; value.len()], value, rows, cols }
    }

    fn tensor(&self, device: &Device) -> Result<Tensor> {
        ops::tensor(self.value.clone(), &[self.rows, self.cols], device)
    }

    fn accumulate(&mut self, g: &Tensor) -> Result<()> {
        ops::read(g, |v| {
            for (a, b) in self.grad.iter_mut().zip(v) {
                *a += b;
            }
        })
    }
}

/// A LoRA adapter on one projection of one layer: `y += scale * dropout(x) A^T B^T`. B's rows
/// are in the model's own row order (llama.cpp's for GGUF q/k; the saver un-permutes them).
#[derive(Debug, Clone)]
pub struct Adapter {
    pub layer: usize,
    pub module: Module,
    /// `(r, in)`.
    pub a: Param,
    /// `(out, r)`.
    pub b: Param,
}

/// Everything trainable, and how it is applied.
#[derive(Debug, Clone)]
pub struct LoraSet {
    pub adapters: Vec<Adapter>,
    pub scale: f64,
    pub dropout: f32,
    /// `index[layer][module]`: the adapter on that projection.
    index: Vec<[Option<usize>; 7]>,
}

impl LoraSet {
    pub fn new(adapters: Vec<Adapter>, layers: usize, scale: f64, dropout: f32) -> Self {
        let mut index = vec![[None; 7]; layers];
        for (i, a) in adapters.iter().enumerate() {
            index[a.layer][a.module as usize] = Some(i);
        }
        Self { adapters, scale, dropout, index }
    }

    fn find(&self, layer: usize, m: Module) -> Option<usize> {
        self.index.get(layer).and_then(|r| r[m as usize])
    }

    /// Every parameter, A then B per adapter (the optimizer's order).
    pub fn params_mut(&mut self) -> impl Iterator<Item = &mut Param> {
        self.adapters.iter_mut().flat_map(|a| [&mut a.a, &mut a.b])
    }

    pub fn params(&self) -> impl Iterator<Item = &Param> {
        self.adapters.iter().flat_map(|a| [&a.a, &a.b])
    }

    pub fn zero_grad(&mut self) {
        for p in self.params_mut() {
            p.grad.iter_mut().for_each(|g| *g = 0.0);
        }
    }

    /// The L2 norm of all gradients together.
    pub fn grad_norm(&self) -> f64 {
        self.params().flat_map(|p| &p.grad).map(|g| f64::from(*g) * f64::from(*g)).sum::<f64>().sqrt()
    }
}

/// A micro-batch: records laid end to end.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub tokens: Vec<u32>,
    /// `(start, len)` of each record.
    pub spans: Vec<(usize, usize)>,
    /// `(row, token)`: the logits at `row` are scored against `token`.
    pub targets: Vec<(usize, u32)>,
}

impl Batch {
    /// Add a record whose token `i` carries loss where `labels[i]`.
    pub fn push(&mut self, ids: &[u32], labels: &[bool]) {
        let start = self.tokens.len();
        self.tokens.extend_from_slice(ids);
        self.spans.push((start, ids.len()));
        for i in 1..ids.len() {
            if labels[i] {
                self.targets.push((start + i - 1, ids[i]));
            }
        }
    }
}

/// What one adapted projection's backward needs.
struct LoraSaved {
    /// Dropout's mask (0 or `1/(1-p)` per input entry); absent without dropout.
    mask: Option<Tensor>,
    /// `dropped A^T`, `(n, r)`.
    xa: Tensor,
}

/// What one record's attention in one layer keeps for its backward.
struct AttnSaved {
    q: Tensor,
    k: Tensor,
    v: Tensor,
    /// The probabilities of a short record; a long one's are recomputed from `lse`.
    p: Option<Tensor>,
    /// Each score row's logsumexp.
    lse: Vec<f32>,
    shape: AttnShape,
}

/// Per-head norms (Qwen3, Gemma 3): the pre-norm tensor and each row's `1/rms`.
type NormSaved = Option<(Tensor, Vec<f32>)>;

struct LayerSaved {
    x: Tensor,
    r1: Vec<f32>,
    attn: Vec<AttnSaved>,
    qk_norm: Vec<(NormSaved, NormSaved)>,
    y: Tensor,
    post_attn: NormSaved,
    x2: Tensor,
    r2: Vec<f32>,
    g: Tensor,
    u: Tensor,
    post_ffn: NormSaved,
    lora: Vec<(usize, LoraSaved)>,
}

/// cos/sin tables of one record's positions: for global layers, and for sliding layers where
/// they have their own rope base.
type SpanAngles = ((Tensor, Tensor), Option<(Tensor, Tensor)>);

/// A training pass over one model and adapter set.
pub struct Trainer<'a> {
    pub model: &'a Decoder,
    pub lora: &'a mut LoraSet,
    /// Seeds this micro-batch's dropout masks; `None` turns dropout off (evaluation).
    pub dropout_seed: Option<u64>,
    /// Rows of vocabulary logits formed at once.
    pub logits_chunk: usize,
    /// Keep only each layer's input and recompute the layer in the backward pass (gradient
    /// checkpointing): activations of one layer at a time instead of all, for a second forward.
    pub checkpoint: bool,
}

fn gate_of(a: Activation) -> Gate {
    match a {
        Activation::Silu => Gate::Silu,
        Activation::GeluTanh => Gate::GeluTanh,
    }
}

impl Trainer<'_> {
    /// Summed cross-entropy of the batch's targets; with `backward`, the gradient of
    /// `sum / denom` is added to every parameter's `grad`.
    pub fn step(&mut self, batch: &Batch, denom: f64, backward: bool) -> Result<f64> {
        if batch.targets.is_empty() {
            return Ok(0.0);
        }
        let m = self.model;
        let c = &m.config;
        let dev = &m.device;
        if let Some(&bad) = batch.tokens.iter().find(|&&t| t as usize >= c.vocab_size) {
            candle_core::bail!("token id {bad} is outside the vocabulary of {}", c.vocab_size);
        }
        let mut x = m.embed(&batch.tokens)?.to_dtype(candle_core::DType::F32)?;
        if c.embed_scale {
            x = (x * (c.hidden_size as f64).sqrt())?;
        }
        let half = c.head_dim / 2;
        let spans3: Vec<Span> = batch.spans.iter().map(|&(start, len)| Span { start, len, pos: 0 }).collect();
        let mut angles = Vec::new();
        for (&(_, t), (global, local)) in batch.spans.iter().zip(m.span_angles(&spans3)) {
            let pair = |a: &crate::models::decoder::Angles| -> Result<(Tensor, Tensor)> {
                Ok((ops::tensor(a.cos.clone(), &[t, half], dev)?, ops::tensor(a.sin.clone(), &[t, half], dev)?))
            };
            angles.push((pair(&global)?, local.as_ref().map(pair).transpose()?));
        }
        let mut saved = Vec::with_capacity(m.layers.len());
        let mut inputs = Vec::new();
        for li in 0..m.layers.len() {
            let keep = backward && !self.checkpoint;
            if backward && self.checkpoint {
                inputs.push(x.clone());
            }
            let (out, s) = self.layer_forward(li, &x, batch, &angles, keep)?;
            if keep {
                saved.push(s);
            }
            x = out;
        }
        let rows: Vec<u32> = batch.targets.iter().map(|t| t.0 as u32).collect();
        let targets: Vec<u32> = batch.targets.iter().map(|t| t.1).collect();
        let idx = Tensor::new(rows.as_slice(), dev)?;
        let xs = x.index_select(&idx, 0)?;
        let (hf, rf) = ops::rms_norm(&xs, &m.norm.weight, m.norm.eps)?;
        let (loss, dhf) =
            ops::cross_entropy(&m.lm_head.weight, &hf, &targets, c.final_softcap, denom, self.logits_chunk)?;
        if !backward {
            return Ok(loss);
        }
        let dxs = ops::rms_norm_backward(&xs, &rf, &m.norm.weight, &dhf)?;
        let mut dx = x.zeros_like()?.index_add(&idx, &dxs, 0)?;
        drop(x);
        for li in (0..m.layers.len()).rev() {
            let s = match inputs.pop() {
                // The same dropout masks come back: they derive from the seed, layer and module.
                Some(input) => self.layer_forward(li, &input, batch, &angles, true)?.1,
                None => saved.pop().ok_or_else(|| candle_core::Error::Msg("missing activations".into()))?,
            };
            dx = self.layer_backward(li, s, batch, &angles, &dx)?;
        }
        Ok(loss)
    }

    /// `x W^T (+ bias) + scale * dropout(x) A^T B^T`.
    fn project(&self, li: usize, module: Module, x: &Tensor, keep: &mut Vec<(usize, LoraSaved)>) -> Result<Tensor> {
        let lin = module.of(&self.model.layers[li]);
        let mut y = ops::frozen_forward(&lin.weight, x)?;
        if let Some(b) = &lin.bias {
            y = y.broadcast_add(b)?;
        }
        let Some(i) = self.lora.find(li, module) else { return Ok(y) };
        let ad = &self.lora.adapters[i];
        let dev = x.device();
        let mask = match self.dropout_seed {
            Some(seed) if self.lora.dropout > 0.0 => {
                let p = self.lora.dropout;
                let keep = 1.0 / (1.0 - p);
                let seed = seed ^ ((li as u64) << 32) ^ ((module as u64) << 56);
                // Fixed chunks, each from its own seed: the same mask whatever the thread count.
                let mut mask = vec![0f32; x.elem_count()];
                mask.par_chunks_mut(1 << 16).enumerate().for_each(|(c, chunk)| {
                    let mut rng =
                        SmallRng::seed_from_u64(seed.wrapping_add((c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
                    chunk.iter_mut().for_each(|m| *m = if rng.random::<f32>() < p { 0.0 } else { keep });
                });
                Some(ops::tensor(mask, x.dims(), dev)?)
            }
            _ => None,
        };
        let input = match &mask {
            Some(mk) => (x * mk)?,
            None => x.clone(),
        };
        let xa = input.matmul(&ad.a.tensor(dev)?.t()?)?;
        y = (y + (xa.matmul(&ad.b.tensor(dev)?.t()?)? * self.lora.scale)?)?;
        keep.push((i, LoraSaved { mask, xa }));
        Ok(y)
    }

    /// Whether any of `modules` in layer `li` carries an adapter (whose backward needs the
    /// projection's input, recomputed only then).
    fn adapted(&self, li: usize, modules: &[Module]) -> bool {
        modules.iter().any(|&m| self.lora.find(li, m).is_some())
    }

    /// The input gradient of `project`, adding the adapter's gradients to its parameters; `x`,
    /// the projection's input, is needed only when it carries an adapter.
    fn project_back(
        &mut self,
        li: usize,
        module: Module,
        x: Option<&Tensor>,
        dy: &Tensor,
        kept: &mut Vec<(usize, LoraSaved)>,
    ) -> Result<Tensor> {
        let lin = module.of(&self.model.layers[li]);
        let mut dx = ops::frozen_backward(&lin.weight, dy)?;
        let Some(i) = self.lora.find(li, module) else { return Ok(dx) };
        let x = x.ok_or_else(|| candle_core::Error::Msg("no input kept for an adapted projection".into()))?;
        let pos =
            kept.iter().position(|(j, _)| *j == i).ok_or_else(|| candle_core::Error::Msg("no LoRA state".into()))?;
        let (_, s) = kept.swap_remove(pos);
        let scale = self.lora.scale;
        let dev = x.device();
        let ad = &mut self.lora.adapters[i];
        let (a, b) = (ad.a.tensor(dev)?, ad.b.tensor(dev)?);
        ad.b.accumulate(&(dy.t()?.matmul(&s.xa)? * scale)?)?;
        let dxa = (dy.matmul(&b)? * scale)?;
        let input = match &s.mask {
            Some(mk) => (x * mk)?,
            None => x.clone(),
        };
        ad.a.accumulate(&dxa.t()?.matmul(&input)?)?;
        let mut dl = dxa.matmul(&a)?;
        if let Some(mk) = &s.mask {
            dl = (dl * mk)?;
        }
        dx = (dx + dl)?;
        Ok(dx)
    }

    fn layer_forward(
        &self,
        li: usize,
        x: &Tensor,
        batch: &Batch,
        angles: &[SpanAngles],
        keep_all: bool,
    ) -> Result<(Tensor, LayerSaved)> {
        let m = self.model;
        let c = &m.config;
        let layer = &m.layers[li];
        let mut lora = Vec::new();
        let (h1, r1) = ops::rms_norm(x, &layer.attn_norm.weight, layer.attn_norm.eps)?;
        let q = self.project(li, Module::Q, &h1, &mut lora)?;
        let k = self.project(li, Module::K, &h1, &mut lora)?;
        let v = self.project(li, Module::V, &h1, &mut lora)?;
        drop(h1);
        let (nh, kvh, hd) = (c.num_heads, c.num_kv_heads, c.head_dim);
        let groups = nh / kvh;
        let mut attn = Vec::with_capacity(batch.spans.len());
        let mut qk_norm = Vec::with_capacity(batch.spans.len());
        let mut ys = Vec::with_capacity(batch.spans.len());
        for (si, &(start, t)) in batch.spans.iter().enumerate() {
            let heads = |y: &Tensor, n: usize| -> Result<Tensor> {
                y.narrow(0, start, t)?.reshape((1, t, n, hd))?.transpose(1, 2)?.contiguous()
            };
            let (mut qi, mut ki, vi) = (heads(&q, nh)?, heads(&k, kvh)?, heads(&v, kvh)?);
            let mut norms = (None, None);
            if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
                let (qo, rq) = ops::rms_norm(&qi, &qn.weight, qn.eps)?;
                let (ko, rk) = ops::rms_norm(&ki, &kn.weight, kn.eps)?;
                norms = (Some((qi, rq)), Some((ki, rk)));
                (qi, ki) = (qo, ko);
            }
            let (cos, sin) = match (&angles[si], layer.sliding) {
                ((_, Some(local)), true) => local,
                ((global, _), _) => global,
            };
            let qi = ops::rope(&qi, cos, sin, c.rope_interleaved, false)?;
            let ki = ops::rope(&ki, cos, sin, c.rope_interleaved, false)?;
            let qg = qi.reshape((kvh, groups * t, hd))?;
            let (kg, vg) = (ki.reshape((kvh, t, hd))?, vi.reshape((kvh, t, hd))?);
            let scores = qg.matmul(&kg.t()?)?;
            let shape = AttnShape {
                t,
                scale: c.attn_scale as f32,
                softcap: c.attn_softcap,
                window: if layer.sliding { c.sliding_window } else { None },
            };
            let (p, lse) = ops::masked_softmax(&scores, shape)?;
            drop(scores);
            let o = p.matmul(&vg)?.reshape((1, nh, t, hd))?;
            ys.push(o.transpose(1, 2)?.reshape((t, nh * hd))?);
            if keep_all {
                // Keep the (heads, t, t) probabilities while they are no larger than a few of
                // the record's (t, hidden) activations; recompute them beyond.
                let keep_p = nh * t <= 4 * c.hidden_size;
                attn.push(AttnSaved { q: qg, k: kg, v: vg, p: keep_p.then_some(p), lse, shape });
                qk_norm.push(norms);
            }
        }
        let y = if ys.len() == 1 { ys.remove(0).contiguous()? } else { Tensor::cat(&ys, 0)? };
        let mut a = self.project(li, Module::O, &y, &mut lora)?;
        let mut post_attn = None;
        if let Some(n) = &layer.post_attn_norm {
            let (out, r) = ops::rms_norm(&a, &n.weight, n.eps)?;
            post_attn = Some((a, r));
            a = out;
        }
        let x2 = (x + a)?;
        let (h2, r2) = ops::rms_norm(&x2, &layer.ffn_norm.weight, layer.ffn_norm.eps)?;
        let g = self.project(li, Module::Gate, &h2, &mut lora)?;
        let u = self.project(li, Module::Up, &h2, &mut lora)?;
        drop(h2);
        let act = gate_of(c.activation).forward(&g, &u)?;
        let mut mo = self.project(li, Module::Down, &act, &mut lora)?;
        let mut post_ffn = None;
        if let Some(n) = &layer.post_ffn_norm {
            let (out, r) = ops::rms_norm(&mo, &n.weight, n.eps)?;
            post_ffn = Some((mo, r));
            mo = out;
        }
        let out = (&x2 + mo)?;
        let saved = LayerSaved {
            x: x.clone(),
            r1,
            attn,
            qk_norm,
            y,
            post_attn,
            x2,
            r2,
            g,
            u,
            post_ffn,
            lora: if keep_all { lora } else { Vec::new() },
        };
        Ok((out, saved))
    }

    fn layer_backward(
        &mut self,
        li: usize,
        s: LayerSaved,
        batch: &Batch,
        angles: &[SpanAngles],
        dout: &Tensor,
    ) -> Result<Tensor> {
        let m = self.model;
        let c = &m.config;
        let layer = &m.layers[li];
        let LayerSaved { x, r1, attn, qk_norm, y, post_attn, x2, r2, g, u, post_ffn, mut lora } = s;
        let (nh, kvh, hd) = (c.num_heads, c.num_kv_heads, c.head_dim);
        let groups = nh / kvh;
        // MLP.
        let mut dm = dout.clone();
        if let (Some(n), Some((pre, r))) = (&layer.post_ffn_norm, &post_ffn) {
            dm = ops::rms_norm_backward(pre, r, &n.weight, &dm)?;
        }
        let gate = gate_of(c.activation);
        let act = if self.adapted(li, &[Module::Down]) { Some(gate.forward(&g, &u)?) } else { None };
        let dact = self.project_back(li, Module::Down, act.as_ref(), &dm, &mut lora)?;
        drop(act);
        let (dg, du) = gate.backward(&g, &u, &dact)?;
        let h2 = if self.adapted(li, &[Module::Gate, Module::Up]) {
            Some(ops::rms_norm(&x2, &layer.ffn_norm.weight, layer.ffn_norm.eps)?.0)
        } else {
            None
        };
        let dh2 = (self.project_back(li, Module::Gate, h2.as_ref(), &dg, &mut lora)?
            + self.project_back(li, Module::Up, h2.as_ref(), &du, &mut lora)?)?;
        drop(h2);
        let dx2 = (dout + ops::rms_norm_backward(&x2, &r2, &layer.ffn_norm.weight, &dh2)?)?;
        // Attention.
        let mut da = dx2.clone();
        if let (Some(n), Some((pre, r))) = (&layer.post_attn_norm, &post_attn) {
            da = ops::rms_norm_backward(pre, r, &n.weight, &da)?;
        }
        let dy = self.project_back(li, Module::O, Some(&y), &da, &mut lora)?;
        let (mut dqs, mut dks, mut dvs) = (Vec::new(), Vec::new(), Vec::new());
        for (si, (&(start, t), (a, norms))) in batch.spans.iter().zip(attn.into_iter().zip(qk_norm)).enumerate() {
            let dyi = dy.narrow(0, start, t)?.reshape((1, t, nh, hd))?.transpose(1, 2)?.contiguous()?;
            let dog = dyi.reshape((kvh, groups * t, hd))?;
            // Scores are needed again only to recompute the probabilities or for a soft cap.
            let scores = match (&a.p, a.shape.softcap) {
                (Some(_), None) => None,
                _ => Some(a.q.matmul(&a.k.t()?)?),
            };
            let p = match (&a.p, &scores) {
                (Some(p), _) => p.clone(),
                (None, Some(s)) => ops::softmax_from_lse(s, &a.lse, a.shape)?,
                (None, None) => candle_core::bail!("attention probabilities missing"),
            };
            let dp = dog.matmul(&a.v.t()?)?;
            let dv = p.t()?.matmul(&dog)?;
            let ds = ops::masked_softmax_backward(&p, scores.as_ref(), &dp, a.shape)?;
            let dq = ds.matmul(&a.k)?;
            let dk = ds.t()?.matmul(&a.q)?;
            let (cos, sin) = match (&angles[si], layer.sliding) {
                ((_, Some(local)), true) => local,
                ((global, _), _) => global,
            };
            let mut dq = ops::rope(&dq.reshape((1, nh, t, hd))?, cos, sin, c.rope_interleaved, true)?;
            let mut dk = ops::rope(&dk.reshape((1, kvh, t, hd))?, cos, sin, c.rope_interleaved, true)?;
            if let (Some(qn), Some(kn), (Some((qp, rq)), Some((kp, rk)))) = (&layer.q_norm, &layer.k_norm, &norms) {
                dq = ops::rms_norm_backward(qp, rq, &qn.weight, &dq)?;
                dk = ops::rms_norm_backward(kp, rk, &kn.weight, &dk)?;
            }
            let rows = |d: Tensor, n: usize| -> Result<Tensor> { d.transpose(1, 2)?.reshape((t, n * hd)) };
            dqs.push(rows(dq, nh)?);
            dks.push(rows(dk, kvh)?);
            dvs.push(rows(dv.reshape((1, kvh, t, hd))?, kvh)?);
        }
        let cat = |v: Vec<Tensor>| -> Result<Tensor> { Tensor::cat(&v, 0)?.contiguous() };
        let (dq, dk, dv) = (cat(dqs)?, cat(dks)?, cat(dvs)?);
        let h1 = if self.adapted(li, &[Module::Q, Module::K, Module::V]) {
            Some(ops::rms_norm(&x, &layer.attn_norm.weight, layer.attn_norm.eps)?.0)
        } else {
            None
        };
        let dh1 = ((self.project_back(li, Module::Q, h1.as_ref(), &dq, &mut lora)?
            + self.project_back(li, Module::K, h1.as_ref(), &dk, &mut lora)?)?
            + self.project_back(li, Module::V, h1.as_ref(), &dv, &mut lora)?)?;
        dx2 + ops::rms_norm_backward(&x, &r1, &layer.attn_norm.weight, &dh1)?
    }
}
