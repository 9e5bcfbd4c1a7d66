//! GGUF's Q4_K, Q5_K and Q6_K super-blocks (256 weights as eight 32-weight groups): what Q4_K_M
//! and Q5_K_M files store most of their large matrices in, and what `--quant q4_k|q5_k|q6_k`
//! makes. The model multiplies them with Q8_K activations in `superblock`'s integer kernels
//! (llama.cpp's numbers); the items here are their layout, unpacking, scales and
//! dequantization.

use candle_core::quantized::k_quants::{self, GgmlType};

use super::QK;
use super::blocks::Packed;
use super::superblock::Super;
#[cfg(target_arch = "x86_64")]
use super::superblock::spread;

/// 256 weights: group `g` is `w = d * sc[g] * q - dmin * mn[g]`, `q` in 0..16, with the 6-bit
/// `sc` and `mn` packed in `scales` (llama.cpp's `get_scale_min_k4`); groups `2i` and `2i + 1`
/// are the low and high nibbles of `qs[32 i..32 i + 32]`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ4K {
    d: u16,
    dmin: u16,
    scales: [u8; 12],
    qs: [u8; 128],
}

/// 256 weights as in Q4_K, with a fifth bit: bit `g` of `qh[l]` is bit 4 of weight `l` of group
/// `g` (`q` in 0..32). What Q5_K_M files store most of their large matrices in.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ5K {
    d: u16,
    dmin: u16,
    scales: [u8; 12],
    qh: [u8; 32],
    qs: [u8; 128],
}

/// 256 weights: `w = d * sc[j / 16] * (q - 32)`, `q` in 0..64 split into the low four bits
/// (`ql`) and the high two (`qh`) in llama.cpp's interleaved order (see `level`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ6K {
    ql: [u8; 128],
    qh: [u8; 64],
    scales: [i8; 16],
    d: u16,
}

/// Group `g`'s 6-bit scale and minimum from Q4_K's and Q5_K's 12 scale bytes.
#[inline(always)]
fn scale_min(q: &[u8; 12], g: usize) -> (u8, u8) {
    if g < 4 {
        (q[g] & 63, q[g + 4] & 63)
    } else {
        ((q[g + 4] & 0xF) | ((q[g - 4] >> 6) << 4), (q[g + 4] >> 4) | ((q[g] >> 6) << 4))
    }
}

/// Group `g`'s `[d * sc, d * sc]` and `-dmin * mn` (Q4_K and Q5_K), for dequantization.
fn scales_k4(t: &[f32], (d, dmin): (u16, u16), q: &[u8; 12], g: usize) -> ([f32; 2], [f32; 2]) {
    let (sc, mn) = scale_min(q, g);
    let (d, m) = (t[usize::from(d)] * f32::from(sc), -(t[usize::from(dmin)] * f32::from(mn)));
    ([d, d], [m, m])
}

/// Weight `j`'s four bits in Q4_K and Q5_K (the scalar twin of `nibbles_k4`).
#[inline(always)]
fn nibble_k4(qs: &[u8; 128], j: usize) -> u8 {
    let (g, l) = (j / QK, j % QK);
    let byte = qs[QK * (g / 2) + l];
    if g.is_multiple_of(2) { byte & 0x0F } else { byte >> 4 }
}

/// Group `g`'s four-bit levels of Q4_K and Q5_K, weight `l` in byte `l`: groups `2i` and
/// `2i + 1` are the low and high nibbles of `qs[32 i..32 i + 32]`.
///
/// # Safety
/// The CPU must have AVX2 (inlined into the kernels built for it).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn nibbles_k4(qs: &[u8; 128], g: usize) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees AVX2; the load reads 32 bytes of `qs` (`g < 8`, checked by
    // the slice index).
    #[allow(unsafe_code)]
    unsafe {
        let q = _mm256_loadu_si256(qs[QK * (g / 2)..QK * (g / 2) + QK].as_ptr().cast());
        let q = if g.is_multiple_of(2) { q } else { _mm256_srli_epi16(q, 4) };
        _mm256_and_si256(q, _mm256_set1_epi8(0x0F))
    }
}

impl BlockQ4K {
    pub(super) fn quantize(xs: &[f32], ys: &mut [Self]) {
        quantize_as::<k_quants::BlockQ4K, Self>(xs, ys)
    }
}

impl BlockQ5K {
    pub(super) fn quantize(xs: &[f32], ys: &mut [Self]) {
        quantize_as::<k_quants::BlockQ5K, Self>(xs, ys)
    }
}

impl BlockQ6K {
    pub(super) fn quantize(xs: &[f32], ys: &mut [Self]) {
        quantize_as::<k_quants::BlockQ6K, Self>(xs, ys)
    }
}

