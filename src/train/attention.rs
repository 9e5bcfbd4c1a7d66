//! Causal self-attention of a training batch, forward and backward, computed block by block
//! in the manner of FlashAttention-2: for each block of query positions only the keys it can
//! see are multiplied, the probabilities are never stored (the backward pass recomputes them
//! from each row's logsumexp), and queries, keys and outputs stay in the projections'
//! `(tokens, heads * head_dim)` layout, read through strides.
//!
//! Why not candle's matmul and softmax per record: that path computed every `(t, t)` score,
//! half of them masked, and moved each record's heads to and from `(heads, t, head_dim)`
//! tensors; on SmolLM2 with 4 records of 256 tokens attention took 17% of a training step,
//! and the kept probabilities 280 MiB.

use rayon::prelude::*;

use super::mm::{Dst, View, matmul};
use super::ops::{exp, exp_sum, max_of};
use crate::models::decoder::{DecoderConfig, rotate};

/// Query positions per block: the keys multiplied for a block end at its last position.
const BLOCK: usize = 64;

/// How a layer attends.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Query heads, key/value heads and the head dimension.
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub scale: f32,
    pub softcap: Option<f32>,
    /// Keys at most this far back (sliding-window layers).
    pub window: Option<usize>,
}

impl Shape {
    /// How a layer of a model with `c` attends (`sliding`: a sliding-window layer).
    pub fn of(c: &DecoderConfig, sliding: bool) -> Self {
        Self {
            heads: c.num_heads,
            kv_heads: c.num_kv_heads,
            head_dim: c.head_dim,
            scale: c.attn_scale as f32,
            softcap: c.attn_softcap,
            window: if sliding { c.sliding_window } else { None },
        }
    }

    /// The first key position query `i` sees.
    fn first_key(&self, i: usize) -> usize {
        self.window.map_or(0, |w| (i + 1).saturating_sub(w))
    }
}

/// One record's queries `(t, heads * d)`, keys and values `(t, kv_heads * d)`.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    pub q: &'a [f32],
    pub k: &'a [f32],
    pub v: &'a [f32],
}

impl Record<'_> {
    fn len(&self, s: &Shape) -> usize {
        self.q.len() / (s.heads * s.head_dim)
    }
}

/// Views of head `h`'s queries and its key/value head's keys and values.
fn head_views(s: &Shape, t: usize, h: usize) -> (View, View) {
    let d = s.head_dim;
    let g = h / (s.heads / s.kv_heads);
    let q = View { off: h * d, rows: t, cols: d, rs: s.heads * d, cs: 1 };
    let kv = View { off: g * d, rows: t, cols: d, rs: s.kv_heads * d, cs: 1 };
    (q, kv)
}

/// Scaled (and soft-capped) scores of query `i` over keys `first..`, in place; returns
/// the visible range within the row.
fn scale_row(row: &mut [f32], s: &Shape, i: usize, first: usize) -> std::ops::Range<usize> {
    let (lo, hi) = (s.first_key(i) - first, i + 1 - first);
    row[..lo].fill(0.0);
    row[hi..].fill(0.0);
    for z in &mut row[lo..hi] {
        *z *= s.scale;
        if let Some(cap) = s.softcap {
            *z = (*z / cap).tanh() * cap;
        }
    }
    lo..hi
}

