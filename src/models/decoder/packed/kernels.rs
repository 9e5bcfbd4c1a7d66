//! Dot products of weight blocks with Q8_1 activation blocks: the portable loop and the AVX2
//! and AVX-512 VNNI kernels, for tiles of weight rows times activation rows.

use std::sync::LazyLock;

use half::f16;

use super::QK;
use super::blocks::{BlockQ8_1, F16, Packed};

/// The portable dot product, and the reference the vector kernels are tested against.
#[inline(always)]
pub(super) fn dot<B: Packed>(xs: &[B], ys: &[BlockQ8_1], table: &[f32]) -> f32 {
    let mut sum = 0f32;
    for (x, y) in xs.iter().zip(ys) {
        let mut acc = 0i32;
        for (j, &a) in y.qs.iter().enumerate() {
            acc += x.level(j) * i32::from(a);
        }
        let (d, m) = x.scales(table);
        sum += acc as f32 * d * y.d + m * y.s;
    }
    sum
}

/// llama.cpp's AVX2 scheme for `N` weight rows against `M` activation rows: the `q` unpacked
/// to 32 bytes, u8 x i8 pair products summed into i32 lanes (one `vpdpbusd` with AVX-512 VNNI,
/// as llama.cpp builds for such CPUs, else `vpmaddubsw` + `vpmaddwd`), scaled and accumulated in
/// f32; Q4_1's `m * s` offsets summed apart, Q5_0's `-16 * sum(a)` added in the i32 lanes.
/// Each weight block is unpacked once for all `M` activation rows and each activation block
/// loaded once for all `N` weight rows; the `N * M` accumulator chains are independent, which
/// one pair alone leaves the FMA units waiting on.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn dot_body<B: Packed, const N: usize, const M: usize, const VNNI: bool>(
    xs: [&[B]; N],
    ys: [&[BlockQ8_1]; M],
) -> [[f32; M]; N] {
    use std::arch::x86_64::*;
    // SAFETY: only inlined into `dot_avx2` and `dot_vnni`, whose callers checked that the CPU
    // has AVX2, FMA and F16C (and AVX-512 VNNI/VL for `VNNI`); the loads read the blocks' own
    // fields (see `Packed`) and the 32 bytes of each `y.qs`.
    // Plain loops, no closures: a closure's body is a function of its own, without the
    // caller's target features, and when LLVM left one un-inlined every intrinsic in it became
    // a call (Qwen2.5-0.5B pp512 175 -> 35 tok/s after an unrelated change elsewhere).
    #[allow(unsafe_code)]
    unsafe {
        let mut acc = [[_mm256_setzero_ps(); M]; N];
        let mut offset = [[0f32; M]; N];
        let kb = ys.iter().map(|y| y.len()).min().unwrap_or(0);
        // The unchecked reads below stay inside every row.
        assert!(xs.iter().all(|x| x.len() >= kb), "weight rows shorter than the activations");
        for bi in 0..kb {
            let mut yv = [_mm256_setzero_si256(); M];
            let mut yd = [0f32; M];
            let mut ysum = [0f32; M];
            // Q5_0's -16 * sum(a) in the same lanes as the products, once for all weight rows:
            // with VNNI the products accumulate onto it (no subtraction per pair).
            let mut centre = [_mm256_setzero_si256(); M];
            for c in 0..M {
                let y = ys[c].get_unchecked(bi);
                yv[c] = _mm256_loadu_si256(y.qs.as_ptr().cast());
                (yd[c], ysum[c]) = (y.d, y.s);
                if B::CENTERED {
                    let sixteen = _mm256_set1_epi8(16);
                    centre[c] = _mm256_sub_epi32(_mm256_setzero_si256(), products::<VNNI>(sixteen, yv[c]));
                }
            }
            for r in 0..N {
                let x = xs[r].get_unchecked(bi);
                let xv = x.unpack();
                // Signed weights: |q| against the activations with q's sign.
                let ax = if B::SIGNED { _mm256_sign_epi8(xv, xv) } else { xv };
                // d and m converted together by F16C: a 256 KiB table lookup per block missed
                // the cache often enough to show in a decode profile (tg128 +6-15%).
                let dm = x.scales_f16c();
                let (d, dv, m) = (_mm_cvtss_f32(dm), _mm256_broadcastss_ps(dm), _mm_cvtss_f32(_mm_movehdup_ps(dm)));
                for c in 0..M {
                    let prod = if B::SIGNED {
                        products::<VNNI>(ax, _mm256_sign_epi8(yv[c], xv))
                    } else if VNNI {
                        _mm256_dpbusd_epi32(centre[c], xv, yv[c])
                    } else {
                        _mm256_add_epi32(products::<false>(xv, yv[c]), centre[c])
                    };
                    // On a tile, one vector multiply per pair (each side broadcast once per
                    // row) instead of a scalar multiply and a broadcast; on a single row or
                    // column (decode) the scalar way is an instruction shorter.
                    let scale = if N >= 2 && M >= 2 {
                        _mm256_mul_ps(dv, _mm256_set1_ps(yd[c]))
                    } else {
                        _mm256_set1_ps(d * yd[c])
                    };
                    acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(prod), scale, acc[r][c]);
                    if !B::CENTERED && !B::SIGNED {
                        offset[r][c] += m * ysum[c];
                    }
                }
            }
        }
        let mut out = [[0f32; M]; N];
        for r in 0..N {
            for c in 0..M {
                let a = acc[r][c];
                let s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
                let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
                out[r][c] = _mm_cvtss_f32(s) + offset[r][c];
            }
        }
        out
    }
}

