//! K-quant matrices (Q2_K to Q6_K) times activations rounded as llama.cpp rounds them for
//! these types: Q8_K, one scale per 256 values, with the sum of each 16. A super-block's
//! products are summed in integers, scales included, and only then turned to floats, as
//! llama.cpp's kernels do.
//!
//! Why not the one-group blocks' Q8_1 activations (a scale per 32): those change the numbers
//! llama.cpp computes for these types, and on Qwen2.5-0.5B Q5_K_M that turned its greedy
//! answer from llama.cpp's into a loop, so GGUF files' K-quant tensors were left to candle,
//! whose kernels round as llama.cpp does but keep a second, repacked copy of Q4_K weights
//! (a synthetic 8-layer 1024-wide Q4_K_M: 210 MB peak RSS for a 125 MB file) and ran a prompt
//! here at about half of what this module's panels do. Why integers: a super-block's sum is
//! then the same whatever order a kernel adds in, so the decode step (`dot_rows`), the prompt
//! panels (`kpanels`) and the portable loop give the same floats, to the bit.

use candle_core::quantized::GgmlDType;
use candle_core::quantized::k_quants::GgmlType;

use super::blocks::{F16, Packed};

/// Values per super-block.
pub(super) const QK_K: usize = 256;

/// 256 activations: `x = d * q`, with the sum of each 16 `q` (llama.cpp's `block_q8_K`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ8K {
    pub(super) d: f32,
    pub(super) qs: [i8; QK_K],
    pub(super) sums: [i16; QK_K / 16],
}

/// candle's block-type trait, so that the K-quant blocks' own (`GgmlType::vec_dot`) takes these
/// activations.
impl GgmlType for BlockQ8K {
    const DTYPE: GgmlDType = GgmlDType::Q8K;
    const BLCK_SIZE: usize = QK_K;
    type VecDotType = BlockQ8K;

    fn zeros() -> Self {
        Self { d: 0.0, qs: [0; QK_K], sums: [0; QK_K / 16] }
    }

    fn to_float(xs: &[Self], ys: &mut [f32]) {
        for (b, out) in xs.iter().zip(ys.chunks_exact_mut(QK_K)) {
            for (o, &q) in out.iter_mut().zip(&b.qs) {
                *o = b.d * f32::from(q);
            }
        }
    }

    fn from_float(xs: &[f32], ys: &mut [Self]) {
        quantize(xs, ys)
    }

    fn vec_dot(_: usize, xs: &[Self], ys: &[Self]) -> f32 {
        let int = |a: &Self, b: &Self| a.qs.iter().zip(&b.qs).map(|(&p, &q)| i32::from(p) * i32::from(q)).sum::<i32>();
        xs.iter().zip(ys).map(|(a, b)| a.d * b.d * int(a, b) as f32).sum()
    }

    fn vec_dot_unopt(n: usize, xs: &[Self], ys: &[Self]) -> f32 {
        Self::vec_dot(n, xs, ys)
    }
}

/// A K-quant super-block as the integer kernels read it.
pub trait Super: Packed {
    /// Whether a group's two 16-weight halves can have different scales (Q2_K, Q3_K, Q6_K);
    /// Q4_K and Q5_K have one per group, which the prompt panels apply once to both halves.
    const HALF_SCALES: bool = true;
    /// The f16 bits of `d` (the levels' scale) and `e` (what multiplies the offsets: Q4_K's and
    /// Q5_K's `dmin`; Q6_K has none).
    fn d_e(&self) -> (u16, u16);
    /// Each 16 weights' integer scale, and its offset `o`: the integer that multiplies the 16
    /// activations' sum (Q4_K and Q5_K: the group's minimum, taken away through `e`; Q6_K:
    /// `32 * scale`, its levels' centre, taken away in integers).
    fn int_scales(&self) -> ([i32; 16], [i16; 16]);
    /// `int_scales` as the decode rows read them: group `g`'s two scales in i16 lanes (the first
    /// 16 weights' in the low half), and the 16 offsets as i16. Built in vectors (`spread`):
    /// from the arrays, the scales took more instructions than a super-block's products in a
    /// one-sequence decode step.
    ///
    /// # Safety
    /// The CPU must have AVX2 (inlined into the kernels built for it).
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    unsafe fn scale_lanes(&self) -> ([std::arch::x86_64::__m256i; 8], std::arch::x86_64::__m256i);
}

