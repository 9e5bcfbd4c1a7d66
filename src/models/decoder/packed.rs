//! 4- and 5-bit weight blocks (Q4_1, Q5_0) times Q8_1 activations. candle's quantized matmul
//! has AVX2 dot products for Q4_0, Q8_0 and the K-quants but runs Q4_1 and Q5_0 through its
//! scalar reference loops: measured on SmolLM2-135M Q4_1 that was 29 tok/s prompt processing
//! against llama.cpp's 288 (0.10x), and on Qwen2.5-Coder-0.5B Q4_K_M (whose 896-wide matrices
//! cannot take K-quants, so llama.cpp stores them as Q5_0) 7 tok/s generation against 49 with
//! three quarters of the time in candle's Q5_0 loop. Prompts go through hfx's own tiled matmul
//! on candle's thread pool, and hfx's decode step calls the dot products directly. The block
//! layouts and the activation rounding are llama.cpp's, so results match its Q4_1 and Q5_0 paths.

use std::sync::{LazyLock, Mutex};

use candle_core::quantized::GgmlDType;
use candle_core::quantized::k_quants::GgmlType;
use half::f16;

use super::decode::{lock, run};

pub(super) const QK: usize = 32;

/// 32 weights: `w = d * q + m`, `q` in 0..16, two per byte (low nibbles first half).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ4_1 {
    d: u16,
    m: u16,
    qs: [u8; QK / 2],
}

/// 32 weights: `w = d * (q - 16)`, `q` in 0..32: the low four bits two per byte as in Q4_1,
/// bit 4 of weight `j` in bit `j` of `qh`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ5_0 {
    d: u16,
    qh: [u8; 4],
    qs: [u8; QK / 2],
}

/// 32 activations: `x = d * q`, with `s = d * sum(q)` for Q4_1's offset term.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ8_1 {
    d: f32,
    s: f32,
    qs: [i8; QK],
}

/// f16 bits to f32 by table, for the portable loop and dequantization: `half` converts in
/// software unless built for F16C. The AVX2 kernels convert with F16C instead (the 256 KiB
/// table missed the cache in decode).
static F16: LazyLock<Vec<f32>> = LazyLock::new(|| (0..=u16::MAX).map(|b| f16::from_bits(b).to_f32()).collect());

/// Weight blocks of 32 unsigned 4- or 5-bit integers `q` and f16 scales, which hfx's kernels
/// multiply with Q8_1 activations.
pub trait Packed:
    GgmlType<VecDotType = BlockQ8_1> + Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static
{
    /// Bytes per block in GGUF (and in memory: the structs are `repr(C)` without padding).
    const BYTES: usize;
    /// `w = d * (q - 16)` (Q5_0), subtracted in integers from the activations' sum as llama.cpp
    /// does; otherwise `w = d * q + m` (Q4_1) with `m` times the activation block's `s`.
    const CENTERED: bool;
    /// Weight `j`'s `q`.
    fn q(&self, j: usize) -> u8;
    /// `(d, m)` as f32 (`m` is 0 for centered blocks).
    fn scales(&self, table: &[f32]) -> (f32, f32);
    /// The 32 `q` as bytes, weight `j` in byte `j`. Like `dot_body`, only for inlining into
    /// the kernels built for AVX2 (and F16C), which callers enter after checking the CPU.
    #[cfg(target_arch = "x86_64")]
    fn unpack(&self) -> std::arch::x86_64::__m256i;
    /// `d` in lane 0 and `m` in lane 1 (F16C; see `unpack`).
    #[cfg(target_arch = "x86_64")]
    fn scales_f16c(&self) -> std::arch::x86_64::__m128;
}

/// Low nibbles to bytes 0..16, high nibbles to bytes 16..32.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn nibbles(qs: &[u8; QK / 2]) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: only inlined into the AVX2 kernels (through `Packed::unpack`), whose callers
    // checked for AVX2; the load reads
    // exactly the 16 bytes of `qs`.
    #[allow(unsafe_code)]
    unsafe {
        let low = _mm_set1_epi8(0x0F);
        let q = _mm_loadu_si128(qs.as_ptr().cast());
        _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low), _mm_and_si128(q, low))
    }
}

impl Packed for BlockQ4_1 {
    const BYTES: usize = 20;
    const CENTERED: bool = false;