/// One key/value head's keys and values (positions `0..`) and the query heads that share
/// them (query `i` at position `offset + i`), each a view into its slice; the group's heads
/// sit side by side, head `j`'s view `j * head_dim` columns after the first's.
struct Group<'a> {
    q: (&'a [f32], View),
    heads: usize,
    k: (&'a [f32], View),
    v: (&'a [f32], View),
    offset: usize,
}

impl Group<'_> {
    /// Rows `i0..i0 + m` of `x` (laid out as the queries) for every head of the group,
    /// stacked into `out` head after head: row `j * m + r` is head `j`'s row `i0 + r`. The
    /// group's heads then share one product with their keys and values instead of one each
    /// (three to seven times fewer, larger products on SmolLM2 and Qwen2.5).
    fn stack(&self, x: &[f32], (i0, m): (usize, usize), out: &mut Vec<f32>) {
        let (qv, d) = (self.q.1, self.q.1.cols);
        out.resize(self.heads * m * d, 0.0);
        for (j, rows) in out.chunks_exact_mut(m * d).enumerate() {
            for (r, row) in rows.chunks_exact_mut(d).enumerate() {
                row.copy_from_slice(&x[qv.off + j * d + (i0 + r) * qv.rs..][..d]);
            }
        }
    }

    /// Stacked rows of `m` queries back into the queries' layout: head `j`'s row `r` to row
    /// `r` of `view` (head 0's columns), `j * head_dim` columns on.
    fn unstack(&self, stacked: &[f32], m: usize, x: &mut [f32], view: View) {
        let d = self.q.1.cols;
        for (j, rows) in stacked.chunks_exact(m * d).enumerate() {
            for (r, row) in rows.chunks_exact(d).enumerate() {
                x[view.off + j * d + r * view.rs..][..d].copy_from_slice(row);
            }
        }
    }
}

/// Scratch buffers of one work item.
#[derive(Default)]
struct Scratch {
    q: Vec<f32>,
    scores: Vec<f32>,
    out: Vec<f32>,
}

/// Queries `i0..i1` of every head of `group`: their outputs into `out` (`ov`: head 0's
/// columns of those rows) and their logsumexps into `lse` (`j * m + r` for head `j`'s query
/// `i0 + r`).
fn block_forward(
    group: &Group,
    s: &Shape,
    (i0, i1): (usize, usize),
    sc: &mut Scratch,
    (out, ov): (&mut [f32], View),
    lse: &mut [f32],
) {
    let (m, d) = (i1 - i0, s.head_dim);
    let (p0, p1) = (group.offset + i0, group.offset + i1);
    let (first, n) = (s.first_key(p0), p1 - s.first_key(p0));
    let rows = group.heads * m;
    group.stack(group.q.0, (i0, m), &mut sc.q);
    sc.scores.resize(rows * n, 0.0);
    sc.out.resize(rows * d, 0.0);
    let sv = View::dense(0, rows, n);
    let ((k, kv), (v, vv)) = (group.k, group.v);
    matmul(Dst::Init(&mut sc.scores), sv, &sc.q, View::dense(0, rows, d), k, kv.rows(first, n).t(), false, 1.0, false);
    for (r, (row, l)) in sc.scores.chunks_mut(n).zip(lse.iter_mut()).enumerate() {
        let vis = scale_row(row, s, p0 + r % m, first);
        let max = max_of(&row[vis.clone()]);
        let sum = exp_sum(&mut row[vis.clone()], max) as f32;
        row[vis].iter_mut().for_each(|p| *p /= sum);
        *l = max + sum.ln();
    }
    matmul(Dst::Init(&mut sc.out), View::dense(0, rows, d), &sc.scores, sv, v, vv.rows(first, n), false, 1.0, false);
    group.unstack(&sc.out, m, out, ov);
}

/// One sequence's keys or values as a key/value cache holds them: position `p` of key/value
/// head `g` starts at `g * head + p * row` of `data`, its `head_dim` values in a row.
#[derive(Clone, Copy)]
pub struct Cached<'a> {
    pub data: &'a [f32],
    pub head: usize,
    pub row: usize,
}

/// One work item of a blocked forward pass: query heads `h0..h0 + heads` (all of one
/// key/value head `g`) and the block of queries from `i0`.
#[derive(Clone, Copy)]
struct Item {
    g: usize,
    h0: usize,
    heads: usize,
    i0: usize,
}

/// The work items of `t` queries: a key/value head's query heads share an item (and so their
/// products), unless that leaves fewer items than threads (`units` sequences of `t` run
/// together), then they split.
fn items(s: &Shape, t: usize, units: usize) -> Vec<Item> {
    let groups = s.heads / s.kv_heads;
    let shared = units * s.kv_heads * t.div_ceil(BLOCK);
    let per = groups.div_ceil(rayon::current_num_threads().div_ceil(shared.max(1)).clamp(1, groups));
    let mut items = Vec::new();
    for g in 0..s.kv_heads {
        for j0 in (0..groups).step_by(per) {
            let heads = per.min(groups - j0);
            items.extend((0..t).step_by(BLOCK).map(|i0| Item { g, h0: g * groups + j0, heads, i0 }));
        }
    }
    items
}

/// One item's outputs `(m, heads * d)` (its heads' columns side by side) and logsumexps
/// (`j * m + r` for head `j`'s query `i0 + r`), for queries `q (t, heads * d)` at positions
/// `offset..` and keys and values in `kv(g)`.
fn item_forward<'a>(
    it: Item,
    q: &'a [f32],
    kv: impl Fn(usize) -> ((&'a [f32], View), (&'a [f32], View)),
    (t, offset): (usize, usize),
    s: &Shape,
) -> (Vec<f32>, Vec<f32>) {
    let d = s.head_dim;
    let m = (it.i0 + BLOCK).min(t) - it.i0;
    let qv = View { off: it.h0 * d, rows: t, cols: d, rs: s.heads * d, cs: 1 };
    let (k, v) = kv(it.g);
    let group = Group { q: (q, qv), heads: it.heads, k, v, offset };
    let (mut out, mut lse) = (vec![0f32; m * it.heads * d], vec![0f32; it.heads * m]);
    let ov = View { off: 0, rows: m, cols: d, rs: it.heads * d, cs: 1 };
    block_forward(&group, s, (it.i0, it.i0 + m), &mut Scratch::default(), (&mut out, ov), &mut lse);
    (out, lse)
}