/// Scale bytes `b` (signed when `SIGNED`) to `Super::scale_lanes`'s i16 lanes: group `g`'s from
/// bytes `2 g` and `2 g + 1` (`HALVES`), or byte `g` for both halves.
///
/// # Safety
/// The CPU must have AVX2 (inlined into the kernels built for it).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn spread<const SIGNED: bool, const HALVES: bool>(
    b: std::arch::x86_64::__m128i,
) -> [std::arch::x86_64::__m256i; 8] {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees AVX2; no memory is touched.
    unsafe {
        let v = _mm256_broadcastsi128_si256(b);
        let mut out = [_mm256_setzero_si256(); 8];
        for (g, out) in out.iter_mut().enumerate() {
            let (lo, hi) = if HALVES { (2 * g, 2 * g + 1) } else { (g, g) };
            // Each i16 gets the byte in its high half and zero below (index 0x80), then is
            // shifted down, the sign kept for signed scales.
            let (lo, hi) = (((lo << 8) | 0x80) as i16, ((hi << 8) | 0x80) as i16);
            let r = _mm256_shuffle_epi8(v, _mm256_set_m128i(_mm_set1_epi16(hi), _mm_set1_epi16(lo)));
            *out = if SIGNED { _mm256_srai_epi16(r, 8) } else { _mm256_srli_epi16(r, 8) };
        }
        out
    }
}

/// Each `k`-wide row of `x` as Q8_K blocks (llama.cpp's `quantize_row_q8_K_ref`: the value of
/// largest magnitude, sign included, maps to -127; rounding to nearest, ties to even).
pub fn quantize_rows_k(x: &[f32], k: usize) -> Vec<BlockQ8K> {
    let mut ys = vec![BlockQ8K { d: 0.0, qs: [0; QK_K], sums: [0; 16] }; x.len() / k.max(1) * (k / QK_K)];
    #[cfg(target_arch = "x86_64")]
    if *super::kernels::AVX2 {
        // SAFETY: the CPU has AVX2, FMA and F16C (just checked).
        #[allow(unsafe_code)]
        unsafe {
            quantize_avx2(x, &mut ys)
        };
        return ys;
    }
    quantize(x, &mut ys);
    ys
}

/// `quantize` in AVX2 with the same numbers (the compiler kept its search for the largest
/// magnitude scalar, a quarter of a prompt's K-quant products, on the calling thread).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
fn quantize_avx2(xs: &[f32], ys: &mut [BlockQ8K]) {
    use std::arch::x86_64::*;
    let sign = _mm256_set1_ps(-0.0);
    for (x, y) in xs.chunks_exact(QK_K).zip(ys.iter_mut()) {
        let at = |i: usize| {
            // SAFETY: `x` holds 256 floats, read 8 at a time (`i < 32`).
            #[allow(unsafe_code)]
            unsafe {
                _mm256_loadu_ps(x.as_ptr().add(8 * i))
            }
        };
        let mut m = _mm256_setzero_ps();
        for i in 0..QK_K / 8 {
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, at(i)));
        }
        let m = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
        let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        let amax = _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps::<1>(m, m)));
        if amax == 0.0 {
            continue;
        }
        // The first value of that magnitude, with its sign.
        let mut max = amax;
        for i in 0..QK_K / 8 {
            let hit =
                _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(_mm256_andnot_ps(sign, at(i)), _mm256_set1_ps(amax)));
            if hit != 0 {
                max = x[8 * i + hit.trailing_zeros() as usize];
                break;
            }
        }
        let iscale = -127.0 / max;
        let (scale, top) = (_mm256_set1_ps(iscale), _mm256_set1_epi32(127));
        for (c, out) in y.qs.chunks_exact_mut(super::QK).enumerate() {
            // Rounded to nearest, ties to even (the default rounding mode).
            let q: [__m256i; 4] =
                std::array::from_fn(|i| _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(at(4 * c + i), scale)), top));
            for (h, pair) in q.chunks_exact(2).enumerate() {
                // SAFETY: this function has AVX2.
                #[allow(unsafe_code)]
                let sum = unsafe { hsum_i32(_mm256_add_epi32(pair[0], pair[1])) };
                y.sums[2 * c + h] = sum as i16;
            }
            // Packing works within 128-bit lanes (see `kernels::quantize_avx2`).
            let packed = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
            let packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            // SAFETY: `out` is 32 bytes, written unaligned.
            #[allow(unsafe_code)]
            unsafe {
                _mm256_storeu_si256(out.as_mut_ptr().cast(), packed)
            };
        }
        y.d = 1.0 / iscale;
    }
}

