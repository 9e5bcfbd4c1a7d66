//! Q4_1 weights times Q8_1 activations. candle's quantized matmul has AVX2 dot products for
//! Q4_0, Q8_0 and the K-quants but runs Q4_1 through its scalar reference loop; measured on
//! SmolLM2-135M Q4_1 that is 29 tok/s prompt processing against llama.cpp's 288 (0.10x). These
//! block types plug into candle's matmul driver (activation quantization, tiling, its thread
//! pool) and bring a dot product that the compiler vectorizes for AVX2 when the CPU has it. The
//! block layout and the activation rounding are llama.cpp's, so results match its Q4_1 path.

use std::sync::LazyLock;

use candle_core::quantized::GgmlDType;
use candle_core::quantized::k_quants::{GgmlType, matmul};
use half::f16;

pub(super) const QK: usize = 32;

/// 32 weights: `w = d * q + m`, `q` in 0..16, two per byte (low nibbles first half).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ4_1 {
    d: u16,
    m: u16,
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

impl BlockQ4_1 {
    pub const BYTES: usize = 20;

    /// Blocks from GGUF bytes (20 per block, little-endian f16 d and m).
    pub fn parse(bytes: &[u8]) -> Vec<Self> {
        bytes
            .chunks_exact(Self::BYTES)
            .map(|c| {
                let mut qs = [0u8; QK / 2];
                qs.copy_from_slice(&c[4..]);
                Self { d: u16::from_le_bytes([c[0], c[1]]), m: u16::from_le_bytes([c[2], c[3]]), qs }
            })
            .collect()
    }
}

#[inline(always)]
fn dot(xs: &[BlockQ4_1], ys: &[BlockQ8_1], table: &[f32]) -> f32 {
    let mut sum = 0f32;
    for (x, y) in xs.iter().zip(ys) {
        let mut acc = 0i32;
        for j in 0..QK / 2 {
            let b = x.qs[j];
            acc += i32::from(b & 0x0F) * i32::from(y.qs[j]) + i32::from(b >> 4) * i32::from(y.qs[j + QK / 2]);
        }
        sum += acc as f32 * table[usize::from(x.d)] * y.d + table[usize::from(x.m)] * y.s;
    }
    sum
}

