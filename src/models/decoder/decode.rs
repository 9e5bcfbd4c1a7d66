//! Decode steps of one token per sequence on the CPU, as loops over slices instead of tensor
//! ops. Profiled on SmolLM2-135M Q4_1 (`perf record`, `hfx bench -p 1 -n 256`), the ~25 small
//! candle ops per layer between the matrix-vector products (dispatch, an allocation each, the
//! activation quantized again for every projection, one thread-pool round per projection) held
//! the main thread for 37% of a decode step while the second core spun. Here a layer is a few
//! loops over its vectors, projections that share an input (q/k/v, gate/up) run as one round on
//! candle's thread pool, and the input is quantized once per round. The math is
//! `forward_batch`'s; `tests/it/architectures.rs` checks token-by-token decode against
//! candle-transformers for every architecture, and batched decode against each sequence alone.

use std::ops::Deref;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use candle_core::quantized::k_quants::GgmlType;
use candle_core::{DType, Device, Storage, Tensor};

use super::config::Activation;
use super::cpu_ops::{softcap, softmax_scores, visible};
use super::packed::{self, PackedMatrix};
use super::rope::{self, rotate};
use super::{Decoder, Linear, Lora, RmsNorm, Span, Step, Weight};
use crate::train::attention::Cached;

type CResult<T> = candle_core::Result<T>;

/// Weight rows per work item: small enough to balance two cores, large enough that the shared
/// cursor is not contended.
const ROWS: usize = 16;
/// Below this many multiply-adds attention runs on the calling thread.
const PARALLEL_ATTENTION: usize = 1 << 16;

/// A CPU tensor's f32 storage, held for reading during a step.
pub(super) struct F32s<'a> {
    /// candle's storage lock guard (boxed: its type is candle's choice of lock).
    guard: Box<dyn Deref<Target = Storage> + Sync + 'a>,
    start: usize,
    strides: Vec<usize>,
    len: usize,
}

impl<'a> F32s<'a> {
    /// Any f32 CPU tensor; `get` spans from its first element to its last.
    fn strided(t: &'a Tensor) -> Option<Self> {
        if t.dtype() != DType::F32 {
            return None;
        }
        let (guard, layout) = t.storage_and_layout();
        if !matches!(&*guard, Storage::Cpu(_)) {
            return None;
        }
        let span = layout.dims().iter().zip(layout.stride()).map(|(d, s)| d.saturating_sub(1) * s).sum::<usize>() + 1;
        let len = if t.elem_count() == 0 { 0 } else { span };
        Some(Self { start: layout.start_offset(), strides: layout.stride().to_vec(), len, guard: Box::new(guard) })
    }

    /// A key/value cache's `(1, kv_heads, positions, head_dim)` f32 buffer, its rows contiguous.
    pub(super) fn cache(t: &'a Tensor) -> CResult<Self> {
        match Self::strided(t) {
            Some(f) if f.strides.len() == 4 && f.strides[3] == 1 => Ok(f),
            _ => candle_core::bail!("KV cache is not f32 rows on the CPU"),
        }
    }

    /// The cache buffer as the attention kernels read it (see `cache`).
    pub(super) fn cached(&self) -> Cached<'_> {
        Cached { data: self.get(), head: self.strides[1], row: self.strides[2] }
    }

    /// A contiguous f32 CPU tensor.
    fn of(t: &'a Tensor) -> Option<Self> {
        if t.is_contiguous() { Self::strided(t) } else { None }
    }

    fn get(&self) -> &[f32] {
        let Storage::Cpu(c) = &**self.guard else { return &[] };
        c.as_slice::<f32>().ok().and_then(|s| s.get(self.start..self.start + self.len)).unwrap_or(&[])
    }
}

fn read(t: &Tensor) -> CResult<F32s<'_>> {
    F32s::of(t).ok_or_else(|| candle_core::Error::Msg("expected a contiguous f32 CPU tensor".into()))
}