#[inline(always)]
pub(super) fn quantize(xs: &[f32], ys: &mut [BlockQ8K]) {
    for (x, y) in xs.chunks_exact(QK_K).zip(ys.iter_mut()) {
        let (mut max, mut amax) = (0f32, 0f32);
        for &v in x {
            if v.abs() > amax {
                (amax, max) = (v.abs(), v);
            }
        }
        if amax == 0.0 {
            continue;
        }
        let iscale = -127.0 / max;
        for (q, &v) in y.qs.iter_mut().zip(x) {
            *q = (iscale * v).round_ties_even().min(127.0) as i8;
        }
        for (s, q) in y.sums.iter_mut().zip(y.qs.chunks_exact(16)) {
            *s = q.iter().map(|&q| i16::from(q)).sum();
        }
        y.d = 1.0 / iscale;
    }
}

/// Row `x` (super-blocks) times activation row `a`: per super-block the integer sums `i` (levels
/// times activations times scales, the centre taken away) and `o` (offsets times activation
/// sums), then `acc += (d * a.d) * i`, `acc_o += (e * a.d) * o` in f32 with one rounding each,
/// and `acc - acc_o`. The portable loop, and the reference the kernels equal.
pub(super) fn row<B: Super>(x: &[B], a: &[BlockQ8K]) -> f32 {
    let (mut acc, mut acc_o) = (0f32, 0f32);
    for (x, a) in x.iter().zip(a) {
        let (sc, o) = x.int_scales();
        let mut i = 0i32;
        for (h, sc) in sc.iter().enumerate() {
            let s: i32 = (16 * h..16 * h + 16).map(|j| x.level(j) * i32::from(a.qs[j])).sum();
            i += sc * s;
        }
        let (d, e) = x.d_e();
        acc = (F16[usize::from(d)] * a.d).mul_add(i as f32, acc);
        if B::OFFSET {
            let o: i32 = o.iter().zip(&a.sums).map(|(&o, &s)| i32::from(o) * i32::from(s)).sum();
            acc_o = (F16[usize::from(e)] * a.d).mul_add(o as f32, acc_o);
        }
    }
    acc - acc_o
}

/// `(n, kb)` super-blocks times the `m` activation rows `a` (`kb` blocks each): `(m, n)`.
pub(super) fn matmul<B: Super>(weights: &[B], (n, kb): (usize, usize), a: &[BlockQ8K], m: usize) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if *super::kernels::AVX2 {
        return super::kpanels::matmul(weights, (n, kb), a, m);
    }
    super::tiles::for_tiles(m, n, (16, 16), |(r0, nr), c0, pieces| {
        for (c, piece) in pieces.iter_mut().enumerate() {
            let a = &a[(c0 + c) * kb..(c0 + c + 1) * kb];
            for (j, v) in piece.iter_mut().enumerate().take(nr) {
                *v = row(&weights[(r0 + j) * kb..(r0 + j + 1) * kb], a);
            }
        }
    })
}