/// Inference attention of a prompt's `t` queries `q (t, heads * d)` at positions
/// `offset..offset + t` over the cached keys and values of positions `0..offset + t`: the
/// outputs `(t, heads * d)`. The training forward's blocks (only visible keys multiplied, no
/// score tensor kept).
pub(crate) fn prompt(q: &[f32], (k, v): (Cached, Cached), offset: usize, s: &Shape) -> Vec<f32> {
    let d = s.head_dim;
    let width = s.heads * d;
    let t = q.len() / width.max(1);
    let view = |c: Cached, g: usize| View { off: g * c.head, rows: offset + t, cols: d, rs: c.row, cs: 1 };
    let kv = |g| ((k.data, view(k, g)), (v.data, view(v, g)));
    let items = items(s, t, 1);
    let blocks: Vec<_> = items.par_iter().map(|&it| item_forward(it, q, kv, (t, offset), s).0).collect();
    let mut out = vec![0f32; t * width];
    for (it, block) in items.iter().zip(&blocks) {
        for (r, row) in block.chunks_exact(it.heads * d).enumerate() {
            out[(it.i0 + r) * width + it.h0 * d..][..it.heads * d].copy_from_slice(row);
        }
    }
    out
}

/// Attention over each record of a batch: the outputs in `(tokens, heads * d)` layout and the
/// logsumexp of every (record, head, query), which [`backward`] needs.
pub fn forward(records: &[Record], s: &Shape) -> (Vec<f32>, Vec<f32>) {
    let d = s.head_dim;
    let width = s.heads * d;
    let mut jobs = Vec::new();
    let mut start = 0;
    for (ri, r) in records.iter().enumerate() {
        let t = r.len(s);
        jobs.extend(items(s, t, records.len()).into_iter().map(|it| (ri, start, it)));
        start += t;
    }
    let blocks: Vec<_> = jobs
        .par_iter()
        .map(|&(ri, _, it)| {
            let r = records[ri];
            let t = r.len(s);
            let kv = |g: usize| {
                let kv = View { off: g * d, rows: t, cols: d, rs: s.kv_heads * d, cs: 1 };
                ((r.k, kv), (r.v, kv))
            };
            item_forward(it, r.q, kv, (t, 0), s)
        })
        .collect();
    let mut out = vec![0f32; start * width];
    let mut lse = vec![0f32; start * s.heads];
    for (&(ri, start, it), (o, l)) in jobs.iter().zip(&blocks) {
        let (t, m) = (records[ri].len(s), l.len() / it.heads);
        for (r, row) in o.chunks_exact(it.heads * d).enumerate() {
            out[(start + it.i0 + r) * width + it.h0 * d..][..it.heads * d].copy_from_slice(row);
        }
        for (j, l) in l.chunks_exact(m).enumerate() {
            lse[start * s.heads + (it.h0 + j) * t + it.i0..][..m].copy_from_slice(l);
        }
    }
    (out, lse)
}