/// Run `f` over item ranges, on the pool when there is enough work to share.
pub(super) fn run(items: usize, parallel: bool, f: impl Fn(Range<usize>) + Sync) {
    if parallel && items > 1 {
        candle_core::utils::barrier_pool().execute_chunked(items, f);
    } else {
        f(0..items);
    }
}

pub(super) fn lock<'a, T>(m: &'a Mutex<T>) -> std::sync::MutexGuard<'a, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How a projection's rows are multiplied.
enum Rows<'a> {
    F32(F32s<'a>),
    Packed(&'a PackedMatrix),
    /// Anything else (candle's quantized types, f16/bf16): its own candle op.
    Op,
}

/// `x (b, k) W^T (+ bias) (+ LoRA)` for each linear, as `(b, n)` row-major vectors; row `i`
/// also gets the adapter in slot `adapters[i]`.
fn project(linears: &[&Linear], x: &[f32], b: usize, adapters: &[Option<usize>]) -> CResult<Vec<Vec<f32>>> {
    let k = x.len() / b;
    let rows: Vec<Rows<'_>> = linears
        .iter()
        .map(|l| match &l.weight {
            Weight::Dense(t) => F32s::of(t).map_or(Rows::Op, Rows::F32),
            Weight::Packed(q) => Rows::Packed(q),
            Weight::Quant(_) => Rows::Op,
        })
        .collect();
    let mut outs = Vec::with_capacity(linears.len());
    for l in linears {
        let (n, kw) = l.weight.dims2()?;
        if kw != k {
            candle_core::bail!("projection of width {kw} applied to {k} inputs");
        }
        outs.push(vec![0f32; n * b]);
    }
    // The input quantized once for every block-quantized projection of the round.
    let matrices = rows.iter().filter_map(|r| if let Rows::Packed(q) = r { Some(*q) } else { None });
    let ys = packed::Inputs::new(matrices, x, k);
    // Work items: ROWS weight rows of one projection, written `(n, b)` (row-major by weight row)
    // into their own chunk of the output.
    let mut items = Vec::new();
    for (i, (r, out)) in rows.iter().zip(outs.iter_mut()).enumerate() {
        if !matches!(r, Rows::Op) {
            items.extend(out.chunks_mut(ROWS * b).enumerate().map(|(c, chunk)| (i, c * ROWS, Mutex::new(chunk))));
        }
    }
    run(items.len(), true, |range| {
        for (i, r0, cell) in &items[range] {
            let mut out = lock(cell);
            match &rows[*i] {
                Rows::F32(w) => packed::f32_rows(w.get(), k, *r0, &mut out, x, b),
                Rows::Packed(q) => q.dot_rows(*r0, &mut out, x, &ys, b),
                Rows::Op => {}
            }
        }
    });
    drop(items);
    for ((l, r), out) in linears.iter().zip(&rows).zip(outs.iter_mut()) {
        let n = out.len() / b;
        if matches!(r, Rows::Op) {
            let y = l.weight.matmul(&Tensor::from_slice(x, (b, k), &Device::Cpu)?)?;
            *out = y.flatten_all()?.to_vec1()?;
        } else if b > 1 {
            // (n, b) to (b, n), read in order: for the 49152-row output projection of 8 sequences
            // an iterator chain gathering each element cost 4% of a batched step.
            let mut t = vec![0f32; n * b];
            for (r, col) in out.chunks_exact(b).enumerate() {
                for (bi, &v) in col.iter().enumerate() {
                    t[bi * n + r] = v;
                }
            }
            *out = t;
        }
        if let Some(bias) = &l.bias {
            let bias = read(bias)?;
            for row in out.chunks_exact_mut(n) {
                row.iter_mut().zip(bias.get()).for_each(|(o, v)| *o += v);
            }
        }
        if let Some(lora) = &l.lora {
            add_lora(lora, x, out, k, n, |_| true)?;
        }
        // Each row's own adapter (a server's batch mixes them).
        let mut slots: Vec<usize> = adapters.iter().flatten().copied().collect();
        slots.sort_unstable();
        slots.dedup();
        for slot in slots {
            if let Some(lora) = l.adapter(Some(slot)) {
                add_lora(lora, x, out, k, n, |row| adapters.get(row) == Some(&Some(slot)))?;
            }
        }
    }
    Ok(outs)
}

/// `out += scale * (x A^T) B^T` on the rows `wanted` picks; `x` rows of `k`, `out` rows of `n`.
/// `out += lora.scale * (x A^T) B^T` for each row of `x` that `wanted` picks, row by row.
pub(super) fn add_lora(
    lora: &Lora,
    x: &[f32],
    out: &mut [f32],
    k: usize,
    n: usize,
    wanted: impl Fn(usize) -> bool,
) -> CResult<()> {
    let (a, bm) = (lora.a.to_dtype(DType::F32)?.contiguous()?, lora.b.to_dtype(DType::F32)?.contiguous()?);
    let (rank, _) = a.dims2()?;
    let (a, bm) = (read(&a)?, read(&bm)?);
    let (a, bm) = (a.get(), bm.get());
    for (i, (xr, row)) in x.chunks_exact(k).zip(out.chunks_exact_mut(n)).enumerate() {
        if !wanted(i) {
            continue;
        }
        let ax: Vec<f32> = a.chunks_exact(k).map(|ar| f32::vec_dot(k, ar, xr) * lora.scale as f32).collect();
        for (o, br) in row.iter_mut().zip(bm.chunks_exact(rank)) {
            *o += f32::vec_dot(rank, br, &ax);
        }
    }
    Ok(())
}

/// RMS norm of each `width`-long row of `x`, in place.
pub(super) fn norm_rows(x: &mut [f32], width: usize, n: &RmsNorm) -> CResult<()> {
    let w = read(&n.weight)?;
    let w = w.get();
    for row in x.chunks_exact_mut(width) {
        let ms = row.iter().map(|v| v * v).sum::<f32>() / width as f32;
        let inv = 1.0 / (ms + n.eps).sqrt();
        row.iter_mut().zip(w).for_each(|(v, w)| *v = *v * inv * w);
    }
    Ok(())
}

impl Decoder {
    /// `forward_batch` for steps of one token each, on the CPU. `spans` are `forward_batch`'s
    /// `(row, tokens, position)` per step; `ids` the steps' tokens.
    pub(super) fn decode_cpu(&self, steps: &mut [Step<'_>], ids: &[u32], spans: &[Span]) -> CResult<Vec<Tensor>> {
        let c = &self.config;
        let b = ids.len();
        let (hidden, hd) = (c.hidden_size, c.head_dim);
        let (nh, nkv) = (c.num_heads, c.num_kv_heads);
        let groups = nh / nkv;
        let adapters: Vec<Option<usize>> = steps.iter().map(|s| s.adapter).collect();
        let mut x: Vec<f32> = self.embed(ids)?.flatten_all()?.to_vec1()?;
        if c.embed_scale {
            let s = (hidden as f32).sqrt();
            x.iter_mut().for_each(|v| *v *= s);
        }
        let mut y = vec![0f32; b * nh * hd];
        let angles = self.span_angles(spans);
        for (li, layer) in self.layers.iter().enumerate() {
            let mut h = x.clone();
            norm_rows(&mut h, hidden, &layer.attn_norm)?;
            let mut qkv = project(&[&layer.q, &layer.k, &layer.v], &h, b, &adapters)?.into_iter();
            let (Some(mut q), Some(mut k), Some(v)) = (qkv.next(), qkv.next(), qkv.next()) else {
                candle_core::bail!("missing projections");
            };
            if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
                norm_rows(&mut q, hd, qn)?;
                norm_rows(&mut k, hd, kn)?;
            }
            // Rotate, append to each sequence's cache, and keep the caches' tensors for reading.
            let mut kvs = Vec::with_capacity(b);
            for (si, &Span { pos, .. }) in spans.iter().enumerate() {
                let a = rope::for_layer(&angles[si], layer.sliding);
                let turn = (&a.cos[..], &a.sin[..]);
                rotate(&mut q[si * nh * hd..(si + 1) * nh * hd], hd, turn, c.rope_interleaved, false);
                let ks = &mut k[si * nkv * hd..(si + 1) * nkv * hd];
                rotate(ks, hd, turn, c.rope_interleaved, false);
                let kt = Tensor::from_slice(ks, (1, nkv, 1, hd), &Device::Cpu)?;
                let vt = Tensor::from_slice(&v[si * nkv * hd..(si + 1) * nkv * hd], (1, nkv, 1, hd), &Device::Cpu)?;
                kvs.push(steps[si].cache.append(li, pos, &kt, &vt, c.max_position)?);
            }
            let held = kvs.iter().map(|(k, v)| Ok((F32s::cache(k)?, F32s::cache(v)?))).collect::<CResult<Vec<_>>>()?;
            let caches: Vec<(Cached, Cached)> = held.iter().map(|(k, v)| (k.cached(), v.cached())).collect();
            let window = if layer.sliding { c.sliding_window } else { None };
            let scale = c.attn_scale as f32;
            // One item per (sequence, head), written into its slice of `y`.
            let heads: Vec<Mutex<&mut [f32]>> = y.chunks_mut(hd).map(Mutex::new).collect();
            let work: usize = spans.iter().map(|s| (s.pos + 1) * nh * hd).sum();
            run(heads.len(), work >= PARALLEL_ATTENTION, |range| {
                for item in range {
                    let (si, head) = (item / nh, item % nh);
                    let pos = spans[si].pos;
                    let (kc, vc) = caches[si];
                    let g = head / groups;
                    let qh = &q[(si * nh + head) * hd..(si * nh + head + 1) * hd];
                    let seen = visible(pos, window);
                    let mut s: Vec<f32> = seen
                        .clone()
                        .map(|j| f32::vec_dot(hd, qh, &kc.data[g * kc.head + j * kc.row..][..hd]))
                        .collect();
                    softmax_scores(&mut s, scale, c.attn_softcap);
                    let mut out = lock(&heads[item]);
                    out.fill(0.0);
                    for (j, p) in seen.zip(&s) {
                        let vj = &vc.data[g * vc.head + j * vc.row..][..hd];
                        out.iter_mut().zip(vj).for_each(|(o, v)| *o += p * v);
                    }
                }
            });
            drop(heads);
            drop(caches);
            drop(held);
            let mut a = project(&[&layer.o], &y, b, &adapters)?.swap_remove(0);
            if let Some(n) = &layer.post_attn_norm {
                norm_rows(&mut a, hidden, n)?;
            }
            x.iter_mut().zip(&a).for_each(|(x, a)| *x += a);
            let mut h = x.clone();
            norm_rows(&mut h, hidden, &layer.ffn_norm)?;
            let mut gu = project(&[&layer.gate, &layer.up], &h, b, &adapters)?.into_iter();
            let (Some(mut g), Some(u)) = (gu.next(), gu.next()) else { candle_core::bail!("missing projections") };
            for (g, u) in g.iter_mut().zip(&u) {
                let act = match c.activation {
                    Activation::Silu => *g / (1.0 + (-*g).exp()),
                    Activation::GeluTanh => {
                        let inner = (2.0 / std::f32::consts::PI).sqrt() * (*g + 0.044715 * *g * *g * *g);
                        0.5 * *g * (1.0 + inner.tanh())
                    }
                };
                *g = act * u;
            }
            let mut m = project(&[&layer.down], &g, b, &adapters)?.swap_remove(0);
            if let Some(n) = &layer.post_ffn_norm {
                norm_rows(&mut m, hidden, n)?;
            }
            x.iter_mut().zip(&m).for_each(|(x, m)| *x += m);
        }
        norm_rows(&mut x, hidden, &self.norm)?;
        let mut logits = project(&[&self.lm_head], &x, b, &[])?.swap_remove(0);
        softcap(&mut logits, c.final_softcap);
        let vocab = logits.len() / b;
        logits.chunks_exact(vocab).map(|row| Tensor::from_slice(row, (1, vocab), &Device::Cpu)).collect()
    }
}