/// Rows `r0..r0 + out.len() / b` times each of the `b` activation rows `a`, written `(rows, b)`:
/// the decode step's products, each super-block unpacked once for all `b` rows.
pub(super) fn dot_rows<B: Super>(weights: &[B], kb: usize, r0: usize, out: &mut [f32], a: &[BlockQ8K], b: usize) {
    for (j, out) in out.chunks_exact_mut(b.max(1)).enumerate() {
        let x = &weights[(r0 + j) * kb..(r0 + j + 1) * kb];
        #[cfg(target_arch = "x86_64")]
        if *super::kernels::VNNI {
            // SAFETY: the CPU has the features `row_vnni` needs (checked into `VNNI`).
            #[allow(unsafe_code)]
            unsafe {
                row_vnni(x, a, out)
            };
            continue;
        }
        #[cfg(target_arch = "x86_64")]
        if *super::kernels::AVX2 {
            // SAFETY: the CPU has AVX2, FMA and F16C (checked into `AVX2`).
            #[allow(unsafe_code)]
            unsafe {
                row_avx2(x, a, out)
            };
            continue;
        }
        for (c, out) in out.iter_mut().enumerate() {
            *out = row(x, &a[c * kb..(c + 1) * kb]);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c,avx512bw,avx512vnni,avx512vl")]
#[allow(unsafe_code)]
unsafe fn row_vnni<B: Super>(x: &[B], a: &[BlockQ8K], out: &mut [f32]) {
    // SAFETY: this function's features are `row_body::<_, true>`'s requirement.
    unsafe { row_body::<B, true>(x, a, out) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
#[allow(unsafe_code)]
unsafe fn row_avx2<B: Super>(x: &[B], a: &[BlockQ8K], out: &mut [f32]) {
    // SAFETY: this function's features are `row_body::<_, false>`'s requirement.
    unsafe { row_body::<B, false>(x, a, out) }
}

/// Sum of the eight i32 lanes.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn hsum_i32(v: std::arch::x86_64::__m256i) -> i32 {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees AVX2; no memory is touched.
    unsafe {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        let s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
        _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32::<1>(s)))
    }
}

/// `d` and `e` of a super-block as f32 through F16C (the 256 KiB table misses the cache in
/// decode).
///
/// # Safety
/// The CPU must have F16C.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn d_e_f32<B: Super>(x: &B) -> (f32, f32) {
    use std::arch::x86_64::*;
    let (d, e) = x.d_e();
    // SAFETY: the caller guarantees F16C; no memory is touched.
    unsafe {
        let v = _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(d) | (i32::from(e) << 16)));
        (_mm_cvtss_f32(v), _mm_cvtss_f32(_mm_movehdup_ps(v)))
    }
}

/// One weight row of super-blocks `x` times each activation row of `a` (`x.len()` blocks
/// each) into `out`: `row`'s numbers, eight activation rows at a time (`eight`), the rest one
/// by one.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C, and AVX-512 VNNI, VL and BW when `VNNI` (inlined into
/// `row_avx2`/`row_vnni`, built with them).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn row_body<B: Super, const VNNI: bool>(x: &[B], a: &[BlockQ8K], out: &mut [f32]) {
    let kb = x.len();
    assert!(a.len() == out.len() * kb, "activation rows out of range");
    let whole = out.len() / 8 * 8;
    // SAFETY: the caller guarantees the features; the rows are inside `a` (asserted above).
    unsafe {
        for c0 in (0..whole).step_by(8) {
            eight::<B, VNNI>(x, &a[c0 * kb..(c0 + 8) * kb], &mut out[c0..c0 + 8]);
        }
        for c in whole..out.len() {
            out[c] = one::<B, VNNI>(x, &a[c * kb..(c + 1) * kb]);
        }
    }
}

/// A super-block's levels (`q`, group `g`'s 32 bytes) and each group's i16 scales (`scv`:
/// weights 0..16 in the low half; Q6_K's are i8, the others six bits), its offsets `o` as i16,
/// and its `d` and `e`.
///
/// # Safety
/// As `row_body`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn unpacked<B: Super, const VNNI: bool>(
    blk: &B,
) -> ([std::arch::x86_64::__m256i; 8], [std::arch::x86_64::__m256i; 8], std::arch::x86_64::__m256i, (f32, f32)) {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees the features; the loads read the block and its offsets.
    unsafe {
        super::kernels::prefetch(std::ptr::from_ref(blk).cast(), B::BYTES);
        let (scv, ov) = blk.scale_lanes();
        let mut q = [_mm256_setzero_si256(); 8];
        for (g, q) in q.iter_mut().enumerate() {
            *q = if VNNI { blk.unpack_avx512(g) } else { blk.unpack(g) };
        }
        (q, scv, ov, d_e_f32(blk))
    }
}

/// One super-block's integer sums with activation block `a`, as eight lanes: `i` (levels times
/// activations times scales) and `o` (offsets times the activations' sums).
///
/// # Safety
/// As `row_body`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn sums<const VNNI: bool>(
    (q, scv, ov): (&[std::arch::x86_64::__m256i; 8], &[std::arch::x86_64::__m256i; 8], std::arch::x86_64::__m256i),
    a: &BlockQ8K,
) -> (std::arch::x86_64::__m256i, std::arch::x86_64::__m256i) {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees the features; the loads read `a`'s `qs` (32 bytes at
    // `32 g`, g < 8) and `sums` (32 bytes).
    unsafe {
        let mut iv = _mm256_setzero_si256();
        for g in 0..8 {
            let av = _mm256_loadu_si256(a.qs.as_ptr().add(super::QK * g).cast());
            // Pairs of products in i16 (at most 2 * 63 * 127: no saturation), then times the
            // scale and summed into i32 in one `vpdpwssd` (two instructions where a
            // four-product sum and a `vpmulld` took four).
            let pairs = _mm256_maddubs_epi16(q[g], av);
            iv = if VNNI {
                _mm256_dpwssd_epi32(iv, pairs, scv[g])
            } else {
                _mm256_add_epi32(iv, _mm256_madd_epi16(pairs, scv[g]))
            };
        }
        (iv, _mm256_madd_epi16(ov, _mm256_loadu_si256(a.sums.as_ptr().cast())))
    }
}

