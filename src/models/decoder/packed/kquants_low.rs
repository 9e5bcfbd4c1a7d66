//! GGUF's Q2_K and Q3_K super-blocks (256 weights, 16 scales of 16 weights each): what Q2_K and
//! Q3_K_M/Q3_K_S files store most of their large matrices in. Like Q4_K, Q5_K and Q6_K they run
//! in `superblock`'s integer kernels with Q8_K activations (llama.cpp's scheme); the items here
//! are their layout, unpacking, scales and dequantization.
//!
//! Why hfx's own: candle ran them in kernels that round differently from llama.cpp's, and kept
//! its own path beside hfx's for every K-quant; with `Super` implemented here, the decode rows,
//! prompt panels and portable loop serve them unchanged.

use candle_core::quantized::k_quants;

use super::QK;
use super::blocks::Packed;
use super::kquants::quantize_as;
use super::superblock::Super;
#[cfg(target_arch = "x86_64")]
use super::superblock::spread;

/// 256 weights: 16-weight sub-block `i` is `w = d * (sc[i] & 15) * q - dmin * (sc[i] >> 4)`, `q`
/// in 0..4. Group `g = 4 n + s` (32 weights) holds bits `2 s..2 s + 2` of `qs[32 n..32 n + 32]`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ2K {
    scales: [u8; 16],
    qs: [u8; 64],
    d: u16,
    dmin: u16,
}

/// 256 weights: sub-block `i` is `w = d * (sc[i] - 32) * (q - 4)`, `q` in 0..8: its low two
/// bits as in Q2_K, its third bit `g` bits up in `hmask[l]` (weight `l` of group `g`); the 16
/// six-bit scales packed in 12 bytes (see `scales6`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ3K {
    hmask: [u8; 32],
    qs: [u8; 64],
    scales: [u8; 12],
    d: u16,
}

impl BlockQ2K {
    pub(super) fn quantize(xs: &[f32], ys: &mut [Self]) {
        quantize_as::<k_quants::BlockQ2K, Self>(xs, ys)
    }
}

impl BlockQ3K {
    pub(super) fn quantize(xs: &[f32], ys: &mut [Self]) {
        quantize_as::<k_quants::BlockQ3K, Self>(xs, ys)
    }

    /// The 16 scales, `sc - 32` (llama.cpp's unpacking: low four bits from bytes 0..8, high two
    /// from bytes 8..12).
    fn scales6(&self) -> [i8; 16] {
        let w =
            |i: usize| u32::from_le_bytes([self.scales[i], self.scales[i + 1], self.scales[i + 2], self.scales[i + 3]]);
        let (a0, a1, t) = (w(0), w(4), w(8));
        let (k1, k2) = (0x0303_0303_u32, 0x0f0f_0f0f_u32);
        let aux = [
            (a0 & k2) | ((t & k1) << 4),
            (a1 & k2) | (((t >> 2) & k1) << 4),
            ((a0 >> 4) & k2) | (((t >> 4) & k1) << 4),
            ((a1 >> 4) & k2) | (((t >> 6) & k1) << 4),
        ];
        let mut out = [0i8; 16];
        for (o, b) in out.iter_mut().zip(aux.iter().flat_map(|a| a.to_le_bytes())) {
            *o = b as i8 - 32;
        }
        out
    }
}

/// Weight `j`'s two low bits (Q2_K and Q3_K).
#[inline(always)]
fn two_bits(qs: &[u8; 64], j: usize) -> u8 {
    let (g, l) = (j / QK, j % QK);
    (qs[QK * (g / 4) + l] >> (2 * (g % 4))) & 3
}

/// Group `g`'s two-bit levels, weight `l` in byte `l`.
///
/// # Safety
/// The CPU must have AVX2 (inlined into the kernels built for it).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn two_bit_bytes(qs: &[u8; 64], g: usize) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let q = &qs[QK * (g / 4)..QK * (g / 4) + QK];
    // SAFETY: the caller guarantees AVX2; the load reads the 32 bytes of `q`.
    unsafe {
        let q = _mm256_loadu_si256(q.as_ptr().cast());
        // 16-bit shifts: the bits that cross into the neighbouring byte are masked off.
        let q = match g % 4 {
            0 => q,
            1 => _mm256_srli_epi16(q, 2),
            2 => _mm256_srli_epi16(q, 4),
            _ => _mm256_srli_epi16(q, 6),
        };
        _mm256_and_si256(q, _mm256_set1_epi8(3))
    }
}

impl Packed for BlockQ2K {
    const BYTES: usize = 84;
    const GROUPS: usize = 8;
    const OFFSET: bool = true;

    #[inline(always)]
    fn level(&self, j: usize) -> i32 {
        i32::from(two_bits(&self.qs, j))
    }

