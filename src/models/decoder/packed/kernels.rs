//! Dot products of weight blocks with Q8_1 activation blocks: the portable loop and the AVX2
//! and AVX-512 VNNI kernels, for tiles of weight rows times activation rows.

#[cfg(target_arch = "x86_64")]
use std::sync::LazyLock;

use half::f16;

use super::QK;
use super::blocks::{BlockQ8_1, F16, OneGroup};

/// The portable dot product, and the reference the vector kernels are tested against.
#[inline(always)]
pub(super) fn dot<B: OneGroup>(xs: &[B], ys: &[BlockQ8_1], table: &[f32]) -> f32 {
    let mut sum = 0f32;
    for (x, y) in xs.iter().zip(ys) {
        let mut acc = [0i32; 2];
        for (j, &a) in y.qs.iter().enumerate() {
            acc[j / (QK / 2)] += x.level(j) * i32::from(a);
        }
        let ([lo, hi], [m, _]) = x.scales(table, 0);
        sum += (acc[0] as f32 * lo + acc[1] as f32 * hi) * y.d + m * y.s;
    }
    sum
}

/// llama.cpp's AVX2 scheme for `N` weight rows against `M` activation rows: each 32-weight group
/// unpacked to 32 bytes `q`, u8 x i8 pair products summed into i32 lanes (one `vpdpbusd` with
/// AVX-512 VNNI, as llama.cpp builds for such CPUs, else `vpmaddubsw` + `vpmaddwd`), scaled and
/// accumulated in f32; the `m * s` offsets (Q4_1, Q5_1) summed apart, the `-c * sum(a)` of
/// centred types (Q4_0, Q5_0) added in the i32 lanes. Each weight group is unpacked once for
/// all `M` activation rows and each activation block loaded once for all `N` weight rows; the
/// `N * M` accumulator chains are independent, which one pair alone leaves the FMA units
/// waiting on.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C, and AVX-512 VNNI, VL and BW when `VNNI`. It is
/// `#[inline(always)]` rather than `#[target_feature]` (the two cannot be combined) so that its
/// intrinsics are compiled with the features of `dot_avx2`/`dot_vnni`, its only callers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn dot_body<B: OneGroup, const N: usize, const M: usize, const VNNI: bool>(
    xs: [&[B]; N],
    ys: [&[BlockQ8_1]; M],
) -> [[f32; M]; N] {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees the CPU features (see above); the loads read the blocks' own
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
            for x in xs {
                prefetch(std::ptr::from_ref(x.get_unchecked(bi)).cast(), std::mem::size_of::<B>());
            }
            let mut yv = [_mm256_setzero_si256(); M];
            let mut yd = [_mm256_setzero_ps(); M];
            let mut ysum = [0f32; M];
            // -c * sum(a) in the same lanes as the products, once for all weight rows: with
            // VNNI the products accumulate onto it (no subtraction per pair).
            let mut centre = [_mm256_setzero_si256(); M];
            for c in 0..M {
                let y = ys[c].get_unchecked(bi);
                yv[c] = _mm256_loadu_si256(y.qs.as_ptr().cast());
                (yd[c], ysum[c]) = (_mm256_set1_ps(y.d), y.s);
                if B::CENTRE != 0 {
                    let c8 = _mm256_set1_epi8(B::CENTRE);
                    centre[c] = _mm256_sub_epi32(_mm256_setzero_si256(), products::<VNNI>(c8, yv[c]));
                }
            }
            for r in 0..N {
                let x = xs[r].get_unchecked(bi);
                let xv = if VNNI { x.unpack_avx512(0) } else { x.unpack(0) };
                // Signed weights: |q| against the activations with q's sign.
                let ax = if B::SIGNED { _mm256_sign_epi8(xv, xv) } else { xv };
                let (dv, m) = x.d_lanes();
                for c in 0..M {
                    let prod = if B::SIGNED {
                        products::<VNNI>(ax, _mm256_sign_epi8(yv[c], xv))
                    } else if B::CENTRE == 0 {
                        products::<VNNI>(xv, yv[c])
                    } else if VNNI {
                        _mm256_dpbusd_epi32(centre[c], xv, yv[c])
                    } else {
                        _mm256_add_epi32(products::<false>(xv, yv[c]), centre[c])
                    };
                    let scale = _mm256_mul_ps(dv, yd[c]);
                    acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(prod), scale, acc[r][c]);
                    if B::OFFSET {
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

/// How far ahead of the weights being read `prefetch` asks for them, in bytes.
#[cfg(target_arch = "x86_64")]
const PREFETCH_AHEAD: usize = 8192;

/// Asks the CPU to load the cache lines of `len` bytes from `at + PREFETCH_AHEAD`, for kernels
/// that stream through weight rows, calling it once per piece they read.
///
/// Why: a decode step reads each weight once, and without these hints the hardware prefetchers
/// left the kernels waiting on their loads (the instructions after them held most profile
/// samples): Qwen2.5-Coder-0.5B Q4_K_M tg64 went from 30-32 to 51-55 tok/s, SmolLM2 f32 from
/// 40-43 to 56-62 (three alternated rounds). The hardware's streamers stop at 4 KiB page edges,
/// and these rows are short (896 Q5_0 weights are 616 bytes), so a stream was found again page
/// after page. 8 and 12 KiB ahead did alike, 4 KiB 7-13% worse on f32 and bf16, 2 KiB about
/// 25% worse.
/// Prefetches never fault, so the address may run past the matrix.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn prefetch(at: *const u8, len: usize) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    let mut off = 0;
    while off < len {
        // SAFETY: a prefetch is a hint (SSE, part of every x86-64 CPU) that reads no memory the
        // program sees and never faults; `wrapping_add` keeps the address arithmetic defined
        // wherever it points.
        #[allow(unsafe_code)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(at.wrapping_add(PREFETCH_AHEAD + off).cast())
        };
        off += 64;
    }
}

/// u8 x i8 pair products summed into i32 lanes; inlined into the kernels like `dot_body`.
///
/// # Safety
/// The CPU must have AVX2, and AVX-512 VNNI and VL when `VNNI`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn products<const VNNI: bool>(
    xv: std::arch::x86_64::__m256i,
    yv: std::arch::x86_64::__m256i,
) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees the CPU features; no memory is read.
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
pub(super) fn dot_avx2<B: OneGroup, const N: usize, const M: usize>(
    xs: [&[B]; N],
    ys: [&[BlockQ8_1]; M],
) -> [[f32; M]; N] {
    // SAFETY: this function's features are `dot_body::<_, _, _, false>`'s requirement.
    #[allow(unsafe_code)]
    unsafe {
        dot_body::<B, N, M, false>(xs, ys)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c,avx512bw,avx512vnni,avx512vl")]
pub(super) fn dot_vnni<B: OneGroup, const N: usize, const M: usize>(
    xs: [&[B]; N],
    ys: [&[BlockQ8_1]; M],
) -> [[f32; M]; N] {
    // SAFETY: this function's features are `dot_body::<_, _, _, true>`'s requirement.
    #[allow(unsafe_code)]
    unsafe {
        dot_body::<B, N, M, true>(xs, ys)
    }
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

/// `quantize` in AVX2, F16C and FMA, with the same numbers: the compiler kept the loop's
/// absolute maximum and rounding scalar (a max over floats is not a reduction it may reorder),
/// and the activations' quantization, done once per projection on the calling thread while the
/// pool waits, was 4.4% of a batched decode step.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) fn quantize_avx2(xs: &[f32], ys: &mut [BlockQ8_1]) {
    use std::arch::x86_64::*;
    let sign = _mm256_set1_ps(-0.0);
    let (half, one) = (_mm256_set1_ps(0.5), _mm256_set1_ps(1.0));
    for (x, y) in xs.chunks_exact(QK).zip(ys.iter_mut()) {
        let v: [__m256; 4] = std::array::from_fn(|i| {
            // SAFETY: `x` holds QK = 32 floats, read 8 at a time.
            #[allow(unsafe_code)]
            unsafe {
                _mm256_loadu_ps(x.as_ptr().add(8 * i))
            }
        });
        let a = v.map(|v| _mm256_andnot_ps(sign, v));
        let m = _mm256_max_ps(_mm256_max_ps(a[0], a[1]), _mm256_max_ps(a[2], a[3]));
        let m = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
        let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        let amax = _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps::<1>(m, m)));
        let d = amax / 127.0;
        let id = _mm256_set1_ps(if d == 0.0 { 0.0 } else { 1.0 / d });
        // `f32::round` (half away from zero): truncate, then step away from zero where the
        // part cut off (exact) is at least a half.
        let q = v.map(|v| {
            let s = _mm256_mul_ps(v, id);
            let t = _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(s);
            let away = _mm256_cmp_ps::<_CMP_GE_OQ>(_mm256_andnot_ps(sign, _mm256_sub_ps(s, t)), half);
            let step = _mm256_and_ps(away, _mm256_or_ps(_mm256_and_ps(s, sign), one));
            _mm256_cvtps_epi32(_mm256_add_ps(t, step))
        });
        let sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        let sum = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256::<1>(sum));
        let sum = _mm_add_epi32(sum, _mm_unpackhi_epi64(sum, sum));
        let sum = _mm_cvtsi128_si32(_mm_add_epi32(sum, _mm_shuffle_epi32::<1>(sum)));
        // Packing works within 128-bit lanes: bytes come out as 4-byte pieces of the four
        // vectors in turn, put back in order by one permutation.
        let packed = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
        let packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        // SAFETY: `qs` is 32 bytes, written unaligned.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_storeu_si256(y.qs.as_mut_ptr().cast(), packed)
        };
        let f16 = |v: f32| _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtps_ph::<{ _MM_FROUND_TO_NEAREST_INT }>(_mm_set_ss(v))));
        y.d = f16(d);
        y.s = f16(sum as f32 * d);
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) static AVX2: LazyLock<bool> = LazyLock::new(|| {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
});
#[cfg(target_arch = "x86_64")]
pub(super) static VNNI: LazyLock<bool> = LazyLock::new(|| {
    *AVX2
        && std::arch::is_x86_feature_detected!("avx512vnni")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512bw")
});

/// Dot products of `N` weight rows with each of `M` activation rows.
pub(super) fn dot_tile<B: OneGroup, const N: usize, const M: usize>(
    xs: [&[B]; N],
    ys: [&[BlockQ8_1]; M],
) -> [[f32; M]; N] {
    #[cfg(target_arch = "x86_64")]
    if *VNNI {
        // SAFETY: `dot_vnni` needs AVX2, FMA, F16C and AVX-512 VNNI/VL/BW, which the CPU was checked to have.
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

pub(super) fn vec_dot<B: OneGroup>(xs: &[B], ys: &[BlockQ8_1]) -> f32 {
    dot_tile([xs], [ys])[0][0]
}
