//! The block types hfx's kernels read: GGUF's Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 weight blocks and Q8_1
//! activation blocks, in the layouts llama.cpp stores, with their quantization as llama.cpp
//! rounds it.

use std::sync::LazyLock;

use candle_core::quantized::GgmlDType;
use candle_core::quantized::k_quants::GgmlType;
use half::f16;

use super::QK;
#[cfg(target_arch = "x86_64")]
use super::kernels::{AVX2, quantize_avx2};
use super::kernels::{dot, quantize, vec_dot};
use super::kquants::{BlockQ4K, BlockQ5K, BlockQ6K};
use super::kquants_low::{BlockQ2K, BlockQ3K};
use super::superblock::{BlockQ8K, row};

/// 32 weights: `w = d * (q - 8)`, `q` in 0..16, two per byte (low nibbles first half).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ4_0 {
    pub(super) d: u16,
    pub(super) qs: [u8; QK / 2],
}

/// 32 weights: `w = d * q + m`, `q` in 0..16, two per byte (low nibbles first half).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ4_1 {
    pub(super) d: u16,
    pub(super) m: u16,
    pub(super) qs: [u8; QK / 2],
}

/// 32 weights: `w = d * (q - 16)`, `q` in 0..32: the low four bits two per byte as in Q4_1,
/// bit 4 of weight `j` in bit `j` of `qh`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ5_0 {
    pub(super) d: u16,
    pub(super) qh: [u8; 4],
    pub(super) qs: [u8; QK / 2],
}

/// 32 weights: `w = d * q + m`, `q` in 0..32 stored as in Q5_0 (GGUF's Q5_1: what Q5_K_M files
/// hold where rows are not whole 256-weight super-blocks, such as Qwen2.5-0.5B's 896 and
/// SmolLM2-135M's 576).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ5_1 {
    pub(super) d: u16,
    pub(super) m: u16,
    pub(super) qh: [u8; 4],
    pub(super) qs: [u8; QK / 2],
}

/// 32 weights: `w = d * q`, `q` a signed byte (GGUF's Q8_0: the embeddings and output of
/// most quantized models, and every tensor of a Q8_0 file).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ8_0 {
    pub(super) d: u16,
    pub(super) qs: [i8; QK],
}

/// 32 activations: `x = d * q`, with `s = d * sum(q)` for Q4_1's offset term.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ8_1 {
    pub(super) d: f32,
    pub(super) s: f32,
    pub(super) qs: [i8; QK],
}

/// f16 bits to f32 by table, for the portable loop and dequantization: `half` converts in
/// software unless built for F16C. The AVX2 kernels convert with F16C instead (the 256 KiB
/// table missed the cache in decode).
pub(super) static F16: LazyLock<Vec<f32>> =
    LazyLock::new(|| (0..=u16::MAX).map(|b| f16::from_bits(b).to_f32()).collect());

/// Weight blocks of 32 integers `q` (or 256 in 32-weight groups: the K-quants) and scales, in
/// GGUF's layout: what every hfx kernel reads of a block. The one-group blocks' Q8_1 kernels
/// need `OneGroup` besides; the K-quants' need `superblock::Super`.
pub trait Packed: GgmlType + Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// Bytes per block in GGUF (and in memory: the structs are `repr(C)` without padding).
    const BYTES: usize;
    /// 32-weight groups per block: 1, or 8 for the K-quants' 256-weight super-blocks.
    const GROUPS: usize = 1;
    /// `c` in `w = d * (q - c)` (16 for Q5_0, 32 for Q6_K), subtracted in integers from the
    /// activations' sum as llama.cpp does; 0 when `q` is used as it is.
    const CENTRE: i8 = 0;
    /// `w = d * q + m` (Q4_1, Q4_K): `m` times the activation block's `s` is added apart.
    const OFFSET: bool = false;
    /// `w = d * q` with `q` signed bytes (Q8_0): the kernels multiply `|q|` by the activations
    /// carrying `q`'s sign, as llama.cpp does (u8 x i8 products without saturation).
    const SIGNED: bool = false;
    /// Weight `j` as the integer the scale multiplies (`q - c`, or the signed `q`).
    fn level(&self, j: usize) -> i32;
    /// Group `g`'s scales as f32: `d` and `m` (0 without `OFFSET`) of its first and of its
    /// last 16 weights (they differ only in the K-quants).
    fn scales(&self, table: &[f32], g: usize) -> ([f32; 2], [f32; 2]);
    /// Group `g`'s 32 `q` as bytes, weight `j` in byte `j` (signed for `SIGNED` blocks), before
    /// `CENTRE` is subtracted.
    ///
    /// `unpack` and `OneGroup::d_m` are `unsafe`: the CPU must have AVX2, FMA and F16C. They
    /// are `#[inline(always)]` into the kernels built for those features (which their callers
    /// enter after checking the CPU), not `#[target_feature]`: the two cannot be combined, and
    /// an un-inlined helper costs a call per 32 weights.
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA and F16C.
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, g: usize) -> std::arch::x86_64::__m256i;
    /// `unpack` where AVX-512 is there too (the VNNI and AMX kernels), for blocks it makes
    /// cheaper.
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA, F16C and AVX-512 BW and VL.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack_avx512(&self, g: usize) -> std::arch::x86_64::__m256i {
        // SAFETY: the caller guarantees at least `unpack`'s features.
        unsafe { self.unpack(g) }
    }
}