/// Gradients of one key/value head `g` of one record: `dq` of its query heads `(t, heads *
/// d)` (their columns side by side) and its `dk`, `dv` (`(t, d)`). The group's heads are
/// stacked as in the forward pass, so each block takes five products whatever the group size.
fn group_backward(r: Record, o: &[f32], dout: &[f32], lse: &[f32], s: &Shape, g: usize) -> [Vec<f32>; 3] {
    let (t, d) = (r.len(s), s.head_dim);
    let heads = s.heads / s.kv_heads;
    let (qv, kv) = head_views(s, t, g * heads);
    let group = Group { q: (r.q, qv), heads, k: (r.k, kv), v: (r.v, kv), offset: 0 };
    let mut dq = vec![0f32; t * heads * d];
    let (mut dk, mut dv) = (vec![0f32; t * d], vec![0f32; t * d]);
    let (mut q, mut os, mut dos, mut p, mut dp, mut dqs, mut cap) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i0 in (0..t).step_by(BLOCK) {
        let m = (i0 + BLOCK).min(t) - i0;
        let rows = heads * m;
        let (first, n) = (s.first_key(i0), i0 + m - s.first_key(i0));
        let (sv, qs) = (View::dense(0, rows, n), View::dense(0, rows, d));
        let (kb, vb) = (kv.rows(first, n), kv.rows(first, n));
        group.stack(r.q, (i0, m), &mut q);
        group.stack(o, (i0, m), &mut os);
        group.stack(dout, (i0, m), &mut dos);
        p.resize(rows * n, 0.0);
        dp.resize(rows * n, 0.0);
        matmul(Dst::Init(&mut p), sv, &q, qs, r.k, kb.t(), false, 1.0, false);
        if s.softcap.is_some() {
            cap.resize(rows * n, 0.0);
        }
        for (x, row) in p.chunks_exact_mut(n).enumerate() {
            let (j, i) = (x / m, i0 + x % m);
            let vis = scale_row(row, s, i, first);
            if let Some(c) = s.softcap {
                for y in vis.clone() {
                    cap[x * n + y] = 1.0 - (row[y] / c) * (row[y] / c);
                }
            }
            let l = lse[j * t + i];
            row[vis].iter_mut().for_each(|z| *z = exp(*z - l));
        }
        matmul(Dst::Init(&mut dp), sv, &dos, qs, r.v, vb.t(), false, 1.0, false);
        for (x, (prow, drow)) in p.chunks_exact(n).zip(dp.chunks_exact_mut(n)).enumerate() {
            // D = dO . O, which equals sum_j P_ij dP_ij.
            let dot: f32 = dos[x * d..(x + 1) * d].iter().zip(&os[x * d..(x + 1) * d]).map(|(a, b)| a * b).sum();
            for (y, (dz, &pz)) in drow.iter_mut().zip(prow).enumerate() {
                let mut v = pz * (*dz - dot) * s.scale;
                if s.softcap.is_some() {
                    v *= cap[x * n + y];
                }
                *dz = v;
            }
        }
        dqs.resize(rows * d, 0.0);
        matmul(Dst::Init(&mut dqs), qs, &dp, sv, r.k, kb, false, 1.0, false);
        group.unstack(&dqs, m, &mut dq, View { off: i0 * heads * d, rows: m, cols: d, rs: heads * d, cs: 1 });
        matmul(Dst::Init(&mut dk), View::dense(first * d, n, d), &dp, sv.t(), &q, qs, true, 1.0, false);
        matmul(Dst::Init(&mut dv), View::dense(first * d, n, d), &p, sv.t(), &dos, qs, true, 1.0, false);
    }
    [dq, dk, dv]
}

/// The gradients of queries, keys and values (each in its forward layout, all records in
/// order) given the forward's outputs `out`, their gradient `dout` (both `(tokens, heads * d)`)
/// and the logsumexps [`forward`] returned.
pub fn backward(records: &[Record], out: &[f32], dout: &[f32], lse: &[f32], s: &Shape) -> [Vec<f32>; 3] {
    let d = s.head_dim;
    let heads = s.heads / s.kv_heads;
    let (qw, kw) = (s.heads * d, s.kv_heads * d);
    let mut starts = Vec::with_capacity(records.len());
    let mut total = 0;
    for r in records {
        starts.push(total);
        total += r.len(s);
    }
    let jobs: Vec<(usize, usize)> = (0..records.len()).flat_map(|ri| (0..s.kv_heads).map(move |g| (ri, g))).collect();
    let grads: Vec<_> = jobs
        .par_iter()
        .map(|&(ri, g)| {
            let (start, t) = (starts[ri], records[ri].len(s));
            let rows = start * qw..(start + t) * qw;
            let lse = &lse[start * s.heads + g * heads * t..][..heads * t];
            group_backward(records[ri], &out[rows.clone()], &dout[rows], lse, s, g)
        })
        .collect();
    let (mut dq, mut dk, mut dv) = (vec![0f32; total * qw], vec![0f32; total * kw], vec![0f32; total * kw]);
    for (&(ri, g), [gq, gk, gv]) in jobs.iter().zip(&grads) {
        let (start, t) = (starts[ri], records[ri].len(s));
        for i in 0..t {
            dq[(start + i) * qw + g * heads * d..][..heads * d].copy_from_slice(&gq[i * heads * d..][..heads * d]);
            dk[(start + i) * kw + g * d..][..d].copy_from_slice(&gk[i * d..][..d]);
            dv[(start + i) * kw + g * d..][..d].copy_from_slice(&gv[i * d..][..d]);
        }
    }
    [dq, dk, dv]
}

/// Rotary embedding in place on `x (tokens, heads * d)` whose rows are positions with the
/// given cos/sin rows `(tokens, d / 2)`; `inverse` rotates back (the backward pass).
pub fn rope(x: &mut [f32], heads: usize, d: usize, cos: &[f32], sin: &[f32], interleaved: bool, inverse: bool) {
    let half = d / 2;
    x.par_chunks_mut(heads * d).zip(cos.par_chunks(half).zip(sin.par_chunks(half))).for_each(|(row, angles)| {
        rotate(row, d, angles, interleaved, inverse);
    });
}

#[cfg(test)]
#[path = "attention_tests.rs"]
mod tests;
