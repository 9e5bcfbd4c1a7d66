//! bf16 weights against bf16 activations in AVX512-BF16 dot products, for prompts: one
//! `vdpbf16ps` adds a pair of products into each of 16 f32 lanes, twice an f32 FMA's work,
//! and the weights need no widening. The activations are rounded to bf16 once per product, as
//! llama.cpp does for BF16 tensors on these CPUs (AMD Zen 4 and later, Intel Xeon 4th
//! generation and later). Decode steps keep f32 activations (`half.rs`): they wait on memory,
//! not on arithmetic.

use std::arch::x86_64::*;

use crate::train::amx::{Act, Kernel, Out, Passes, Side};

/// Whether the CPU has AVX512-BF16 (with AVX-512 F and BW); the training pass's dot-product
/// engine asks too.
pub(crate) fn available() -> bool {
    static DOTS: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") && has!("avx512bw") && has!("avx512bf16")
    });
    *DOTS
}

/// Whether AVX512-BF16 dot products beat f32 FMAs on this CPU. `vdpbf16ps` does two
/// multiply-adds per lane, an FMA one; AMD's cores (Zen 4) run both at one 512-bit instruction
/// a cycle, so the dots do twice the work, but Intel's run FMAs on two ports and the dots on
/// one: on an Intel Xeon without AMX, SmolLM2 bf16 512-token prompts ran 389-440 tok/s in the
/// training pass's dot engine and 436-528 in gemm on the widened weights (alternated).
pub(crate) fn pays() -> bool {
    static AMD: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        // CPUID leaf 0: the vendor string in EBX, EDX, ECX.
        let r = __cpuid(0);
        [r.ebx, r.edx, r.ecx].iter().flat_map(|w| w.to_le_bytes()).eq(*b"AuthenticAMD")
    });
    available() && *AMD
}

/// The bf16 engine for a prompt's products of bf16 weights (`train::amx`: AMX tiles, or
/// AVX512-BF16 dot products where they pay), if this CPU has one worth using.
///
/// Why not dot products of weight rows against activation rows (this module's first kernel):
/// each 4 x 4 tile ended in 16 horizontal sums, as many instructions as a 576-deep tile's
/// multiplies.
pub(super) fn engine() -> Option<Kernel> {
    Kernel::best(Passes::One)
}

/// `dst[r * rs + c] = x[r] . w[c]` for the `m` activation rows `x (m, k)` (rounded to bf16)
/// and the f32 weight rows `w (len, k)` (bf16 values), in `kernel`.
pub(super) fn product(
    dst: &mut [f32],
    rs: usize,
    (x, m): (&[f32], usize),
    w: &[f32],
    (k, len): (usize, usize),
    kernel: Kernel,
) {
    let out = Out { dst, rs, accumulate: false };
    crate::train::amx::product(out, Act { act: x, rs: k, n: m }, w, Side::Rows, (k, len), kernel);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::decoder::packed::half::Half;
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
            let wide: Vec<f32> = w.iter().map(|&b| f32::from_bits(u32::from(b) << 16)).collect();
            let x = random(m * k, 2 * s as u64 + 1);
            let mut got = vec![f32::NAN; m * n];
            product(&mut got, n, (&x, m), &wide, (k, n), Kernel::Dots);
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
