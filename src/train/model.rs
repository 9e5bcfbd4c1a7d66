//! The training forward and backward pass of a decoder with LoRA adapters on some of its
//! projections: the base weights stay frozen (and quantized, for GGUF), only A and B get
//! gradients. A batch is a list of records laid end to end; each attends within itself with
//! positions from 0, so packing several records into one row computes what they compute apart.

use candle_core::{Result, Tensor};
use rayon::prelude::*;

use super::attention::{self, Record};
use super::gate::Gate;
use super::lora_ops::{self, Dims, Mask};
use super::mm::{self, Dst};
use super::ops;
use crate::models::decoder::{Angles, Decoder, Layer, Linear, Span, for_layer};

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

    /// The records in at most `parts` runs of about equal tokens, in order, each with the row
    /// its first token has here.
    pub fn split(&self, parts: usize) -> Vec<(usize, Batch)> {
        let total = self.tokens.len();
        let mut out: Vec<(usize, Batch)> = Vec::new();
        let mut cur = Batch::default();
        let mut first = 0;
        let mut targets = self.targets.iter().peekable();
        for &(start, len) in &self.spans {
            // Close the part when its end lies nearer its share than it would with this record.
            let goal = total * (out.len() + 1) / parts.max(1);
            if !cur.spans.is_empty() && out.len() + 1 < parts && goal.abs_diff(start) <= goal.abs_diff(start + len) {
                out.push((first, std::mem::take(&mut cur)));
                first = start;
            }
            cur.spans.push((start - first, len));
            cur.tokens.extend_from_slice(&self.tokens[start..start + len]);
            while let Some(&&(row, token)) = targets.peek().filter(|t| t.0 < start + len) {
                cur.targets.push((row - first, token));
                targets.next();
            }
        }
        out.push((first, cur));
        out
    }
}

/// What one adapted projection's backward needs.
struct LoraSaved {
    /// Dropout's mask; absent without dropout.
    mask: Option<Mask>,
    /// `dropout(x) A^T`, `(n, r)`.
    xa: Vec<f32>,
}

/// What a layer's attention keeps for its backward: queries and keys after their norms and
/// rotation, values (all `(tokens, heads * head_dim)`), and the logsumexp of every score row
/// (the probabilities are recomputed from them).
#[derive(Default)]
struct AttnSaved {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    lse: Vec<f32>,
}

/// Per-head norms (Qwen3, Gemma 3): the pre-norm tensor and each row's `1/rms`.
type NormSaved = Option<(Tensor, Vec<f32>)>;

struct LayerSaved {
    x: Tensor,
    r1: Vec<f32>,
    attn: AttnSaved,
    qk_norm: (NormSaved, NormSaved),
    y: Tensor,
    post_attn: NormSaved,
    x2: Tensor,
    r2: Vec<f32>,
    g: Tensor,
    u: Tensor,
    post_ffn: NormSaved,
    lora: Vec<(usize, LoraSaved)>,
}

/// cos/sin rows `(tokens, head_dim / 2)` of every token's position in its record: for global
/// layers, and for sliding layers where they have their own rope base.
#[derive(Default)]
struct BatchAngles {
    /// Global and local.
    pair: (Angles, Option<Angles>),
}

impl BatchAngles {
    fn of(&self, layer: &Layer) -> (&[f32], &[f32]) {
        let a = for_layer(&self.pair, layer.sliding);
        (&a.cos, &a.sin)
    }
}

/// Each record's rows of queries, keys and values laid end to end.
fn records<'a>(batch: &Batch, q: &'a [f32], k: &'a [f32], v: &'a [f32], s: &attention::Shape) -> Vec<Record<'a>> {
    let (qw, kw) = (s.heads * s.head_dim, s.kv_heads * s.head_dim);
    batch
        .spans
        .iter()
        .map(|&(start, t)| Record {
            q: &q[start * qw..(start + t) * qw],
            k: &k[start * kw..(start + t) * kw],
            v: &v[start * kw..(start + t) * kw],
        })
        .collect()
}

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
    /// How the frozen weights' products are computed.
    pub precision: mm::Precision,
    /// Scratch for a chunk of the vocabulary's logits; pass the last step's back in to reuse it.
    pub logits: Vec<f32>,
    /// Rows of the micro-batch before this batch's first (a part of it, see `parts`), so
    /// dropout masks are the whole micro-batch's.
    pub first_row: usize,
}