/// A block of one 32-weight group with one `d` (and `m`), as the Q8_1 kernels (tiles, panels,
/// AMX) read it, one activation block per weight block.
pub trait OneGroup: Packed + GgmlType<VecDotType = BlockQ8_1> {
    /// `d` in lane 0 and `m` in lane 1 (0 without `OFFSET`), by F16C.
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA and F16C.
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    unsafe fn d_m(&self) -> std::arch::x86_64::__m128;
    /// `d` in every i32 lane of the kernels' products, and `m`.
    ///
    /// # Safety
    /// As `d_m`.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn d_lanes(&self) -> (std::arch::x86_64::__m256, f32) {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees `d_m`'s features (AVX2 among them); no memory is read.
        unsafe {
            let dm = self.d_m();
            (_mm256_broadcastss_ps(dm), _mm_cvtss_f32(_mm_movehdup_ps(dm)))
        }
    }
}

/// `OneGroup` for a block, `$body` giving its `d_m` from the block `$b`.
macro_rules! one_group {
    ($block:ty, |$b:ident| $body:expr) => {
        const _: () = assert!(<$block as Packed>::GROUPS == 1);
        impl OneGroup for $block {
            #[cfg(target_arch = "x86_64")]
            #[inline(always)]
            #[allow(unsafe_code)]
            unsafe fn d_m(&self) -> std::arch::x86_64::__m128 {
                let $b = self;
                $body
            }
        }
    };
}
one_group!(BlockQ4_0, |b| scale_only_f16c(b.d));
one_group!(BlockQ5_0, |b| scale_only_f16c(b.d));
one_group!(BlockQ8_0, |b| scale_only_f16c(b.d));
// `d` and `m` lead these `repr(C)` blocks.
one_group!(BlockQ4_1, |b| {
    // SAFETY: the caller guarantees F16C; the 4 bytes read are `d` and `m`.
    unsafe { d_and_m_f16c(std::ptr::from_ref(b).cast()) }
});
one_group!(BlockQ5_1, |b| {
    // SAFETY: as for Q4_1.
    unsafe { d_and_m_f16c(std::ptr::from_ref(b).cast()) }
});

/// Weight `j`'s four bits: low nibbles hold weights 0..16, high nibbles 16..32 (the scalar
/// twin of `nibbles`).
#[inline(always)]
fn nibble(qs: &[u8; QK / 2], j: usize) -> u8 {
    if j < QK / 2 { qs[j] & 0x0F } else { qs[j - QK / 2] >> 4 }
}

/// Low nibbles to bytes 0..16, high nibbles to bytes 16..32.
///
/// # Safety
/// The CPU must have AVX2 (it is inlined into the kernels built for it, through
/// `Packed::unpack`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
pub(super) unsafe fn nibbles(qs: &[u8; QK / 2]) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees AVX2; the load reads exactly the 16 bytes of `qs`.
    #[allow(unsafe_code)]
    unsafe {
        let low = _mm_set1_epi8(0x0F);
        let q = _mm_loadu_si128(qs.as_ptr().cast());
        _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low), _mm_and_si128(q, low))
    }
}

/// `([d, d], 0)` for blocks without an offset (Q4_0, Q5_0, Q8_0).
#[inline(always)]
fn scale_only(t: &[f32], d: u16) -> ([f32; 2], [f32; 2]) {
    let d = t[usize::from(d)];
    ([d, d], [0.0; 2])
}

