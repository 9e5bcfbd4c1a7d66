//! The LoRA branch of an adapted projection, `y += scale * dropout(x) A^T B^T`, forward and
//! backward, one activation row at a time. Why not gemm: at rank r (8 by default) one side of
//! every product is r wide, which gemm packs and tiles for nothing, and the branch took five
//! passes over the activations (dropout, two products forward; recomputed dropout and four
//! products backward). Here each pass reads a row once and keeps A, B and the row's r values
//! in cache: on SmolLM2 (q_proj and v_proj, dropout 0.05, 4 x 256 tokens) the branch with its
//! dropout went from about 7% of a training step to about 3.5% (timed per phase).

use rand::{Rng, SeedableRng, rngs::SmallRng};
use rayon::prelude::*;

use super::ops::{dot, wide};

/// Rows per work item. The backward pass adds each item's partial gradients in item order, so
/// its sums do not depend on the thread count.
const ROWS: usize = 32;

/// Dropout's mask over a projection's input, computed where it is used (forward and backward)
/// instead of drawn and stored: entry `e` is kept unless a hash of `(seed, e)` falls below
/// `p`'s share of the 32-bit range. The same mask whatever the thread count, and no memory
/// per entry; the hash vectorizes where a sequential generator (about 1 ns per entry, 1.3% of
/// a step on SmolLM2) could not.
#[derive(Clone, Copy)]
pub(super) struct Mask {
    keys: (u32, u32),
    threshold: u32,
    keep: f32,
    /// Rows before this pass's first in its micro-batch (a part's masks are the whole's).
    first_row: usize,
}

/// A bijective 32-bit mix with good avalanche (Chris Wellons' `lowbias32`).
#[inline(always)]
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

impl Mask {
    /// Drop each entry with probability `p` (0 < p < 1).
    pub(super) fn new(seed: u64, p: f32) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed);
        let threshold = (f64::from(p) * 4_294_967_296.0).round().min(f64::from(u32::MAX)) as u32;
        Self { keys: (rng.random(), rng.random()), threshold, keep: 1.0 / (1.0 - p), first_row: 0 }
    }

    /// The mask of a pass whose first row is row `first_row` of its micro-batch.
    pub(super) fn starting_at(self, first_row: usize) -> Self {
        Self { first_row, ..self }
    }

    /// The number of row `i`'s first entry (of `width`).
    #[inline(always)]
    fn row_base(&self, i: usize, width: usize) -> u32 {
        ((self.first_row + i) * width) as u32
    }

    /// Entry `e`'s factor: `keep` or 0. Entries are numbered row by row within one
    /// projection's input (they would repeat past 2^32 of them, far beyond a CPU batch).
    #[inline(always)]
    fn factor(&self, e: u32) -> f32 {
        if mix(mix(e ^ self.keys.0) ^ self.keys.1) >= self.threshold { self.keep } else { 0.0 }
    }
}

/// The shapes of one adapter: `x (n, inp)`, `A (r, inp)`, `B (out, r)`.
#[derive(Clone, Copy)]
pub(super) struct Dims {
    pub(super) inp: usize,
    pub(super) out: usize,
    pub(super) r: usize,
}

/// `B^T (r, out)`: its rows are the vectors the row loops add and dot with.
fn transposed(b: &[f32], d: Dims) -> Vec<f32> {
    let mut t = vec![0f32; b.len()];
    for (o, row) in b.chunks_exact(d.r).enumerate() {
        for (k, &v) in row.iter().enumerate() {
            t[k * d.out + o] = v;
        }
    }
    t
}

/// `y += s x`.
#[inline(always)]
fn axpy(y: &mut [f32], s: f32, x: &[f32]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += s * x);
}

/// Row `i` of the input after dropout: the row itself, or its dropped copy in `scratch`.
#[inline(always)]
fn input_row<'a>(x: &'a [f32], mask: Option<&Mask>, i: usize, inp: usize, scratch: &'a mut [f32]) -> &'a [f32] {
    let row = &x[i * inp..(i + 1) * inp];
    let Some(m) = mask else { return row };
    let base = m.row_base(i, inp);
    for ((d, x), c) in scratch.iter_mut().zip(row).zip(0u32..) {
        *d = x * m.factor(base.wrapping_add(c));
    }
    scratch
}