/// `row(x, a)` for one activation row.
///
/// # Safety
/// As `row_body`; `a` holds `x.len()` blocks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn one<B: Super, const VNNI: bool>(x: &[B], a: &[BlockQ8K]) -> f32 {
    let (mut acc, mut acc_o) = (0f32, 0f32);
    // SAFETY: the caller guarantees the features.
    unsafe {
        for (blk, a) in x.iter().zip(a) {
            let (q, scv, ov, (d, e)) = unpacked::<B, VNNI>(blk);
            let (iv, ov) = sums::<VNNI>((&q, &scv, ov), a);
            let o = hsum_i32(ov);
            let mut isum = hsum_i32(iv);
            if B::CENTRE != 0 {
                isum -= o;
            }
            acc = (d * a.d).mul_add(isum as f32, acc);
            if B::OFFSET {
                acc_o = (e * a.d).mul_add(o as f32, acc_o);
            }
        }
    }
    acc - acc_o
}

/// `row(x, a_i)` for eight activation rows `a` (`x.len()` blocks each) into `out`: each
/// super-block unpacked once for all of them, their sums added across in one go and their
/// floats computed in lanes, with the same operations per row as `one`.
///
/// # Safety
/// As `row_body`; `a` holds `8 * x.len()` blocks, `out` 8 floats.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn eight<B: Super, const VNNI: bool>(x: &[B], a: &[BlockQ8K], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let kb = x.len();
    // SAFETY: the caller guarantees the features and the rows; `out` holds 8 floats.
    unsafe {
        let (mut acc, mut acc_o) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        for (s, blk) in x.iter().enumerate() {
            let (q, scv, ov, (d, e)) = unpacked::<B, VNNI>(blk);
            let mut iv = [_mm256_setzero_si256(); 8];
            let mut ov8 = [_mm256_setzero_si256(); 8];
            let mut ad = [0f32; 8];
            for i in 0..8 {
                let a = a.get_unchecked(i * kb + s);
                (iv[i], ov8[i]) = sums::<VNNI>((&q, &scv, ov), a);
                ad[i] = a.d;
            }
            let mut isum = hsum8(&iv);
            let osum = hsum8(&ov8);
            if B::CENTRE != 0 {
                isum = _mm256_sub_epi32(isum, osum);
            }
            let ad = _mm256_loadu_ps(ad.as_ptr());
            acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(d), ad), _mm256_cvtepi32_ps(isum), acc);
            if B::OFFSET {
                acc_o = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(e), ad), _mm256_cvtepi32_ps(osum), acc_o);
            }
        }
        _mm256_storeu_ps(out.as_mut_ptr(), _mm256_sub_ps(acc, acc_o));
    }
}

/// `out` lane `i`: the sum of `v[i]`'s eight lanes (pairwise adds across the rows, then the
/// two halves).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn hsum8(v: &[std::arch::x86_64::__m256i; 8]) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees AVX2; no memory is touched.
    unsafe {
        // t: lanes 0..4 the pair sums of two rows' low halves, 4..8 of their high halves.
        let t = [
            _mm256_hadd_epi32(v[0], v[1]),
            _mm256_hadd_epi32(v[2], v[3]),
            _mm256_hadd_epi32(v[4], v[5]),
            _mm256_hadd_epi32(v[6], v[7]),
        ];
        // u: rows 0..4 (u0) and 4..8 (u1), each half holding one half-row sum per lane.
        let (u0, u1) = (_mm256_hadd_epi32(t[0], t[1]), _mm256_hadd_epi32(t[2], t[3]));
        _mm256_add_epi32(_mm256_permute2x128_si256::<0x20>(u0, u1), _mm256_permute2x128_si256::<0x31>(u0, u1))
    }
}