    #[inline(always)]
    fn q(&self, j: usize) -> u8 {
        if j < QK / 2 { self.qs[j] & 0x0F } else { self.qs[j - QK / 2] >> 4 }
    }

    #[inline(always)]
    fn scales(&self, t: &[f32]) -> (f32, f32) {
        (t[usize::from(self.d)], t[usize::from(self.m)])
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn unpack(&self) -> std::arch::x86_64::__m256i {
        nibbles(&self.qs)
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn scales_f16c(&self) -> std::arch::x86_64::__m128 {
        use std::arch::x86_64::*;
        // SAFETY: only inlined into the kernels, whose callers checked for F16C; the read covers exactly `d` and `m`, adjacent in
        // the `repr(C)` block.
        #[allow(unsafe_code)]
        unsafe {
            _mm_cvtph_ps(_mm_cvtsi32_si128(std::ptr::from_ref(self).cast::<i32>().read_unaligned()))
        }
    }
}

impl Packed for BlockQ5_0 {
    const BYTES: usize = 22;
    const CENTERED: bool = true;

    #[inline(always)]
    fn q(&self, j: usize) -> u8 {
        let low = if j < QK / 2 { self.qs[j] & 0x0F } else { self.qs[j - QK / 2] >> 4 };
        let high = ((u32::from_le_bytes(self.qh) >> j) & 1) as u8;
        low | (high << 4)
    }

    #[inline(always)]
    fn scales(&self, t: &[f32]) -> (f32, f32) {
        (t[usize::from(self.d)], 0.0)
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn unpack(&self) -> std::arch::x86_64::__m256i {
        use std::arch::x86_64::*;
        // SAFETY: only inlined into the kernels, whose callers checked for AVX2; no memory is
        // read beyond the block's fields.
        #[allow(unsafe_code)]
        unsafe {
            // llama.cpp's bytes_from_bits_32: byte j gets byte j / 8 of `qh`, all bits but bit
            // j % 8 are set, and the byte is all ones exactly when bit j of `qh` was set.
            let qh = _mm256_set1_epi32(i32::from_le_bytes(self.qh));
            let spread = _mm256_shuffle_epi8(
                qh,
                _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0),
            );
            let bits = _mm256_cmpeq_epi8(
                _mm256_or_si256(spread, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe)),
                _mm256_set1_epi8(-1),
            );
            _mm256_or_si256(nibbles(&self.qs), _mm256_and_si256(bits, _mm256_set1_epi8(0x10)))
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn scales_f16c(&self) -> std::arch::x86_64::__m128 {
        use std::arch::x86_64::*;
        // SAFETY: only inlined into the kernels, whose callers checked for F16C; only `d` is read.
        #[allow(unsafe_code)]
        unsafe {
            _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(self.d)))
        }
    }
}

/// Blocks from GGUF bytes (little-endian, in the layout of the `repr(C)` structs).
fn parse<B: Packed>(bytes: &[u8]) -> Vec<B> {
    assert_eq!(std::mem::size_of::<B>(), B::BYTES, "{:?} block layout", B::DTYPE);
    let mut blocks = vec![B::zeros(); bytes.len() / B::BYTES];
    for (b, c) in blocks.iter_mut().zip(bytes.chunks_exact(B::BYTES)) {
        // SAFETY: `B` is a `repr(C)` struct of integer fields and exactly `BYTES` bytes (asserted
        // above), so it has no padding and any bytes are a valid value; the copy writes exactly
        // one block.
        #[allow(unsafe_code)]
        unsafe {
            std::ptr::copy_nonoverlapping(c.as_ptr(), std::ptr::from_mut(b).cast::<u8>(), B::BYTES);
        }
    }
    blocks
}

/// The portable dot product, and the reference the vector kernels are tested against.
#[inline(always)]
fn dot<B: Packed>(xs: &[B], ys: &[BlockQ8_1], table: &[f32]) -> f32 {
    let mut sum = 0f32;
    for (x, y) in xs.iter().zip(ys) {
        let mut acc = 0i32;
        for (j, &a) in y.qs.iter().enumerate() {
            acc += i32::from(x.q(j)) * i32::from(a);
        }
        let (d, m) = x.scales(table);
        if B::CENTERED {
            acc -= 16 * y.qs.iter().map(|&a| i32::from(a)).sum::<i32>();
            sum += acc as f32 * d * y.d;
        } else {
            sum += acc as f32 * d * y.d + m * y.s;
        }
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
fn dot_body<B: Packed, const N: usize, const M: usize, const VNNI: bool>(
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
                // d and m converted together by F16C: a 256 KiB table lookup per block missed
                // the cache often enough to show in a decode profile (tg128 +6-15%).
                let dm = x.scales_f16c();
                let (d, dv, m) = (_mm_cvtss_f32(dm), _mm256_broadcastss_ps(dm), _mm_cvtss_f32(_mm_movehdup_ps(dm)));
                for c in 0..M {
                    let prod = if VNNI {
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
                    if !B::CENTERED {
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
fn products<const VNNI: bool>(
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
fn dot_avx2<B: Packed, const N: usize, const M: usize>(xs: [&[B]; N], ys: [&[BlockQ8_1]; M]) -> [[f32; M]; N] {
    dot_body::<B, N, M, false>(xs, ys)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
fn dot_vnni<B: Packed, const N: usize, const M: usize>(xs: [&[B]; N], ys: [&[BlockQ8_1]; M]) -> [[f32; M]; N] {
    dot_body::<B, N, M, true>(xs, ys)
}

/// llama.cpp's quantize_row_q8_1 for one row of activations.
#[inline(always)]
fn quantize(xs: &[f32], ys: &mut [BlockQ8_1]) {
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
fn quantize_avx2(xs: &[f32], ys: &mut [BlockQ8_1]) {
    quantize(xs, ys)
}

#[cfg(target_arch = "x86_64")]
static AVX2: LazyLock<bool> = LazyLock::new(|| {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
});
#[cfg(target_arch = "x86_64")]
static VNNI: LazyLock<bool> = LazyLock::new(|| {
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

impl GgmlType for BlockQ8_1 {
    const DTYPE: GgmlDType = GgmlDType::Q8_1;
    const BLCK_SIZE: usize = QK;
    type VecDotType = BlockQ8_1;

    fn zeros() -> Self {
        Self { d: 0.0, s: 0.0, qs: [0; QK] }
    }

    fn to_float(xs: &[Self], ys: &mut [f32]) {
        for (b, out) in xs.iter().zip(ys.chunks_exact_mut(QK)) {
            for (o, q) in out.iter_mut().zip(b.qs) {
                *o = f32::from(q) * b.d;
            }
        }
    }

    /// llama.cpp's quantize_row_q8_1: scale and offset rounded through f16 as it stores them.
    fn from_float(xs: &[f32], ys: &mut [Self]) {
        #[cfg(target_arch = "x86_64")]
        if *AVX2 {
            // SAFETY: `quantize_avx2` only needs AVX2 and FMA, which the CPU was checked to have.
            #[allow(unsafe_code)]
            return unsafe { quantize_avx2(xs, ys) };
        }
        quantize(xs, ys)
    }

    fn vec_dot(_: usize, xs: &[Self], ys: &[Self]) -> f32 {
        xs.iter()
            .zip(ys)
            .map(|(a, b)| {
                a.d * b.d * a.qs.iter().zip(b.qs).map(|(p, q)| i32::from(*p) * i32::from(q)).sum::<i32>() as f32
            })
            .sum()
    }

    fn vec_dot_unopt(n: usize, xs: &[Self], ys: &[Self]) -> f32 {
        Self::vec_dot(n, xs, ys)
    }
}

/// Dequantization through `Packed::q` and `scales`.
fn to_float<B: Packed>(xs: &[B], ys: &mut [f32]) {
    let t = F16.as_slice();
    for (b, out) in xs.iter().zip(ys.chunks_exact_mut(QK)) {
        let (d, m) = b.scales(t);
        for (j, o) in out.iter_mut().enumerate() {
            *o = if B::CENTERED { (f32::from(b.q(j)) - 16.0) * d } else { f32::from(b.q(j)) * d + m };
        }
    }
}

/// candle's block-type trait for a `Packed` block type (its dtype, zeros, quantization and
/// dequantization are what hfx uses; no candle driver runs these blocks any more).
macro_rules! ggml_type {
    ($block:ty, $dtype:expr) => {
        impl GgmlType for $block {
            const DTYPE: GgmlDType = $dtype;
            const BLCK_SIZE: usize = QK;
            type VecDotType = BlockQ8_1;

            fn zeros() -> Self {
                // SAFETY: all-zero bytes are a valid block (integer fields only).
                #[allow(unsafe_code)]
                unsafe {
                    std::mem::zeroed()
                }
            }

            fn to_float(xs: &[Self], ys: &mut [f32]) {
                to_float(xs, ys)
            }

            fn from_float(xs: &[f32], ys: &mut [Self]) {
                Self::quantize(xs, ys)
            }

            fn vec_dot(_: usize, xs: &[Self], ys: &[BlockQ8_1]) -> f32 {
                vec_dot(xs, ys)
            }

            fn vec_dot_unopt(_: usize, xs: &[Self], ys: &[BlockQ8_1]) -> f32 {
                dot(xs, ys, F16.as_slice())
            }
        }
    };
}
ggml_type!(BlockQ4_1, GgmlDType::Q4_1);
ggml_type!(BlockQ5_0, GgmlDType::Q5_0);

impl BlockQ4_1 {
    /// llama.cpp's quantize_row_q4_1: per block, `m` the minimum and `d` a fifteenth of the range.
    fn quantize(xs: &[f32], ys: &mut [Self]) {
        for (x, y) in xs.chunks_exact(QK).zip(ys.iter_mut()) {
            let (min, max) = x.iter().fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            let d = (max - min) / 15.0;
            let id = if d == 0.0 { 0.0 } else { 1.0 / d };
            y.d = f16::from_f32(d).to_bits();
            y.m = f16::from_f32(min).to_bits();
            for j in 0..QK / 2 {
                let lo = ((x[j] - min) * id + 0.5).clamp(0.0, 15.0) as u8;
                let hi = ((x[j + QK / 2] - min) * id + 0.5).clamp(0.0, 15.0) as u8;
                y.qs[j] = lo | (hi << 4);
            }
        }
    }
}

impl BlockQ5_0 {
    /// llama.cpp's quantize_row_q5_0_ref: `d` such that the value of largest magnitude maps
    /// to -16.
    fn quantize(xs: &[f32], ys: &mut [Self]) {
        for (x, y) in xs.chunks_exact(QK).zip(ys.iter_mut()) {
            let max = x.iter().fold(0f32, |m, &v| if v.abs() > m.abs() { v } else { m });
            let d = max / -16.0;
            let id = if d == 0.0 { 0.0 } else { 1.0 / d };
            y.d = f16::from_f32(d).to_bits();
            let mut qh = 0u32;
            for j in 0..QK / 2 {
                let lo = ((x[j] * id + 16.5) as u8).min(31);
                let hi = ((x[j + QK / 2] * id + 16.5) as u8).min(31);
                y.qs[j] = (lo & 0x0F) | ((hi & 0x0F) << 4);
                qh |= (u32::from(lo >> 4) << j) | (u32::from(hi >> 4) << (j + QK / 2));
            }
            y.qh = qh.to_le_bytes();
        }
    }
}

/// Prompt rows per work item of `BlockMatrix::matmul` (their Q8_1 blocks stay in L2 while the
/// item's weight rows pass) and weight rows per item (a few hundred KiB of blocks at most).
const TILE_M: usize = 16;
const TILE_N: usize = 64;

/// `N` weight rows `xs` times each of the `m` activation rows of `ys`, `M` activation rows at a
/// time from `c` on while `M` fit; returns the first row left over.
fn sweep_by<B: Packed, const N: usize, const M: usize>(
    xs: [&[B]; N],
    ys: &[BlockQ8_1],
    (mut c, m): (usize, usize),
    put: &mut impl FnMut(usize, usize, f32),
) -> usize {
    let kb = ys.len() / m.max(1);
    while c + M <= m {
        let d = dot_tile(xs, std::array::from_fn::<_, M, _>(|i| &ys[(c + i) * kb..(c + i + 1) * kb]));
        for (r, row) in d.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                put(c + i, r, *v);
            }
        }
        c += M;
    }
    c
}

/// Whether kernel calls take four activation rows (else two): AVX-512's 32 vector registers
/// hold a 4 x 4 tile's accumulators beside the Q5_0 operands, AVX2's 16 do not (Qwen2.5-0.5B
/// prompt 100 -> 31 tok/s with 4 x 4 there, 130 with 4 x 2).
fn wide_tiles() -> bool {
    #[cfg(target_arch = "x86_64")]
    return *VNNI;
    #[cfg(not(target_arch = "x86_64"))]
    true
}

/// `N` weight rows `xs` times each of the `m` activation rows of `ys`, four (`wide`) or two at
/// a time and the rest one by one; `put(c, r, v)` gets activation row `c` times weight row `r`.
fn sweep<B: Packed, const N: usize>(
    xs: [&[B]; N],
    ys: &[BlockQ8_1],
    (m, wide): (usize, bool),
    mut put: impl FnMut(usize, usize, f32),
) {
    let c = if wide {
        sweep_by::<B, N, 4>(xs, ys, (0, m), &mut put)
    } else {
        sweep_by::<B, N, 2>(xs, ys, (0, m), &mut put)
    };
    sweep_by::<B, N, 1>(xs, ys, (c, m), &mut put);
}

/// Rows `r0..r0 + n` of `blocks` (`kb` blocks each) times the `m.0` activation rows of `ys` (see
/// `sweep` for `m.1`), four weight rows at a time and the rest one by one; `put(c, j, v)` gets
/// activation row `c` times weight row `r0 + j`.
fn sweep_rows<B: Packed>(
    blocks: &[B],
    kb: usize,
    (r0, n): (usize, usize),
    ys: &[BlockQ8_1],
    m: (usize, bool),
    mut put: impl FnMut(usize, usize, f32),
) {
    let row = |r: usize| &blocks[r * kb..(r + 1) * kb];
    let mut j = 0;
    while j + 4 <= n {
        sweep::<B, 4>(std::array::from_fn(|i| row(r0 + j + i)), ys, m, |c, r, v| put(c, j + r, v));
        j += 4;
    }
    for j in j..n {
        sweep::<B, 1>([row(r0 + j)], ys, m, |c, _, v| put(c, j, v));
    }
}

/// A matrix `(rows, cols)` of `Packed` blocks, row-major.
#[derive(Debug, Clone)]
pub struct BlockMatrix<B> {
    pub blocks: Vec<B>,
    pub rows: usize,
    pub cols: usize,
}

impl<B: Packed> BlockMatrix<B> {
    pub fn from_blocks(blocks: Vec<B>, rows: usize, cols: usize) -> candle_core::Result<Self> {
        if !cols.is_multiple_of(QK) || blocks.len() != rows * cols / QK {
            candle_core::bail!("{:?} tensor of {rows}x{cols} has {} blocks", B::DTYPE, blocks.len());
        }
        Ok(Self { blocks, rows, cols })
    }

    /// `x (m, cols)` times the transposed matrix: `(m, rows)`. candle's driver called the
    /// kernels four weight rows by one activation row, so each weight block was unpacked again
    /// for every prompt row (Qwen2.5-0.5B's Q5_0 prompt at 0.41x llama.cpp, two thirds of it in
    /// that kernel). Here a work item is a block of `TILE_M` prompt rows by `TILE_N` weight rows
    /// and the kernel takes 4 x 4 tiles (4 x 2 without AVX-512): each weight block unpacked once
    /// per four (two) prompt rows.
    fn matmul(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        self.matmul_tiled(x, m, wide_tiles())
    }

    fn matmul_tiled(&self, x: &[f32], m: usize, wide: bool) -> candle_core::Result<Vec<f32>> {
        let (n, k) = (self.rows, self.cols);
        if x.len() != m * k {
            candle_core::bail!("{m} rows of {k} activations expected, got {} values", x.len());
        }
        let kb = k / QK;
        let mut ys = vec![BlockQ8_1::zeros(); m * kb];
        for (xr, yr) in x.chunks_exact(k).zip(ys.chunks_exact_mut(kb)) {
            BlockQ8_1::from_float(xr, yr);
        }
        let mut out = vec![0f32; m * n];
        // Each item owns its block of `out`: the `TILE_N`-wide pieces of `TILE_M` output rows.
        let tiles_m = m.div_ceil(TILE_M);
        let mut items: Vec<Vec<&mut [f32]>> = (0..tiles_m * n.div_ceil(TILE_N)).map(|_| Vec::new()).collect();
        for (c, row) in out.chunks_mut(n.max(1)).enumerate() {
            for (w, piece) in row.chunks_mut(TILE_N).enumerate() {
                items[w * tiles_m + c / TILE_M].push(piece);
            }
        }
        let items: Vec<Mutex<Vec<&mut [f32]>>> = items.into_iter().map(Mutex::new).collect();
        run(items.len(), true, |range| {
            for i in range {
                let (w, t) = (i / tiles_m, i % tiles_m);
                let mut pieces = lock(&items[i]);
                let (r0, c0) = (w * TILE_N, t * TILE_M);
                let (n, m) = (pieces.first().map_or(0, |p| p.len()), pieces.len());
                let ys = &ys[c0 * kb..(c0 + m) * kb];
                sweep_rows(&self.blocks, kb, (r0, n), ys, (m, wide), |c, j, v| pieces[c][j] = v);
            }
        });
        drop(items);
        Ok(out)
    }

    fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        to_float(&self.blocks, &mut out);
        out
    }

    fn rows(&self, start: usize, len: usize) -> Self {
        let per_row = self.cols / QK;
        Self { blocks: self.blocks[start * per_row..(start + len) * per_row].to_vec(), rows: len, cols: self.cols }
    }

    /// Rows `r0..r0 + out.len() / b` times each of the `b` quantized activation rows in `ys`,
    /// written `(rows, b)`.
    ///
    /// One weight row at a time (with several sequences at once): four rows per call measured
    /// 25-30% slower here in single-sequence decode (SmolLM2 Q4_1 tg128 146 -> 104 tok/s, Qwen
    /// 35 -> 28).
    fn dot_rows(&self, r0: usize, out: &mut [f32], ys: &[BlockQ8_1], b: usize) {
        let kb = self.cols / QK;
        let wide = wide_tiles();
        for (r, o) in (r0..).zip(out.chunks_mut(b)) {
            sweep::<B, 1>([&self.blocks[r * kb..(r + 1) * kb]], ys, (b, wide), |c, _, v| o[c] = v);
        }
    }
}

/// A weight matrix in one of the block types with hfx kernels.
#[derive(Debug, Clone)]
pub enum PackedMatrix {
    Q4_1(BlockMatrix<BlockQ4_1>),
    Q5_0(BlockMatrix<BlockQ5_0>),
}

/// `$body` with `$m` bound to the inner `BlockMatrix`, whatever its block type.
macro_rules! each {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            PackedMatrix::Q4_1($m) => $body,
            PackedMatrix::Q5_0($m) => $body,
        }
    };
}

impl PackedMatrix {
    /// A matrix from GGUF bytes; `None` for a block type without hfx kernels.
    pub fn from_bytes(dtype: GgmlDType, bytes: &[u8], rows: usize, cols: usize) -> Option<candle_core::Result<Self>> {
        fn make<B: Packed>(bytes: &[u8], rows: usize, cols: usize) -> candle_core::Result<BlockMatrix<B>> {
            if !bytes.len().is_multiple_of(B::BYTES) {
                candle_core::bail!("{:?} tensor of {rows}x{cols} has {} bytes", B::DTYPE, bytes.len());
            }
            BlockMatrix::from_blocks(parse(bytes), rows, cols)
        }
        Some(match dtype {
            GgmlDType::Q4_1 => make(bytes, rows, cols).map(Self::Q4_1),
            GgmlDType::Q5_0 => make(bytes, rows, cols).map(Self::Q5_0),
            _ => return None,
        })
    }

    pub fn dims(&self) -> (usize, usize) {
        each!(self, m => (m.rows, m.cols))
    }

    /// `x (m, cols)` times the transposed matrix: `(m, rows)`.
    pub fn matmul(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        each!(self, w => w.matmul(x, m))
    }

    pub fn dequantize(&self) -> Vec<f32> {
        each!(self, m => m.dequantize())
    }

    /// Rows `start..start + len` (a copy).
    pub fn rows(&self, start: usize, len: usize) -> Self {
        match self {
            Self::Q4_1(m) => Self::Q4_1(m.rows(start, len)),
            Self::Q5_0(m) => Self::Q5_0(m.rows(start, len)),
        }
    }

    pub fn size_in_bytes(&self) -> usize {
        each!(self, m => std::mem::size_of_val(m.blocks.as_slice()))
    }

    /// See `BlockMatrix::dot_rows`.
    pub(super) fn dot_rows(&self, r0: usize, out: &mut [f32], ys: &[BlockQ8_1], b: usize) {
        each!(self, m => m.dot_rows(r0, out, ys, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::QTensor;
    use candle_core::{Device, Tensor};

    /// Against candle's own path for the block type (its scalar reference dot product) on the
    /// same blocks, then every kernel this CPU can run against the portable loop.
    fn matches_candle<B: Packed>(dtype: GgmlDType, wrap: fn(BlockMatrix<B>) -> PackedMatrix) {
        let dev = Device::Cpu;
        let (n, k) = (67, 256);
        let w = Tensor::randn(0f32, 1.0, (n, k), &dev).unwrap();
        let q = QTensor::quantize(&w, dtype).unwrap();
        let bytes = q.data().unwrap();
        let packed = PackedMatrix::from_bytes(dtype, &bytes, n, k).unwrap().unwrap();
        let blocks: Vec<B> = parse(&bytes);
        assert_eq!(packed.dims(), (n, k));
        assert_eq!(packed.size_in_bytes(), bytes.len());
        let deq: Vec<f32> = q.dequantize(&dev).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(packed.dequantize(), deq, "{dtype:?} dequantization");
        // Quantizing as llama.cpp does gives candle's (llama.cpp's reference) blocks.
        let mut ours = vec![B::zeros(); blocks.len()];
        B::from_float(&w.flatten_all().unwrap().to_vec1::<f32>().unwrap(), &mut ours);
        assert_eq!(ours, blocks, "{dtype:?} quantization");
        // 1, 3: tails only; 17, 70: several prompt tiles, 4 x 4 tiles and their tails.
        for m in [1, 3, 17, 70] {
            let x = Tensor::randn(0f32, 1.0, (m, k), &dev).unwrap();
            let want: Vec<f32> = x.apply_op1_no_bwd(&q).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            let xv = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let got = packed.matmul(&xv, m).unwrap();
            // The tiling this CPU does not use: both must run wherever the kernels do.
            let whole = BlockMatrix::from_blocks(parse::<B>(&bytes), n, k).unwrap();
            assert_eq!(whole.matmul_tiled(&xv, m, !wide_tiles()).unwrap(), got, "{dtype:?} tiles");
            let scale = want.iter().fold(0f32, |a, v| a.max(v.abs()));
            for (a, b) in got.iter().zip(&want) {
                // Same blocks; activations rounded as Q8_1 with `s` through f16 here (as
                // llama.cpp stores it), in f32 by candle, and as Q8_0 in candle's Q5_0 path.
                // Q4_1's `m * s` rounding reached 2e-3 of the largest output in about one run
                // in a hundred; a wrong kernel is off by the order of the outputs themselves.
                assert!((a - b).abs() <= 5e-3 * scale, "{dtype:?}: {a} vs {b}");
            }
        }
        let nb = k / QK;
        let xs4 = Tensor::randn(0f32, 1.0, (4, k), &dev).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mut ys4 = vec![BlockQ8_1::zeros(); 4 * nb];
        BlockQ8_1::from_float(&xs4, &mut ys4);
        let (x, ys) = (&xs4[..k], &ys4[..nb]);
        // The portable loop against a plain sum over dequantized weights and activations.
        let mut xq = vec![0f32; k];
        BlockQ8_1::to_float(ys, &mut xq);
        let plain: f32 = deq[..k].iter().zip(&xq).map(|(a, b)| a * b).sum();
        let slow = dot(&blocks[..nb], ys, F16.as_slice());
        // Exact up to float rounding, but for Q4_1's `m * s`, where `s` went through f16 as
        // llama.cpp stores it (relative error 2^-11).
        let s_rounding: f32 = blocks[..nb].iter().zip(ys).map(|(b, y)| (b.scales(F16.as_slice()).1 * y.s).abs()).sum();
        let tol = 1e-4 * plain.abs().max(1.0) + s_rounding / 1024.0;
        assert!((plain - slow).abs() <= tol, "{dtype:?}: {plain} vs {slow}");
        // Every kernel this CPU can run, for one or four weight rows against one or four
        // activation rows, against the loop.
        let rows: [&[B]; 4] = std::array::from_fn(|r| &blocks[r * nb..(r + 1) * nb]);
        let acts: [&[BlockQ8_1]; 4] = std::array::from_fn(|c| &ys4[c * nb..(c + 1) * nb]);
        let want = rows.map(|r| acts.map(|a| dot(r, a, F16.as_slice())));
        let close = |got: [[f32; 4]; 4], what: &str| {
            for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
                assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{dtype:?} {what}: {g} vs {w}");
            }
        };
        let by_row = |f: &dyn Fn(&[BlockQ8_1]) -> [f32; 4]| {
            let cols = acts.map(f);
            std::array::from_fn(|r| std::array::from_fn(|c| cols[c][r]))
        };
        close(dot_tile(rows, acts), "dispatch, 4 x 4");
        close(by_row(&|a| dot_tile(rows, [a]).map(|[v]| v)), "dispatch, 4 x 1");
        close(by_row(&|a| rows.map(|r| vec_dot(r, a))), "dispatch, 1 x 1");
        // Decode steps: one sequence, and four sequences written (rows, b).
        let mut out = vec![0f32; 4];
        packed.dot_rows(0, &mut out, ys, 1);
        for (g, w) in out.iter().zip(&want) {
            assert!((g - w[0]).abs() <= 1e-4 * w[0].abs().max(1.0), "{dtype:?} dot_rows: {g} vs {}", w[0]);
        }
        let mut out = vec![0f32; 16];
        packed.dot_rows(0, &mut out, &ys4, 4);
        close(std::array::from_fn(|r| std::array::from_fn(|c| out[r * 4 + c])), "dot_rows, 4 sequences");
        #[cfg(target_arch = "x86_64")]
        #[allow(unsafe_code)]
        {
            if *AVX2 {
                // SAFETY: AVX2, FMA and F16C were checked just above.
                close(unsafe { dot_avx2(rows, acts) }, "avx2, 4 x 4");
                close(by_row(&|a| unsafe { dot_avx2(rows, [a]) }.map(|[v]| v)), "avx2, 4 x 1");
                close(by_row(&|a| rows.map(|r| unsafe { dot_avx2([r], [a]) }[0][0])), "avx2, 1 x 1");
            }
            if *VNNI {
                // SAFETY: AVX2, FMA, F16C and AVX-512 VNNI/VL were checked just above.
                close(unsafe { dot_vnni(rows, acts) }, "vnni, 4 x 4");
                close(by_row(&|a| unsafe { dot_vnni(rows, [a]) }.map(|[v]| v)), "vnni, 4 x 1");
                close(by_row(&|a| rows.map(|r| unsafe { dot_vnni([r], [a]) }[0][0])), "vnni, 1 x 1");
            }
        }
        // Quantizing the activations: the AVX2 build of the loop gives the same blocks.
        let mut plain = vec![BlockQ8_1::zeros(); nb];
        quantize(x, &mut plain);
        assert_eq!(plain, ys);
        let split = packed.rows(5, 2);
        assert_eq!(split.dims(), (2, k));
        assert_eq!(split.dequantize(), deq[5 * k..7 * k]);
        let whole = wrap(BlockMatrix::from_blocks(blocks, n, k).unwrap());
        assert_eq!(whole.dequantize(), deq);
        assert!(BlockMatrix::<B>::from_blocks(Vec::new(), n, k).is_err());
    }

    #[test]
    fn q4_1_matches_candle() {
        matches_candle::<BlockQ4_1>(GgmlDType::Q4_1, PackedMatrix::Q4_1);
    }

    #[test]
    fn q5_0_matches_candle() {
        matches_candle::<BlockQ5_0>(GgmlDType::Q5_0, PackedMatrix::Q5_0);
    }

    #[test]
    fn other_block_types_are_left_to_candle() {
        assert!(PackedMatrix::from_bytes(GgmlDType::Q8_0, &[0; 34], 1, 32).is_none());
        assert!(PackedMatrix::from_bytes(GgmlDType::Q4K, &[0; 144], 1, 256).is_none());
        assert!(PackedMatrix::from_bytes(GgmlDType::Q5_0, &[0; 23], 1, 32).unwrap().is_err());
    }
}