/// `y (n, out) += scale * dropout(x) A^T B^T`; returns `dropout(x) A^T (n, r)`, which the
/// backward pass needs.
pub(super) fn forward(
    x: &[f32],
    mask: Option<&Mask>,
    a: &[f32],
    b: &[f32],
    d: Dims,
    scale: f32,
    y: &mut [f32],
) -> Vec<f32> {
    let bt = transposed(b, d);
    let n = x.len() / d.inp.max(1);
    let mut xa = vec![0f32; n * d.r];
    let items = y.par_chunks_mut(ROWS * d.out).zip(xa.par_chunks_mut(ROWS * d.r));
    items.enumerate().for_each(|(c, (ys, xas))| {
        wide(
            #[inline(always)]
            || {
                let mut scratch = vec![0f32; if mask.is_some() { d.inp } else { 0 }];
                for (j, (yi, xai)) in ys.chunks_exact_mut(d.out).zip(xas.chunks_exact_mut(d.r)).enumerate() {
                    let row = input_row(x, mask, c * ROWS + j, d.inp, &mut scratch);
                    for (k, v) in xai.iter_mut().enumerate() {
                        *v = dot(row, &a[k * d.inp..(k + 1) * d.inp]);
                        axpy(yi, scale * *v, &bt[k * d.out..(k + 1) * d.out]);
                    }
                }
            },
        );
    });
    xa
}