/// `d` in lane 0 and 0 in lane 1 (F16C), for blocks without an offset; inlined into the kernels.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn scale_only_f16c(d: u16) -> std::arch::x86_64::__m128 {
    use std::arch::x86_64::*;
    // SAFETY: only inlined into the kernels, whose callers checked for F16C; no memory is read.
    #[allow(unsafe_code)]
    unsafe {
        _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(d)))
    }
}

/// `Packed::scales` of a block whose only scale is `d` (Q4_0, Q5_0, Q8_0).
macro_rules! scale_only_block {
    () => {
        #[inline(always)]
        fn scales(&self, t: &[f32], _: usize) -> ([f32; 2], [f32; 2]) {
            scale_only(t, self.d)
        }
    };
}

impl Packed for BlockQ4_0 {
    const BYTES: usize = 18;
    const CENTRE: i8 = 8;
    scale_only_block!();

    #[inline(always)]
    fn level(&self, j: usize) -> i32 {
        i32::from(nibble(&self.qs, j)) - 8
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, _: usize) -> std::arch::x86_64::__m256i {
        // SAFETY: the caller guarantees AVX2, as `nibbles` needs.
        unsafe { nibbles(&self.qs) }
    }
}

impl Packed for BlockQ4_1 {
    const BYTES: usize = 20;
    const OFFSET: bool = true;

    #[inline(always)]
    fn level(&self, j: usize) -> i32 {
        i32::from(nibble(&self.qs, j))
    }

    #[inline(always)]
    fn scales(&self, t: &[f32], _: usize) -> ([f32; 2], [f32; 2]) {
        d_and_m(t, self.d, self.m)
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, _: usize) -> std::arch::x86_64::__m256i {
        // SAFETY: the caller guarantees AVX2, as `nibbles` needs.
        unsafe { nibbles(&self.qs) }
    }
}

/// `([d, d], m)` for blocks with an offset (Q4_1, Q5_1).
#[inline(always)]
fn d_and_m(t: &[f32], d: u16, m: u16) -> ([f32; 2], [f32; 2]) {
    let (d, m) = (t[usize::from(d)], t[usize::from(m)]);
    ([d, d], [m, m])
}

/// `d` and `m` (lanes 0 and 1) from the two f16 at `at` (Q4_1's and Q5_1's first fields).
///
/// # Safety
/// The CPU must have F16C, and `at` must point at 4 readable bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn d_and_m_f16c(at: *const i32) -> std::arch::x86_64::__m128 {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees F16C and the 4 bytes at `at`.
    unsafe { _mm_cvtph_ps(_mm_cvtsi32_si128(at.read_unaligned())) }
}

/// Weight `j`'s five bits in Q5_0 and Q5_1: its nibble, and bit `j` of `qh` as bit 4.
#[inline(always)]
fn five_bits(qs: &[u8; QK / 2], qh: [u8; 4], j: usize) -> i32 {
    let high = ((u32::from_le_bytes(qh) >> j) & 1) as u8;
    i32::from(nibble(qs, j) | (high << 4))
}

/// Q5_0's and Q5_1's 32 five-bit levels, weight `j` in byte `j`.
///
/// # Safety
/// The CPU must have AVX2 (inlined into the kernels built for it).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn five_bit_bytes(qs: &[u8; QK / 2], qh: [u8; 4]) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees AVX2; no memory is read beyond `qs`.
    #[allow(unsafe_code)]
    unsafe {
        // llama.cpp's bytes_from_bits_32: byte j gets byte j / 8 of `qh`, all bits but bit
        // j % 8 are set, and the byte is all ones exactly when bit j of `qh` was set.
        let qh = _mm256_set1_epi32(i32::from_le_bytes(qh));
        let spread =
            _mm256_shuffle_epi8(qh, _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
        let bits =
            _mm256_cmpeq_epi8(_mm256_or_si256(spread, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe)), _mm256_set1_epi8(-1));
        _mm256_or_si256(nibbles(qs), _mm256_and_si256(bits, _mm256_set1_epi8(0x10)))
    }
}