    #[inline(always)]
    fn scales(&self, t: &[f32], g: usize) -> ([f32; 2], [f32; 2]) {
        let (d, dmin) = (t[usize::from(self.d)], t[usize::from(self.dmin)]);
        let half = |i: usize| (d * f32::from(self.scales[i] & 15), -(dmin * f32::from(self.scales[i] >> 4)));
        let ((d0, m0), (d1, m1)) = (half(2 * g), half(2 * g + 1));
        ([d0, d1], [m0, m1])
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, g: usize) -> std::arch::x86_64::__m256i {
        // SAFETY: the caller guarantees AVX2, as `two_bit_bytes` needs.
        unsafe { two_bit_bytes(&self.qs, g) }
    }
}

impl Super for BlockQ2K {
    #[inline(always)]
    fn d_e(&self) -> (u16, u16) {
        (self.d, self.dmin)
    }

    #[inline(always)]
    fn int_scales(&self) -> ([i32; 16], [i16; 16]) {
        (self.scales.map(|s| i32::from(s & 15)), self.scales.map(|s| i16::from(s >> 4)))
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn scale_lanes(&self) -> ([std::arch::x86_64::__m256i; 8], std::arch::x86_64::__m256i) {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees AVX2; the load reads the 16 bytes of `scales`.
        unsafe {
            let b = _mm_loadu_si128(self.scales.as_ptr().cast());
            let low = _mm_set1_epi8(15);
            let (sc, mn) = (_mm_and_si128(b, low), _mm_and_si128(_mm_srli_epi16(b, 4), low));
            (spread::<false, true>(sc), _mm256_cvtepu8_epi16(mn))
        }
    }
}

impl Packed for BlockQ3K {
    const BYTES: usize = 110;
    const GROUPS: usize = 8;
    const CENTRE: i8 = 4;

    #[inline(always)]
    fn level(&self, j: usize) -> i32 {
        let (g, l) = (j / QK, j % QK);
        i32::from(two_bits(&self.qs, j) | (((self.hmask[l] >> g) & 1) << 2)) - 4
    }

    #[inline(always)]
    fn scales(&self, t: &[f32], g: usize) -> ([f32; 2], [f32; 2]) {
        let (d, sc) = (t[usize::from(self.d)], self.scales6());
        ([d * f32::from(sc[2 * g]), d * f32::from(sc[2 * g + 1])], [0.0; 2])
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack(&self, g: usize) -> std::arch::x86_64::__m256i {
        use std::arch::x86_64::*;
        // SAFETY: only inlined into the kernels, whose callers checked for AVX2; the loads read
        // `qs` (in `two_bit_bytes`) and the 32 bytes of `hmask`.
        unsafe {
            // Bit g of each `hmask` byte: all ones where set, then 4.
            let bit = _mm256_set1_epi8((1u8 << g) as i8);
            let h = _mm256_and_si256(_mm256_loadu_si256(self.hmask.as_ptr().cast()), bit);
            let h = _mm256_and_si256(_mm256_cmpeq_epi8(h, bit), _mm256_set1_epi8(4));
            _mm256_or_si256(two_bit_bytes(&self.qs, g), h)
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn unpack_avx512(&self, g: usize) -> std::arch::x86_64::__m256i {
        use std::arch::x86_64::*;
        // SAFETY: only inlined into the kernels, whose callers checked for AVX2 and AVX-512 BW
        // and VL; the loads read `qs` and the 32 bytes of `hmask`.
        unsafe {
            let hm = _mm256_loadu_si256(self.hmask.as_ptr().cast());
            let high = _mm256_maskz_mov_epi8(
                _mm256_test_epi8_mask(hm, _mm256_set1_epi8((1u8 << g) as i8)),
                _mm256_set1_epi8(4),
            );
            _mm256_or_si256(two_bit_bytes(&self.qs, g), high)
        }
    }
}

impl Super for BlockQ3K {
    #[inline(always)]
    fn d_e(&self) -> (u16, u16) {
        (self.d, self.d)
    }

    /// The scales, and the levels' centre (4) times each: taken away in integers, as Q6_K's.
    #[inline(always)]
    fn int_scales(&self) -> ([i32; 16], [i16; 16]) {
        let sc = self.scales6();
        (sc.map(i32::from), sc.map(|s| 4 * i16::from(s)))
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn scale_lanes(&self) -> ([std::arch::x86_64::__m256i; 8], std::arch::x86_64::__m256i) {
        use std::arch::x86_64::*;
        let sc = self.scales6();
        // SAFETY: the caller guarantees AVX2; the load reads the 16 bytes of `sc`.
        unsafe {
            let b = _mm_loadu_si128(sc.as_ptr().cast());
            (spread::<true, true>(b), _mm256_slli_epi16(_mm256_cvtepi8_epi16(b), 2))
        }
    }
}