/// The branch's gradients given `dy (n, out)` and the forward's `xa`: adds `dL/dA` to `da
/// (r, inp)`, `dL/dB` to `db (out, r)` and the input gradient to `dx (n, inp)`.
#[allow(clippy::too_many_arguments)]
pub(super) fn backward(
    x: &[f32],
    mask: Option<&Mask>,
    xa: &[f32],
    dy: &[f32],
    (a, b): (&[f32], &[f32]),
    d: Dims,
    scale: f32,
    (da, db): (&mut [f32], &mut [f32]),
    dx: &mut [f32],
) {
    let bt = transposed(b, d);
    let parts: Vec<(Vec<f32>, Vec<f32>)> = dx
        .par_chunks_mut(ROWS * d.inp)
        .enumerate()
        .map(|(c, dxs)| {
            wide(
                #[inline(always)]
                || {
                    // This item's dA and dB^T.
                    let (mut ga, mut gbt) = (vec![0f32; d.r * d.inp], vec![0f32; d.r * d.out]);
                    let mut scratch = vec![0f32; if mask.is_some() { d.inp } else { 0 }];
                    let (mut back, mut dxa) = (vec![0f32; d.inp], vec![0f32; d.r]);
                    for (j, dxi) in dxs.chunks_exact_mut(d.inp).enumerate() {
                        let i = c * ROWS + j;
                        let (dyi, xai) = (&dy[i * d.out..(i + 1) * d.out], &xa[i * d.r..(i + 1) * d.r]);
                        // dB += scale dy^T xa; d(xa) = scale dy B.
                        for k in 0..d.r {
                            let btk = &bt[k * d.out..(k + 1) * d.out];
                            dxa[k] = scale * dot(dyi, btk);
                            axpy(&mut gbt[k * d.out..(k + 1) * d.out], scale * xai[k], dyi);
                        }
                        // dA += d(xa)^T dropout(x); d(dropout(x)) = d(xa) A.
                        let row = input_row(x, mask, i, d.inp, &mut scratch);
                        back.fill(0.0);
                        for k in 0..d.r {
                            axpy(&mut ga[k * d.inp..(k + 1) * d.inp], dxa[k], row);
                            axpy(&mut back, dxa[k], &a[k * d.inp..(k + 1) * d.inp]);
                        }
                        match mask {
                            Some(m) => {
                                let base = m.row_base(i, d.inp);
                                for ((g, b), c) in dxi.iter_mut().zip(&back).zip(0u32..) {
                                    *g += b * m.factor(base.wrapping_add(c));
                                }
                            }
                            None => axpy(dxi, 1.0, &back),
                        }
                    }
                    (ga, gbt)
                },
            )
        })
        .collect();
    for (ga, gbt) in parts {
        axpy(da, 1.0, &ga);
        for (k, col) in gbt.chunks_exact(d.out).enumerate() {
            for (o, &g) in col.iter().enumerate() {
                db[o * d.r + k] += g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::ops::random;

    /// The branch written out entry by entry in f64: `y`, and the gradients of `sum(y * c)`.
    fn naive(x: &[f32], mask: Option<&Mask>, a: &[f32], b: &[f32], d: Dims, scale: f32, c: &[f32]) -> [Vec<f64>; 4] {
        let n = x.len() / d.inp;
        let f = |e: usize| mask.map_or(1.0, |m| f64::from(m.factor(e as u32)));
        let xd: Vec<f64> = (0..n * d.inp).map(|e| f64::from(x[e]) * f(e)).collect();
        let xa: Vec<f64> = (0..n * d.r)
            .map(|e| (0..d.inp).map(|j| xd[e / d.r * d.inp + j] * f64::from(a[e % d.r * d.inp + j])).sum())
            .collect();
        let s = f64::from(scale);
        let y: Vec<f64> = (0..n * d.out)
            .map(|e| s * (0..d.r).map(|k| xa[e / d.out * d.r + k] * f64::from(b[e % d.out * d.r + k])).sum::<f64>())
            .collect();
        let dxa: Vec<f64> = (0..n * d.r)
            .map(|e| {
                s * (0..d.out).map(|o| f64::from(c[e / d.r * d.out + o]) * f64::from(b[o * d.r + e % d.r])).sum::<f64>()
            })
            .collect();
        let db: Vec<f64> = (0..d.out * d.r)
            .map(|e| s * (0..n).map(|i| f64::from(c[i * d.out + e / d.r]) * xa[i * d.r + e % d.r]).sum::<f64>())
            .collect();
        let da: Vec<f64> = (0..d.r * d.inp)
            .map(|e| (0..n).map(|i| dxa[i * d.r + e / d.inp] * xd[i * d.inp + e % d.inp]).sum())
            .collect();
        let dx: Vec<f64> = (0..n * d.inp)
            .map(|e| {
                f(e) * (0..d.r).map(|k| dxa[e / d.inp * d.r + k] * f64::from(a[k * d.inp + e % d.inp])).sum::<f64>()
            })
            .collect();
        [y, da, db, dx]
    }

    fn close(got: &[f32], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((f64::from(*g) - w).abs() <= 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
        }
    }

    #[test]
    fn lora_branch_matches_the_written_out_products_with_and_without_dropout() {
        // 70 rows: two full work items and a partial one; widths off the 16- and 64-lane sizes.
        let (n, d) = (70, Dims { inp: 83, out: 45, r: 3 });
        let (x, a, b) = (random(n * d.inp, 1), random(d.r * d.inp, 2), random(d.out * d.r, 3));
        let c = random(n * d.out, 4);
        let mask = Mask::new(9, 0.3);
        for m in [None, Some(&mask)] {
            let mut y = vec![0.5f32; n * d.out];
            let xa = forward(&x, m, &a, &b, d, 1.7, &mut y);
            let [wy, wda, wdb, wdx] = naive(&x, m, &a, &b, d, 1.7, &c);
            close(&y.iter().map(|y| y - 0.5).collect::<Vec<_>>(), &wy);
            let (mut da, mut db, mut dx) = (vec![0f32; a.len()], vec![0f32; b.len()], vec![0.25f32; x.len()]);
            backward(&x, m, &xa, &c, (&a, &b), d, 1.7, (&mut da, &mut db), &mut dx);
            close(&da, &wda);
            close(&db, &wdb);
            close(&dx.iter().map(|g| g - 0.25).collect::<Vec<_>>(), &wdx);
        }
    }

    #[test]
    fn dropout_drops_its_share_and_scales_the_rest() {
        let m = Mask::new(5, 0.1);
        let kept: Vec<f32> = (0..200_000u32).map(|e| m.factor(e)).collect();
        let dropped = kept.iter().filter(|&&f| f == 0.0).count() as f64 / kept.len() as f64;
        assert!((dropped - 0.1).abs() < 0.005, "dropped {dropped}");
        assert!(kept.iter().all(|&f| f == 0.0 || (f - 1.0 / 0.9).abs() < 1e-6));
        // Another seed, another mask.
        let other = Mask::new(6, 0.1);
        assert!((0..1000u32).any(|e| other.factor(e) != m.factor(e)));
    }
}