/// `five_bit_bytes` with AVX-512: `qh` is a byte mask as it stands, bit j setting 0x10 in byte
/// j (one masked move where the AVX2 spread takes five instructions).
///
/// # Safety
/// The CPU must have AVX2 and AVX-512 BW and VL (inlined into the kernels built for them).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn five_bit_bytes_avx512(qs: &[u8; QK / 2], qh: [u8; 4]) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees the features; no memory is read beyond `qs`.
    #[allow(unsafe_code)]
    unsafe {
        let high = _mm256_maskz_mov_epi8(u32::from_le_bytes(qh), _mm256_set1_epi8(0x10));
        _mm256_or_si256(nibbles(qs), high)
    }
}

/// `unpack` and `unpack_avx512` of the five-bit blocks.
macro_rules! five_bit_block {
    () => {
        #[inline(always)]
        fn level(&self, j: usize) -> i32 {
            five_bits(&self.qs, self.qh, j) - i32::from(Self::CENTRE)
        }

        #[cfg(target_arch = "x86_64")]
        #[inline(always)]
        #[allow(unsafe_code)]
        unsafe fn unpack(&self, _: usize) -> std::arch::x86_64::__m256i {
            // SAFETY: the caller guarantees AVX2, as `five_bit_bytes` needs.
            unsafe { five_bit_bytes(&self.qs, self.qh) }
        }

        #[cfg(target_arch = "x86_64")]
        #[inline(always)]
        #[allow(unsafe_code)]
        unsafe fn unpack_avx512(&self, _: usize) -> std::arch::x86_64::__m256i {
            // SAFETY: the caller guarantees AVX2 and AVX-512 BW and VL, as
            // `five_bit_bytes_avx512` needs.
            unsafe { five_bit_bytes_avx512(&self.qs, self.qh) }
        }
    };
}

impl Packed for BlockQ5_0 {
    const BYTES: usize = 22;
    const CENTRE: i8 = 16;
    scale_only_block!();
    five_bit_block!();
}

impl Packed for BlockQ5_1 {
    const BYTES: usize = 24;
    const OFFSET: bool = true;
    five_bit_block!();

    #[inline(always)]
    fn scales(&self, t: &[f32], _: usize) -> ([f32; 2], [f32; 2]) {
        d_and_m(t, self.d, self.m)
    }
}

impl Packed for BlockQ8_0 {
    const BYTES: usize = 34;
    const SIGNED: bool = true;
    scale_only_block!();

    #[inline(always)]
    fn level(&self, j: usize) -> i32 {
        i32::from(self.qs[j])
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, _: usize) -> std::arch::x86_64::__m256i {
        use std::arch::x86_64::*;
        // SAFETY: only inlined into the kernels, whose callers checked for AVX2; the load reads
        // exactly the 32 bytes of `qs`.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_loadu_si256(self.qs.as_ptr().cast())
        }
    }
}