/// `Packed::scales` of Q4_K and Q5_K: six-bit scales and minimums per group.
macro_rules! k4_groups {
    () => {
        #[inline(always)]
        fn scales(&self, t: &[f32], g: usize) -> ([f32; 2], [f32; 2]) {
            scales_k4(t, (self.d, self.dmin), &self.scales, g)
        }
    };
}

/// llama.cpp's quantization (of the K-quants and Q5_1), as candle implements it, into hfx's
/// blocks of the same layout.
pub(super) fn quantize_as<T: GgmlType, B: Packed>(xs: &[f32], ys: &mut [B]) {
    assert_eq!((std::mem::size_of::<T>(), std::mem::size_of::<B>()), (B::BYTES, B::BYTES), "{:?} layout", B::DTYPE);
    let mut theirs = vec![T::zeros(); ys.len()];
    T::from_float(xs, &mut theirs);
    // SAFETY: both are `repr(C)` blocks of exactly `BYTES` bytes (asserted above) in GGUF's
    // layout; `B` has integer fields only, so any bytes are a valid value, and the copy writes
    // exactly `ys`.
    #[allow(unsafe_code)]
    unsafe {
        std::ptr::copy_nonoverlapping(theirs.as_ptr().cast::<u8>(), ys.as_mut_ptr().cast::<u8>(), ys.len() * B::BYTES);
    }
}

impl Packed for BlockQ4K {
    const BYTES: usize = 144;
    const GROUPS: usize = 8;
    const OFFSET: bool = true;
    k4_groups!();

    #[inline(always)]
    fn level(&self, j: usize) -> i32 {
        i32::from(nibble_k4(&self.qs, j))
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, g: usize) -> std::arch::x86_64::__m256i {
        // SAFETY: the caller guarantees AVX2, as `nibbles_k4` needs.
        unsafe { nibbles_k4(&self.qs, g) }
    }
}

impl Packed for BlockQ5K {
    const BYTES: usize = 176;
    const GROUPS: usize = 8;
    const OFFSET: bool = true;
    k4_groups!();

