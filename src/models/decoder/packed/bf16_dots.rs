//! bf16 weights against bf16 activations in AVX512-BF16 dot products, for prompts: one
//! `vdpbf16ps` adds a pair of products into each of 16 f32 lanes, twice an f32 FMA's work,
//! and the weights need no widening. The activations are rounded to bf16 once per product, as
//! llama.cpp does for BF16 tensors on these CPUs (AMD Zen 4 and later, Intel Xeon 4th
//! generation and later). Decode steps keep f32 activations (`half.rs`): they wait on memory,
//! not on arithmetic.

use std::arch::x86_64::*;

use super::half::Half;
use super::kernels::prefetch;
use super::tiles::{Tile, tiled, wide_tiles};

/// Whether the CPU has AVX512-BF16 (with AVX-512 F and BW); the training pass's dot-product
/// engine asks too.
pub(crate) fn available() -> bool {
    static DOTS: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") && has!("avx512bw") && has!("avx512bf16")
    });
    *DOTS
}

/// `x (m, k)` rounded to bf16 times the transposed bf16 `(n, k)` weights: `(m, n)`. Only where
/// `available()`.
pub(super) fn matmul(weights: &[u16], (n, k): (usize, usize), x: &[f32], m: usize) -> Vec<f32> {
    assert!(available(), "AVX512-BF16 products on a CPU without them");
    let xb: Vec<u16> = x.iter().map(|&v| Half::Bf16.round(v)).collect();
    tiled::<Dots>(weights, (n, k), &xb, (m, k), wide_tiles())
}

/// bf16 weight rows against bf16 activation rows.
struct Dots;

impl Tile for Dots {
    type W = u16;
    type A = u16;
    fn tile<const N: usize, const M: usize>(xs: [&[u16]; N], ys: [&[u16]; M]) -> [[f32; M]; N] {
        // SAFETY: `matmul`, the only way here, asserted the features `dot` is compiled for.
        #[allow(unsafe_code)]
        unsafe {
            dot::<N, M>(xs, ys)
        }
    }
}

/// `acc + a . b` over bf16 pairs (the integer vectors hold the pairs' bits).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
pub(crate) fn pairs(acc: __m512, a: __m512i, b: __m512i) -> __m512 {
    // SAFETY: `__m512i` and `__m512bh` are both 64 bytes of plain bits; every bit pattern is
    // a value of either.
    #[allow(unsafe_code)]
    let (a, b) = unsafe { (std::mem::transmute::<__m512i, __m512bh>(a), std::mem::transmute::<__m512i, __m512bh>(b)) };
    _mm512_dpbf16_ps(acc, a, b)
}

/// `N` weight rows against `M` activation rows, 32 elements a step, the last step masked.
#[target_feature(enable = "avx512f,avx512bw,avx512bf16")]
fn dot<const N: usize, const M: usize>(xs: [&[u16]; N], ys: [&[u16]; M]) -> [[f32; M]; N] {
    let k = xs.iter().map(|x| x.len()).chain(ys.iter().map(|y| y.len())).min().unwrap_or(0);
    let mut acc = [[_mm512_setzero_ps(); M]; N];
    let mut step = |j: usize, mask: u32| {
        // SAFETY: the masked loads read only the `min(k - j, 32)` elements at `j` inside each
        // row; masked-off lanes are not read.
        #[allow(unsafe_code)]
        unsafe {
            let yv: [__m512i; M] =
                std::array::from_fn(|c| _mm512_maskz_loadu_epi16(mask, ys[c].as_ptr().add(j).cast()));
            for r in 0..N {
                let w = _mm512_maskz_loadu_epi16(mask, xs[r].as_ptr().add(j).cast());
                for c in 0..M {
                    acc[r][c] = pairs(acc[r][c], w, yv[c]);
                }
            }
        }
    };
    let full = k / 32 * 32;
    for j in (0..full).step_by(32) {
        for x in xs {
            // One 64-byte line of each row per step.
            prefetch(x.as_ptr().wrapping_add(j).cast(), 64);
        }
        step(j, u32::MAX);
    }
    if full < k {
        step(full, (1u32 << (k - full)) - 1);
    }
    acc.map(|row| row.map(|v| _mm512_reduce_add_ps(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::ops::random;

    /// Against the same bf16 values multiplied in f64: only the f32 sums' rounding may differ.
    /// Shapes with a tail step (k not a multiple of 32), odd row counts and one activation row.
    #[test]
    fn dot_products_equal_the_exact_products_of_the_bf16_values() {
        if !available() {
            return;
        }
        for (s, (m, n, k)) in [(5, 7, 70), (1, 3, 32), (9, 33, 576), (4, 4, 17), (16, 6, 1536)].into_iter().enumerate()
        {
            let w: Vec<u16> = random(n * k, 2 * s as u64).iter().map(|&v| Half::Bf16.round(v)).collect();
            let x = random(m * k, 2 * s as u64 + 1);
            let got = matmul(&w, (n, k), &x, m);
            let bf = |b: u16| f64::from(f32::from_bits(u32::from(b) << 16));
            for i in 0..m {
                for j in 0..n {
                    let terms = (0..k).map(|t| bf(Half::Bf16.round(x[i * k + t])) * bf(w[j * k + t]));
                    let (want, mag) = terms.fold((0f64, 0f64), |(s, a), v| (s + v, a + v.abs()));
                    let err = (f64::from(got[i * n + j]) - want).abs() / mag;
                    assert!(err < 1e-6, "({m}, {n}, {k}) at ({i}, {j}): {} vs {want}", got[i * n + j]);
                }
            }
        }
    }
}