/// Blocks from GGUF bytes (little-endian, in the layout of the `repr(C)` structs).
pub(super) fn parse<B: Packed>(bytes: &[u8]) -> Vec<B> {
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
            // SAFETY: `quantize_avx2` needs AVX2, FMA and F16C, which the CPU was checked to have.
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

/// Dequantization through `Packed::level` and `scales`, in candle's (llama.cpp's) operation
/// order, so the floats are its own.
pub(super) fn to_float<B: Packed>(xs: &[B], ys: &mut [f32]) {
    let t = F16.as_slice();
    for (b, out) in xs.iter().zip(ys.chunks_exact_mut(QK * B::GROUPS)) {
        for (g, out) in out.chunks_exact_mut(QK).enumerate() {
            let (d, m) = b.scales(t, g);
            for (j, o) in out.iter_mut().enumerate() {
                *o = b.level(QK * g + j) as f32 * d[j / (QK / 2)] + m[j / (QK / 2)];
            }
        }
    }
}

/// candle's block-type trait for a `Packed` block type (its dtype, zeros, quantization and
/// dequantization are what hfx uses; no candle driver runs these blocks any more). The dot
/// products are hfx's: one-group blocks with Q8_1 activations, K-quants with Q8_K.
macro_rules! ggml_type {
    ($block:ty, $dtype:expr) => {
        ggml_type!($block, $dtype, BlockQ8_1, vec_dot, portable_dot);
    };
    ($block:ty, $dtype:expr, super_block) => {
        ggml_type!($block, $dtype, BlockQ8K, row, row);
    };
    ($block:ty, $dtype:expr, $acts:ty, $dot:ident, $unopt:ident) => {
        impl GgmlType for $block {
            const DTYPE: GgmlDType = $dtype;
            const BLCK_SIZE: usize = QK * <$block as Packed>::GROUPS;
            type VecDotType = $acts;

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

            fn vec_dot(_: usize, xs: &[Self], ys: &[$acts]) -> f32 {
                $dot(xs, ys)
            }

            fn vec_dot_unopt(_: usize, xs: &[Self], ys: &[$acts]) -> f32 {
                $unopt(xs, ys)
            }
        }
    };
}

/// The portable loop with the f16 table.
fn portable_dot<B: OneGroup>(xs: &[B], ys: &[BlockQ8_1]) -> f32 {
    dot(xs, ys, F16.as_slice())
}

ggml_type!(BlockQ4_0, GgmlDType::Q4_0);
ggml_type!(BlockQ4_1, GgmlDType::Q4_1);
ggml_type!(BlockQ5_0, GgmlDType::Q5_0);
ggml_type!(BlockQ5_1, GgmlDType::Q5_1);
ggml_type!(BlockQ8_0, GgmlDType::Q8_0);
ggml_type!(BlockQ2K, GgmlDType::Q2K, super_block);
ggml_type!(BlockQ3K, GgmlDType::Q3K, super_block);
ggml_type!(BlockQ4K, GgmlDType::Q4K, super_block);
ggml_type!(BlockQ5K, GgmlDType::Q5K, super_block);
ggml_type!(BlockQ6K, GgmlDType::Q6K, super_block);

impl BlockQ8_0 {
    /// llama.cpp's quantize_row_q8_0_ref.
    fn quantize(xs: &[f32], ys: &mut [Self]) {
        for (x, y) in xs.chunks_exact(QK).zip(ys.iter_mut()) {
            let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let id = if d == 0.0 { 0.0 } else { 1.0 / d };
            y.d = f16::from_f32(d).to_bits();
            for (q, v) in y.qs.iter_mut().zip(x) {
                *q = (v * id).round() as i8;
            }
        }
    }
}

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

/// llama.cpp's rounding for the centred types (Q4_0, Q5_0): `d` maps the value of largest
/// magnitude to `-centre`; returns `d` as f16 bits and each weight's level in `0..2 * centre`.
fn centred_levels(x: &[f32], centre: f32) -> (u16, [u8; QK]) {
    let max = x.iter().fold(0f32, |m, &v| if v.abs() > m.abs() { v } else { m });
    let d = max / -centre;
    let id = if d == 0.0 { 0.0 } else { 1.0 / d };
    let top = (2.0 * centre) as u8 - 1;
    let mut q = [0u8; QK];
    for (q, v) in q.iter_mut().zip(x) {
        *q = ((v * id + (centre + 0.5)) as u8).min(top);
    }
    (f16::from_f32(d).to_bits(), q)
}

impl BlockQ4_0 {
    /// llama.cpp's quantize_row_q4_0_ref: `d` such that the value of largest magnitude maps
    /// to -8.
    fn quantize(xs: &[f32], ys: &mut [Self]) {
        for (x, y) in xs.chunks_exact(QK).zip(ys.iter_mut()) {
            let q;
            (y.d, q) = centred_levels(x, 8.0);
            for j in 0..QK / 2 {
                y.qs[j] = q[j] | (q[j + QK / 2] << 4);
            }
        }
    }
}

impl BlockQ5_1 {
    /// llama.cpp's quantize_row_q5_1_ref, as candle implements it.
    fn quantize(xs: &[f32], ys: &mut [Self]) {
        super::kquants::quantize_as::<candle_core::quantized::k_quants::BlockQ5_1, Self>(xs, ys)
    }
}

impl BlockQ5_0 {
    /// llama.cpp's quantize_row_q5_0_ref: `d` such that the value of largest magnitude maps
    /// to -16.
    fn quantize(xs: &[f32], ys: &mut [Self]) {
        for (x, y) in xs.chunks_exact(QK).zip(ys.iter_mut()) {
            let q;
            (y.d, q) = centred_levels(x, 16.0);
            let mut qh = 0u32;
            for j in 0..QK / 2 {
                let (lo, hi) = (q[j], q[j + QK / 2]);
                y.qs[j] = (lo & 0x0F) | ((hi & 0x0F) << 4);
                qh |= (u32::from(lo >> 4) << j) | (u32::from(hi >> 4) << (j + QK / 2));
            }
            y.qh = qh.to_le_bytes();
        }
    }
}