    #[inline(always)]
    fn level(&self, j: usize) -> i32 {
        let (g, l) = (j / QK, j % QK);
        i32::from(nibble_k4(&self.qs, j) | (((self.qh[l] >> g) & 1) << 4))
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, g: usize) -> std::arch::x86_64::__m256i {
        use std::arch::x86_64::*;
        // SAFETY: only inlined into the kernels, whose callers checked for AVX2; the load reads
        // the 32 bytes of `qh`.
        #[allow(unsafe_code)]
        unsafe {
            // Bit g of each `qh` byte: all ones where set, then 0x10.
            let bit = _mm256_set1_epi8((1u8 << g) as i8);
            let h = _mm256_and_si256(_mm256_loadu_si256(self.qh.as_ptr().cast()), bit);
            let h = _mm256_and_si256(_mm256_cmpeq_epi8(h, bit), _mm256_set1_epi8(0x10));
            _mm256_or_si256(nibbles_k4(&self.qs, g), h)
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack_avx512(&self, g: usize) -> std::arch::x86_64::__m256i {
        use std::arch::x86_64::*;
        // SAFETY: only inlined into the kernels, whose callers checked for AVX2 and AVX-512 BW
        // and VL; the load reads the 32 bytes of `qh`.
        #[allow(unsafe_code)]
        unsafe {
            let qh = _mm256_loadu_si256(self.qh.as_ptr().cast());
            let high = _mm256_maskz_mov_epi8(
                _mm256_test_epi8_mask(qh, _mm256_set1_epi8((1u8 << g) as i8)),
                _mm256_set1_epi8(0x10),
            );
            _mm256_or_si256(nibbles_k4(&self.qs, g), high)
        }
    }
}

impl Packed for BlockQ6K {
    const BYTES: usize = 210;
    const GROUPS: usize = 8;
    const CENTRE: i8 = 32;

    #[inline(always)]
    fn level(&self, j: usize) -> i32 {
        // Weight `128 n + 32 s + l`: low bits in `ql[64 n + 32 (s % 2) + l]` (the high nibble when
        // s >= 2), high bits `2 s` up in `qh[32 n + l]`.
        let (n, s, l) = (j / 128, (j % 128) / QK, j % QK);
        let low = self.ql[64 * n + QK * (s % 2) + l];
        let low = if s < 2 { low & 0x0F } else { low >> 4 };
        let high = (self.qh[QK * n + l] >> (2 * s)) & 3;
        i32::from(low | (high << 4)) - 32
    }

    #[inline(always)]
    fn scales(&self, t: &[f32], g: usize) -> ([f32; 2], [f32; 2]) {
        let d = t[usize::from(self.d)];
        ([d * f32::from(self.scales[2 * g]), d * f32::from(self.scales[2 * g + 1])], [0.0; 2])
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, g: usize) -> std::arch::x86_64::__m256i {
        use std::arch::x86_64::*;
        let (n, s) = (g / 4, g % 4);
        let low = &self.ql[64 * n + QK * (s % 2)..64 * n + QK * (s % 2) + QK];
        let high = &self.qh[QK * n..QK * n + QK];
        // SAFETY: only inlined into the kernels, whose callers checked for AVX2; the loads read
        // the two 32-byte slices above.
        #[allow(unsafe_code)]
        unsafe {
            let l = _mm256_loadu_si256(low.as_ptr().cast());
            let l = if s < 2 { l } else { _mm256_srli_epi16(l, 4) };
            let h = _mm256_loadu_si256(high.as_ptr().cast());
            // Bits 2s and 2s + 1 of each `qh` byte to bits 4 and 5 (16-bit shifts: the bits that
            // cross into the neighbouring byte are masked off).
            let h = match s {
                0 => _mm256_slli_epi16(h, 4),
                1 => _mm256_slli_epi16(h, 2),
                2 => h,
                _ => _mm256_srli_epi16(h, 2),
            };
            _mm256_or_si256(_mm256_and_si256(l, _mm256_set1_epi8(0x0F)), _mm256_and_si256(h, _mm256_set1_epi8(0x30)))
        }
    }
}

/// Each 16 weights' scale and minimum, as the integer kernels read them (Q4_K and Q5_K).
#[inline(always)]
fn int_scales_k4(scales: &[u8; 12]) -> ([i32; 16], [i16; 16]) {
    let (mut sc, mut o) = ([0; 16], [0; 16]);
    for g in 0..8 {
        let (s, m) = scale_min(scales, g);
        (sc[2 * g], sc[2 * g + 1]) = (i32::from(s), i32::from(s));
        (o[2 * g], o[2 * g + 1]) = (i16::from(m), i16::from(m));
    }
    (sc, o)
}

/// `Super::scale_lanes` of Q4_K and Q5_K: llama.cpp's unpacking of the 12 scale bytes in
/// 32-bit words (the eight 6-bit scales, and the eight minimums), each minimum for both halves.
///
/// # Safety
/// The CPU must have AVX2 (inlined into the kernels built for it).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn scale_lanes_k4(scales: &[u8; 12]) -> ([std::arch::x86_64::__m256i; 8], std::arch::x86_64::__m256i) {
    use std::arch::x86_64::*;
    let w = |i: usize| u32::from_le_bytes([scales[i], scales[i + 1], scales[i + 2], scales[i + 3]]);
    let (u0, u1, u2) = (w(0), w(4), w(8));
    let (m1, m2, m3) = (0x3f3f_3f3f_u32, 0x0f0f_0f0f_u32, 0x0303_0303_u32);
    let sc = [u0 & m1, (u2 & m2) | (((u0 >> 6) & m3) << 4)];
    let mn = [u1 & m1, ((u2 >> 4) & m2) | (((u1 >> 6) & m3) << 4)];
    // SAFETY: the caller guarantees AVX2; no memory is touched.
    unsafe {
        let sc = _mm_set_epi32(0, 0, sc[1] as i32, sc[0] as i32);
        let mn = _mm_set_epi32(0, 0, mn[1] as i32, mn[0] as i32);
        (spread::<false, false>(sc), _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn, mn)))
    }
}

/// `Super` for Q4_K and Q5_K: six-bit scales and minimums per group.
macro_rules! k4_super {
    ($($block:ty),*) => {$(
        impl Super for $block {
            const HALF_SCALES: bool = false;

            #[inline(always)]
            fn d_e(&self) -> (u16, u16) {
                (self.d, self.dmin)
            }

            #[inline(always)]
            fn int_scales(&self) -> ([i32; 16], [i16; 16]) {
                int_scales_k4(&self.scales)
            }

            #[cfg(target_arch = "x86_64")]
            #[inline(always)]
            #[allow(unsafe_code)]
            unsafe fn scale_lanes(&self) -> ([std::arch::x86_64::__m256i; 8], std::arch::x86_64::__m256i) {
                // SAFETY: the caller guarantees AVX2, as `scale_lanes_k4` needs.
                unsafe { scale_lanes_k4(&self.scales) }
            }
        }
    )*};
}

k4_super!(BlockQ4K, BlockQ5K);

impl Super for BlockQ6K {
    #[inline(always)]
    fn d_e(&self) -> (u16, u16) {
        (self.d, self.d)
    }

    #[inline(always)]
    fn int_scales(&self) -> ([i32; 16], [i16; 16]) {
        (self.scales.map(i32::from), self.scales.map(|s| 32 * i16::from(s)))
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn scale_lanes(&self) -> ([std::arch::x86_64::__m256i; 8], std::arch::x86_64::__m256i) {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees AVX2; the load reads the 16 bytes of `scales`.
        unsafe {
            let b = _mm_loadu_si128(self.scales.as_ptr().cast());
            (spread::<true, true>(b), _mm256_slli_epi16(_mm256_cvtepi8_epi16(b), 5))
        }
    }
}