/// u8 x i8 pair products summed into i32 lanes; inlined into the kernels like `dot_body`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn products<const VNNI: bool>(
    xv: std::arch::x86_64::__m256i,
    yv: std::arch::x86_64::__m256i,
) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: as `dot_body`, into whose callers (which checked the CPU) it is inlined.
    #[allow(unsafe_code)]
    unsafe {
        if VNNI {
            _mm256_dpbusd_epi32(_mm256_setzero_si256(), xv, yv)
        } else {
            _mm256_madd_epi16(_mm256_maddubs_epi16(xv, yv), _mm256_set1_epi16(1))
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) fn dot_avx2<B: Packed, const N: usize, const M: usize>(
    xs: [&[B]; N],
    ys: [&[BlockQ8_1]; M],
) -> [[f32; M]; N] {
    dot_body::<B, N, M, false>(xs, ys)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
pub(super) fn dot_vnni<B: Packed, const N: usize, const M: usize>(
    xs: [&[B]; N],
    ys: [&[BlockQ8_1]; M],
) -> [[f32; M]; N] {
    dot_body::<B, N, M, true>(xs, ys)
}

/// llama.cpp's quantize_row_q8_1 for one row of activations.
#[inline(always)]
pub(super) fn quantize(xs: &[f32], ys: &mut [BlockQ8_1]) {
    for (x, y) in xs.chunks_exact(QK).zip(ys.iter_mut()) {
        let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d == 0.0 { 0.0 } else { 1.0 / d };
        let mut sum = 0i32;
        for (q, v) in y.qs.iter_mut().zip(x) {
            *q = (v * id).round() as i8;
            sum += i32::from(*q);
        }
        y.d = f16::from_f32(d).to_f32();
        y.s = f16::from_f32(sum as f32 * d).to_f32();
    }
}

/// The same code built for AVX2: `round` becomes inline instructions instead of a libm call
/// per activation (2% of a decode step, more of a long prompt's).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) fn quantize_avx2(xs: &[f32], ys: &mut [BlockQ8_1]) {
    quantize(xs, ys)
}

#[cfg(target_arch = "x86_64")]
pub(super) static AVX2: LazyLock<bool> = LazyLock::new(|| {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
});
#[cfg(target_arch = "x86_64")]
pub(super) static VNNI: LazyLock<bool> = LazyLock::new(|| {
    *AVX2 && std::arch::is_x86_feature_detected!("avx512vnni") && std::arch::is_x86_feature_detected!("avx512vl")
});

/// Dot products of `N` weight rows with each of `M` activation rows.
pub(super) fn dot_tile<B: Packed, const N: usize, const M: usize>(
    xs: [&[B]; N],
    ys: [&[BlockQ8_1]; M],
) -> [[f32; M]; N] {
    #[cfg(target_arch = "x86_64")]
    if *VNNI {
        // SAFETY: `dot_vnni` needs AVX2, FMA, F16C and AVX-512 VNNI/VL, which the CPU was checked to have.
        #[allow(unsafe_code)]
        return unsafe { dot_vnni(xs, ys) };
    }
    #[cfg(target_arch = "x86_64")]
    if *AVX2 {
        // SAFETY: `dot_avx2` only needs AVX2, FMA and F16C, which the CPU was just checked to have.
        #[allow(unsafe_code)]
        return unsafe { dot_avx2(xs, ys) };
    }
    xs.map(|x| ys.map(|y| dot(x, y, F16.as_slice())))
}

pub(super) fn vec_dot<B: Packed>(xs: &[B], ys: &[BlockQ8_1]) -> f32 {
    dot_tile([xs], [ys])[0][0]
}