impl<'a> Trainer<'a> {
    /// An exact pass: f32 products, no dropout, no checkpointing, 64 rows of logits at a time
    /// (set the fields to change any of them).
    pub fn new(model: &'a Decoder, lora: &'a mut LoraSet) -> Self {
        Self {
            model,
            lora,
            dropout_seed: None,
            logits_chunk: 64,
            checkpoint: false,
            precision: mm::Precision::Highest,
            logits: Vec::new(),
            first_row: 0,
        }
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
        let spans3: Vec<Span> = batch.spans.iter().map(|&(start, len)| Span { start, len, pos: 0 }).collect();
        let mut angles = BatchAngles::default();
        for (global, local) in m.span_angles(&spans3) {
            angles.pair.0.cos.extend_from_slice(&global.cos);
            angles.pair.0.sin.extend_from_slice(&global.sin);
            if let Some(l) = local {
                let a = angles.pair.1.get_or_insert_default();
                a.cos.extend_from_slice(&l.cos);
                a.sin.extend_from_slice(&l.sin);
            }
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
        let (loss, dhf) = ops::cross_entropy(
            &m.lm_head.weight,
            &hf,
            &targets,
            c.final_softcap,
            denom,
            (self.logits_chunk, self.precision),
            &mut self.logits,
        )?;
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

    /// Dropout's mask for one projection's input, the same whatever the thread count; `None`
    /// without dropout.
    fn dropout_mask(&self, li: usize, module: Module) -> Option<Mask> {
        let seed = self.dropout_seed?;
        let p = self.lora.dropout;
        if p <= 0.0 {
            return None;
        }
        Some(Mask::new(seed ^ ((li as u64) << 32) ^ ((module as u64) << 56), p).starting_at(self.first_row))
    }

    /// `x W^T (+ bias) + scale * dropout(x) A^T B^T`.
    fn project(&self, li: usize, module: Module, x: &Tensor, keep: &mut Vec<(usize, LoraSaved)>) -> Result<Tensor> {
        let lin = module.of(&self.model.layers[li]);
        let (n, inp) = x.dims2()?;
        let out = lin.weight.dims2()?.0;
        let y = ops::read(x, |xv| -> Result<Vec<f32>> {
            let mut y = mm::frozen_forward_new(&lin.weight, xv, n, self.precision)?;
            if let Some(b) = &lin.bias {
                ops::read(b, |bv| y.par_chunks_mut(out).for_each(|r| r.iter_mut().zip(bv).for_each(|(y, b)| *y += b)))?;
            }
            let Some(i) = self.lora.find(li, module) else { return Ok(y) };
            let ad = &self.lora.adapters[i];
            let mask = self.dropout_mask(li, module);
            let dims = Dims { inp, out, r: ad.a.rows };
            let scale = self.lora.scale as f32;
            let xa = lora_ops::forward(xv, mask.as_ref(), &ad.a.value, &ad.b.value, dims, scale, &mut y);
            keep.push((i, LoraSaved { mask, xa }));
            Ok(y)
        })??;
        ops::tensor(y, &[n, out], x.device())
    }

    fn attn_shape(&self, layer: &Layer) -> attention::Shape {
        attention::Shape::of(&self.model.config, layer.sliding)
    }

    /// Whether any of `modules` in layer `li` carries an adapter (whose backward needs the
    /// projection's input, recomputed only then).
    fn adapted(&self, li: usize, modules: &[Module]) -> bool {
        modules.iter().any(|&m| self.lora.find(li, m).is_some())
    }

    /// The input gradient of several projections of the same input `x` (needed only when one
    /// carries an adapter), summed in one buffer, adding each adapter's gradients to its
    /// parameters.
    fn project_back(
        &mut self,
        li: usize,
        parts: &[(Module, &Tensor)],
        x: Option<&Tensor>,
        kept: &mut Vec<(usize, LoraSaved)>,
    ) -> Result<Tensor> {
        let layer = &self.model.layers[li];
        let inp = parts[0].0.of(layer).weight.dims2()?.1;
        let n = parts[0].1.dim(0)?;
        let mut dx = None;
        for &(module, dy) in parts {
            dx = Some(ops::read(dy, |dyv| self.project_back_one(li, module, x, dyv, kept, dx.take()))??);
        }
        let dx = dx.ok_or_else(|| candle_core::Error::Msg("no projection to go back through".into()))?;
        ops::tensor(dx, &[n, inp], parts[0].1.device())
    }

    /// `dx = dy W`, or added to the `dx` given, for one projection, with its adapter's part
    /// and gradients.
    fn project_back_one(
        &mut self,
        li: usize,
        module: Module,
        x: Option<&Tensor>,
        dy: &[f32],
        kept: &mut Vec<(usize, LoraSaved)>,
        dx: Option<Vec<f32>>,
    ) -> Result<Vec<f32>> {
        let lin = module.of(&self.model.layers[li]);
        let (out, inp) = lin.weight.dims2()?;
        let n = dy.len() / out;
        let mut dx = match dx {
            Some(mut dx) => {
                mm::frozen_backward(&lin.weight, dy, n, Dst::Init(&mut dx), true, self.precision)?;
                dx
            }
            None => mm::frozen_backward_new(&lin.weight, dy, n, self.precision)?,
        };
        let Some(i) = self.lora.find(li, module) else { return Ok(dx) };
        let x = x.ok_or_else(|| candle_core::Error::Msg("no input kept for an adapted projection".into()))?;
        let pos =
            kept.iter().position(|(j, _)| *j == i).ok_or_else(|| candle_core::Error::Msg("no LoRA state".into()))?;
        let (_, s) = kept.swap_remove(pos);
        let scale = self.lora.scale as f32;
        let Adapter { a, b, .. } = &mut self.lora.adapters[i];
        let dims = Dims { inp, out, r: a.rows };
        ops::read(x, |xv| {
            let grads = (a.grad.as_mut_slice(), b.grad.as_mut_slice());
            lora_ops::backward(xv, s.mask.as_ref(), &s.xa, dy, (&a.value, &b.value), dims, scale, grads, &mut dx);
        })?;
        Ok(dx)
    }

    fn layer_forward(
        &self,
        li: usize,
        x: &Tensor,
        batch: &Batch,
        angles: &BatchAngles,
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
        let n = batch.tokens.len();
        let mut qk_norm = (None, None);
        let (q, k) = match (&layer.q_norm, &layer.k_norm) {
            (Some(qn), Some(kn)) => {
                let (qp, kp) = (q.reshape((n * nh, hd))?, k.reshape((n * kvh, hd))?);
                let (qo, rq) = ops::rms_norm(&qp, &qn.weight, qn.eps)?;
                let (ko, rk) = ops::rms_norm(&kp, &kn.weight, kn.eps)?;
                qk_norm = (Some((qp, rq)), Some((kp, rk)));
                (qo, ko)
            }
            _ => (q, k),
        };
        let (mut q, mut k, v) =
            (ops::read(&q, <[f32]>::to_vec)?, ops::read(&k, <[f32]>::to_vec)?, ops::read(&v, <[f32]>::to_vec)?);
        let (cos, sin) = angles.of(layer);
        attention::rope(&mut q, nh, hd, cos, sin, c.rope_interleaved, false);
        attention::rope(&mut k, kvh, hd, cos, sin, c.rope_interleaved, false);
        let shape = self.attn_shape(layer);
        let (y, lse) = attention::forward(&records(batch, &q, &k, &v, &shape), &shape);
        let y = ops::tensor(y, &[n, nh * hd], x.device())?;
        let attn = if keep_all { AttnSaved { q, k, v, lse } } else { AttnSaved::default() };
        let mut a = self.project(li, Module::O, &y, &mut lora)?;
        let mut post_attn = None;
        if let Some(n) = &layer.post_attn_norm {
            let (out, r) = ops::rms_norm(&a, &n.weight, n.eps)?;
            post_attn = Some((a, r));
            a = out;
        }
        let x2 = ops::add(x, &a)?;
        let (h2, r2) = ops::rms_norm(&x2, &layer.ffn_norm.weight, layer.ffn_norm.eps)?;
        let g = self.project(li, Module::Gate, &h2, &mut lora)?;
        let u = self.project(li, Module::Up, &h2, &mut lora)?;
        drop(h2);
        let act = Gate::of(c.activation).forward(&g, &u)?;
        let mut mo = self.project(li, Module::Down, &act, &mut lora)?;
        let mut post_ffn = None;
        if let Some(n) = &layer.post_ffn_norm {
            let (out, r) = ops::rms_norm(&mo, &n.weight, n.eps)?;
            post_ffn = Some((mo, r));
            mo = out;
        }
        let out = ops::add(&x2, &mo)?;
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
        angles: &BatchAngles,
        dout: &Tensor,
    ) -> Result<Tensor> {
        let m = self.model;
        let c = &m.config;
        let layer = &m.layers[li];
        let LayerSaved { x, r1, attn, qk_norm, y, post_attn, x2, r2, g, u, post_ffn, mut lora } = s;
        let (nh, kvh, hd) = (c.num_heads, c.num_kv_heads, c.head_dim);
        // MLP.
        let mut dm = dout.clone();
        if let (Some(n), Some((pre, r))) = (&layer.post_ffn_norm, &post_ffn) {
            dm = ops::rms_norm_backward(pre, r, &n.weight, &dm)?;
        }
        let gate = Gate::of(c.activation);
        let act = if self.adapted(li, &[Module::Down]) { Some(gate.forward(&g, &u)?) } else { None };
        let dact = self.project_back(li, &[(Module::Down, &dm)], act.as_ref(), &mut lora)?;
        drop(act);
        let (dg, du) = gate.backward(&g, &u, &dact)?;
        let h2 = if self.adapted(li, &[Module::Gate, Module::Up]) {
            Some(ops::rms_norm(&x2, &layer.ffn_norm.weight, layer.ffn_norm.eps)?.0)
        } else {
            None
        };
        let dh2 = self.project_back(li, &[(Module::Gate, &dg), (Module::Up, &du)], h2.as_ref(), &mut lora)?;
        drop(h2);
        let dx2 = ops::rms_norm_backward_plus(&x2, &r2, &layer.ffn_norm.weight, &dh2, dout)?;
        // Attention.
        let mut da = dx2.clone();
        if let (Some(n), Some((pre, r))) = (&layer.post_attn_norm, &post_attn) {
            da = ops::rms_norm_backward(pre, r, &n.weight, &da)?;
        }
        let dy = self.project_back(li, &[(Module::O, &da)], Some(&y), &mut lora)?;
        let shape = self.attn_shape(layer);
        let n = batch.tokens.len();
        let recs = records(batch, &attn.q, &attn.k, &attn.v, &shape);
        let [mut dq, mut dk, dv] =
            ops::read(&y, |yv| ops::read(&dy, |dyv| attention::backward(&recs, yv, dyv, &attn.lse, &shape)))??;
        drop(attn);
        let (cos, sin) = angles.of(layer);
        attention::rope(&mut dq, nh, hd, cos, sin, c.rope_interleaved, true);
        attention::rope(&mut dk, kvh, hd, cos, sin, c.rope_interleaved, true);
        let dev = x.device();
        let (mut dq, mut dk) = (ops::tensor(dq, &[n, nh * hd], dev)?, ops::tensor(dk, &[n, kvh * hd], dev)?);
        let dv = ops::tensor(dv, &[n, kvh * hd], dev)?;
        if let (Some(qn), Some(kn), (Some((qp, rq)), Some((kp, rk)))) = (&layer.q_norm, &layer.k_norm, &qk_norm) {
            dq = ops::rms_norm_backward(qp, rq, &qn.weight, &dq.reshape((n * nh, hd))?)?.reshape((n, nh * hd))?;
            dk = ops::rms_norm_backward(kp, rk, &kn.weight, &dk.reshape((n * kvh, hd))?)?.reshape((n, kvh * hd))?;
        }
        let h1 = if self.adapted(li, &[Module::Q, Module::K, Module::V]) {
            Some(ops::rms_norm(&x, &layer.attn_norm.weight, layer.attn_norm.eps)?.0)
        } else {
            None
        };
        let parts = [(Module::Q, &dq), (Module::K, &dk), (Module::V, &dv)];
        let dh1 = self.project_back(li, &parts, h1.as_ref(), &mut lora)?;
        ops::rms_norm_backward_plus(&x, &r1, &layer.attn_norm.weight, &dh1, &dx2)
    }
}