/// llama.cpp's AVX2 scheme for `N` weight rows against one activation row: nibbles unpacked to
/// 32 bytes, u8 x i8 pair products summed into i32 lanes (one `vpdpbusd` with AVX-512 VNNI, as
/// llama.cpp builds for such CPUs, else `vpmaddubsw` + `vpmaddwd`), scaled and accumulated in
/// f32; the `m * s` offsets summed apart. Several rows share each activation load and keep
/// independent accumulator chains, which one row alone leaves the FMA units waiting on.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn dot_body<const N: usize, const VNNI: bool>(xs: [&[BlockQ4_1]; N], ys: &[BlockQ8_1]) -> [f32; N] {
    use std::arch::x86_64::*;
    // SAFETY: only inlined into `dot_avx2` and `dot_vnni`, whose callers checked that the CPU
    // has AVX2, FMA and F16C (and AVX-512 VNNI/VL for `VNNI`); the loads read exactly the 4
    // bytes of `x.d`/`x.m` (adjacent in the `repr(C)` block), the 16 of `x.qs` and the 32 of
    // `y.qs`.
    #[allow(unsafe_code)]
    unsafe {
        let mut acc = [_mm256_setzero_ps(); N];
        let mut offset = [0f32; N];
        let low = _mm_set1_epi8(0x0F);
        let ones = _mm256_set1_epi16(1);
        let xs = xs.map(|x| &x[..ys.len()]);
        for (bi, y) in ys.iter().enumerate() {
            let yv = _mm256_loadu_si256(y.qs.as_ptr().cast());
            for r in 0..N {
                let x = xs[r].get_unchecked(bi);
                let q = _mm_loadu_si128(x.qs.as_ptr().cast());
                let lo = _mm_and_si128(q, low);
                let hi = _mm_and_si128(_mm_srli_epi16(q, 4), low);
                let xv = _mm256_set_m128i(hi, lo);
                let prod = if VNNI {
                    _mm256_dpbusd_epi32(_mm256_setzero_si256(), xv, yv)
                } else {
                    _mm256_madd_epi16(_mm256_maddubs_epi16(xv, yv), ones)
                };
                // d and m converted together by F16C: a 256 KiB table lookup per block missed
                // the cache often enough to show in a decode profile (tg128 +6-15%).
                let dm = _mm_cvtph_ps(_mm_cvtsi32_si128(std::ptr::from_ref(x).cast::<i32>().read_unaligned()));
                let scale = _mm256_set1_ps(_mm_cvtss_f32(dm) * y.d);
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(prod), scale, acc[r]);
                offset[r] += _mm_cvtss_f32(_mm_movehdup_ps(dm)) * y.s;
            }
        }
        std::array::from_fn(|r| {
            let s = _mm_add_ps(_mm256_castps256_ps128(acc[r]), _mm256_extractf128_ps(acc[r], 1));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
            _mm_cvtss_f32(s) + offset[r]
        })
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
fn dot_avx2<const N: usize>(xs: [&[BlockQ4_1]; N], ys: &[BlockQ8_1]) -> [f32; N] {
    dot_body::<N, false>(xs, ys)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
fn dot_vnni<const N: usize>(xs: [&[BlockQ4_1]; N], ys: &[BlockQ8_1]) -> [f32; N] {
    dot_body::<N, true>(xs, ys)
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

/// Dot products of `N` weight rows with one activation row.
pub(super) fn vec_dots<const N: usize>(xs: [&[BlockQ4_1]; N], ys: &[BlockQ8_1]) -> [f32; N] {
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
    xs.map(|x| dot(x, ys, F16.as_slice()))
}

pub(super) fn vec_dot(xs: &[BlockQ4_1], ys: &[BlockQ8_1]) -> f32 {
    let [d] = vec_dots([xs], ys);
    d
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

impl GgmlType for BlockQ4_1 {
    const DTYPE: GgmlDType = GgmlDType::Q4_1;
    const BLCK_SIZE: usize = QK;
    type VecDotType = BlockQ8_1;

    fn zeros() -> Self {
        Self { d: 0, m: 0, qs: [0; QK / 2] }
    }

    fn to_float(xs: &[Self], ys: &mut [f32]) {
        let t = F16.as_slice();
        for (b, out) in xs.iter().zip(ys.chunks_exact_mut(QK)) {
            let (d, m) = (t[usize::from(b.d)], t[usize::from(b.m)]);
            for (j, q) in b.qs.iter().enumerate() {
                out[j] = f32::from(q & 0x0F) * d + m;
                out[j + QK / 2] = f32::from(q >> 4) * d + m;
            }
        }
    }

    /// llama.cpp's quantize_row_q4_1: per block, `m` the minimum and `d` a fifteenth of the range.
    fn from_float(xs: &[f32], ys: &mut [Self]) {
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

    fn vec_dot(_: usize, xs: &[Self], ys: &[BlockQ8_1]) -> f32 {
        vec_dot(xs, ys)
    }

    fn vec_dot_4(
        _: usize,
        xs0: &[Self],
        xs1: &[Self],
        xs2: &[Self],
        xs3: &[Self],
        ys: &[BlockQ8_1],
    ) -> (f32, f32, f32, f32) {
        let [a, b, c, d] = vec_dots([xs0, xs1, xs2, xs3], ys);
        (a, b, c, d)
    }

    fn vec_dot_unopt(_: usize, xs: &[Self], ys: &[BlockQ8_1]) -> f32 {
        dot(xs, ys, F16.as_slice())
    }
}

/// A Q4_1 weight matrix `(rows, cols)`, row-major blocks.
#[derive(Debug, Clone)]
pub struct Q4_1Matrix {
    pub blocks: Vec<BlockQ4_1>,
    pub rows: usize,
    pub cols: usize,
}

impl Q4_1Matrix {
    pub fn new(bytes: &[u8], rows: usize, cols: usize) -> candle_core::Result<Self> {
        if !bytes.len().is_multiple_of(BlockQ4_1::BYTES) {
            candle_core::bail!("Q4_1 tensor of {rows}x{cols} has {} bytes", bytes.len());
        }
        Self::from_blocks(BlockQ4_1::parse(bytes), rows, cols)
    }

    pub fn from_blocks(blocks: Vec<BlockQ4_1>, rows: usize, cols: usize) -> candle_core::Result<Self> {
        if !cols.is_multiple_of(QK) || blocks.len() != rows * cols / QK {
            candle_core::bail!("Q4_1 tensor of {rows}x{cols} has {} blocks", blocks.len());
        }
        Ok(Self { blocks, rows, cols })
    }

    /// `x (m, cols)` times the transposed matrix: `(m, rows)`.
    pub fn matmul(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        let mut out = vec![0f32; m * self.rows];
        matmul::<BlockQ4_1>((m, self.cols, self.rows), x, &self.blocks, &mut out)?;
        Ok(out)
    }

    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        BlockQ4_1::to_float(&self.blocks, &mut out);
        out
    }

    pub fn rows(&self, start: usize, len: usize) -> Self {
        let per_row = self.cols / QK;
        Self { blocks: self.blocks[start * per_row..(start + len) * per_row].to_vec(), rows: len, cols: self.cols }
    }

    pub fn size_in_bytes(&self) -> usize {
        self.blocks.len() * BlockQ4_1::BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::QTensor;
    use candle_core::{Device, Tensor};

    /// Against candle's own Q4_1 path (its scalar reference dot product) on the same blocks.
    #[test]
    fn matches_candles_q4_1_matmul_and_dequantization() {
        let dev = Device::Cpu;
        let (n, k) = (67, 256);
        let w = Tensor::randn(0f32, 1.0, (n, k), &dev).unwrap();
        let q = QTensor::quantize(&w, GgmlDType::Q4_1).unwrap();
        let mine = Q4_1Matrix::new(&q.data().unwrap(), n, k).unwrap();
        let deq: Vec<f32> = q.dequantize(&dev).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(mine.dequantize(), deq);
        for m in [1, 3, 17] {
            let x = Tensor::randn(0f32, 1.0, (m, k), &dev).unwrap();
            let want: Vec<f32> = x.apply_op1_no_bwd(&q).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            let got = mine.matmul(&x.flatten_all().unwrap().to_vec1::<f32>().unwrap(), m).unwrap();
            let scale = want.iter().fold(0f32, |a, v| a.max(v.abs()));
            for (a, b) in got.iter().zip(&want) {
                // Same blocks, same activation rounding up to f16 storage of the scales.
                assert!((a - b).abs() <= 2e-3 * scale, "{a} vs {b}");
            }
        }
        // Both dot-product paths agree.
        let x = Tensor::randn(0f32, 1.0, (1, k), &dev).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mut ys = vec![BlockQ8_1::zeros(); k / QK];
        BlockQ8_1::from_float(&x, &mut ys);
        let row = &mine.blocks[..k / QK];
        let (fast, slow) = (vec_dot(row, &ys), dot(row, &ys, F16.as_slice()));
        assert!((fast - slow).abs() <= 1e-4 * fast.abs().max(1.0), "{fast} vs {slow}");
        // Every kernel this CPU can run, one row and four rows at a time, against the scalar loop.
        let nb = k / QK;
        let rows: [&[BlockQ4_1]; 4] = std::array::from_fn(|r| &mine.blocks[r * nb..(r + 1) * nb]);
        let want = rows.map(|r| dot(r, &ys, F16.as_slice()));
        let close = |got: [f32; 4], what: &str| {
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{what}: {g} vs {w}");
            }
        };
        close(vec_dots(rows, &ys), "dispatch");
        close(rows.map(|r| vec_dot(r, &ys)), "dispatch, one row");
        #[cfg(target_arch = "x86_64")]
        #[allow(unsafe_code)]
        {
            if *AVX2 {
                // SAFETY: AVX2, FMA and F16C were checked just above.
                close(unsafe { dot_avx2(rows, &ys) }, "avx2");
                close(rows.map(|r| unsafe { dot_avx2([r], &ys)[0] }), "avx2, one row");
            }
            if *VNNI {
                // SAFETY: AVX2, FMA, F16C and AVX-512 VNNI/VL were checked just above.
                close(unsafe { dot_vnni(rows, &ys) }, "vnni");
                close(rows.map(|r| unsafe { dot_vnni([r], &ys)[0] }), "vnni, one row");
            }
        }
        // Quantizing the activations: the AVX2 build of the loop gives the same blocks.
        let mut plain = vec![BlockQ8_1::zeros(); nb];
        quantize(&x, &mut plain);
        assert_eq!(plain, ys);
        let row_split = mine.rows(5, 2);
        assert_eq!(row_split.blocks, mine.blocks[5 * (k / QK)..7 * (k / QK)]);
    }
}
