//! f16 and bf16 weight matrices kept as stored: half the memory of f32 and half the bytes a
//! decode step reads. candle held them as `QTensor`s whose CPU matmul widened each row in a
//! scalar loop (SmolLM2 `--dtype bf16` generated at about half its f32 speed); here the rows are
//! widened eight at a time in registers (bf16: a 16-bit shift; f16: F16C) and multiplied with
//! the f32 activations, accumulating in f32, in the same tiles as the quantized kernels. The
//! same kernel reads f32 rows for an f32 model's decode steps (`f32_rows`).

use std::marker::PhantomData;

use candle_core::quantized::GgmlDType;

use super::blocks::F16;
#[cfg(target_arch = "x86_64")]
use super::kernels::{AVX2, prefetch};
use super::tiles::{Tile, sweep_rows, tiled, wide_tiles};
use crate::train::mm::{Dst, View, matmul};

/// Which 16-bit float the bits hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    F16,
    Bf16,
}

impl Half {
    /// The 16-bit float `dtype` is, if it is one.
    pub fn of(dtype: GgmlDType) -> Option<Self> {
        match dtype {
            GgmlDType::F16 => Some(Self::F16),
            GgmlDType::BF16 => Some(Self::Bf16),
            _ => None,
        }
    }

    pub fn dtype(self) -> GgmlDType {
        match self {
            Self::F16 => GgmlDType::F16,
            Self::Bf16 => GgmlDType::BF16,
        }
    }

    #[inline(always)]
    fn to_f32(self, b: u16) -> f32 {
        match self {
            // The blocks' f16 table: `half` converts in software unless built for F16C.
            Self::F16 => F16[usize::from(b)],
            Self::Bf16 => f32::from_bits(u32::from(b) << 16),
        }
    }

    /// `bits` as f32 into `out`, on rayon's threads (a prompt's products wait for it).
    fn widen(self, bits: &[u16], out: &mut Vec<f32>) {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 16;
        out.resize(bits.len(), 0.0);
        let pieces = out.par_chunks_mut(CHUNK).zip(bits.par_chunks(CHUNK));
        match self {
            Self::F16 => pieces.for_each(|(o, b)| o.iter_mut().zip(b).for_each(|(o, &b)| *o = F16[usize::from(b)])),
            Self::Bf16 => pieces.for_each(|(o, b)| o.iter_mut().zip(b).for_each(|(o, &b)| *o = Self::Bf16.to_f32(b))),
        }
    }

    /// Rounded to nearest, ties to even (as `half` and torch round).
    pub(super) fn round(self, x: f32) -> u16 {
        match self {
            Self::F16 => half::f16::from_f32(x).to_bits(),
            Self::Bf16 => half::bf16::from_f32(x).to_bits(),
        }
    }
}

/// Activation rows from which a product widens its weights for a whole-matrix kernel: the
/// widening and gemm's packing cost about what a few rows' products do, so fewer rows stay in
/// the widening tiles. On SmolLM2 bf16 512-token prompts on an Intel Xeon without AMX, gemm on
/// widened pieces ran 436-528 tok/s where the bf16 dot-product tiles ran 321-356 (alternated).
const GEMM_ROWS: usize = 16;
/// Weight rows per widened piece: at most 4 MiB of f32.
const PIECE_BYTES: usize = 4 << 20;

/// A `(rows, cols)` matrix of 16-bit floats, row-major.
#[derive(Debug, Clone)]
pub struct HalfMatrix {
    /// The bits, named like `BlockMatrix`'s blocks so the two share `PackedMatrix`'s accessors.
    pub blocks: Vec<u16>,
    pub rows: usize,
    pub cols: usize,
    pub kind: Half,
}

/// The weight elements the float kernel reads: f16 or bf16 bits, or f32 as they are.
pub(super) trait Float: Sync {
    type W: Copy + Sync;
    fn to_f32(w: Self::W) -> f32;
    /// Eight weights from `p` widened to f32.
    ///
    /// # Safety
    /// The CPU must have AVX2 and F16C; `p` must point at eight readable weights.
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    unsafe fn load8(p: *const Self::W) -> std::arch::x86_64::__m256;
    /// Sixteen weights from `p` widened to f32.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F; `p` must point at sixteen readable weights.
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    unsafe fn load16(p: *const Self::W) -> std::arch::x86_64::__m512;
}

/// f16 (`true`) or bf16 bits.
pub(super) struct Bits<const F16: bool>;

impl<const F16: bool> Float for Bits<F16> {
    type W = u16;

    #[inline(always)]
    fn to_f32(w: u16) -> f32 {
        if F16 { Half::F16.to_f32(w) } else { Half::Bf16.to_f32(w) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn load8(p: *const u16) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees the features and eight readable weights.
        unsafe {
            let h = _mm_loadu_si128(p.cast());
            if F16 { _mm256_cvtph_ps(h) } else { _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)) }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn load16(p: *const u16) -> std::arch::x86_64::__m512 {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees the features and sixteen readable weights.
        unsafe {
            let h = _mm256_loadu_si256(p.cast());
            if F16 {
                _mm512_cvtph_ps(h)
            } else {
                _mm512_castsi512_ps(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(h)))
            }
        }
    }
}

/// f32 weights: a decode step's rows of an f32 model (its prompts go through gemm).
pub(super) struct F32;

impl Float for F32 {
    type W = f32;

    #[inline(always)]
    fn to_f32(w: f32) -> f32 {
        w
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn load8(p: *const f32) -> std::arch::x86_64::__m256 {
        // SAFETY: the caller guarantees the features and eight readable weights.
        unsafe { std::arch::x86_64::_mm256_loadu_ps(p) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn load16(p: *const f32) -> std::arch::x86_64::__m512 {
        // SAFETY: the caller guarantees the features and sixteen readable weights.
        unsafe { std::arch::x86_64::_mm512_loadu_ps(p) }
    }
}

/// `N` rows of weights against `M` rows of f32 activations.
fn dot<K: Float, const N: usize, const M: usize>(xs: [&[K::W]; N], ys: [&[f32]; M]) -> [[f32; M]; N] {
    #[cfg(target_arch = "x86_64")]
    if *AVX512 {
        // SAFETY: `dot_avx512` needs AVX-512 F, which the CPU was checked to have.
        #[allow(unsafe_code)]
        return unsafe { dot_avx512::<K, N, M>(xs, ys) };
    }
    #[cfg(target_arch = "x86_64")]
    if *AVX2 {
        // SAFETY: `dot_avx2` needs AVX2, FMA and F16C, which the CPU was checked to have.
        #[allow(unsafe_code)]
        return unsafe { dot_avx2::<K, N, M>(xs, ys) };
    }
    xs.map(|x| ys.map(|y| x.iter().zip(y).map(|(&b, &a)| K::to_f32(b) * a).sum()))
}

/// A vector of f32 lanes the float kernel (and the panels' scaling) computes in: 256-bit
/// (AVX2) or 512-bit (AVX-512).
///
/// Its functions are `unsafe` and `#[inline(always)]`, compiled into the kernels with their
/// features (the CPU must have them).
#[cfg(target_arch = "x86_64")]
pub(super) trait Lanes: Copy {
    const WIDTH: usize;
    #[allow(unsafe_code)]
    unsafe fn zero() -> Self;
    #[allow(unsafe_code)]
    unsafe fn splat(v: f32) -> Self;
    #[allow(unsafe_code)]
    unsafe fn add(a: Self, b: Self) -> Self;
    #[allow(unsafe_code)]
    unsafe fn mul(a: Self, b: Self) -> Self;
    /// `WIDTH` activations from `p`.
    #[allow(unsafe_code)]
    unsafe fn load(p: *const f32) -> Self;
    /// `WIDTH` weights of kind `K` from `p`, widened.
    #[allow(unsafe_code)]
    unsafe fn weights<K: Float>(p: *const K::W) -> Self;
    /// `a * b + c`.
    #[allow(unsafe_code)]
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self;
    #[allow(unsafe_code)]
    unsafe fn sum(self) -> f32;
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
impl Lanes for std::arch::x86_64::__m256 {
    const WIDTH: usize = 8;

    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { std::arch::x86_64::_mm256_setzero_ps() }
    }

    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { std::arch::x86_64::_mm256_set1_ps(v) }
    }

    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { std::arch::x86_64::_mm256_add_ps(a, b) }
    }

    #[inline(always)]
    unsafe fn mul(a: Self, b: Self) -> Self {
        // SAFETY: the caller guarantees AVX.
        unsafe { std::arch::x86_64::_mm256_mul_ps(a, b) }
    }

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees AVX and eight readable values.
        unsafe { std::arch::x86_64::_mm256_loadu_ps(p) }
    }

    #[inline(always)]
    unsafe fn weights<K: Float>(p: *const K::W) -> Self {
        // SAFETY: the caller guarantees `load8`'s requirements.
        unsafe { K::load8(p) }
    }

    #[inline(always)]
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: the caller guarantees FMA.
        unsafe { std::arch::x86_64::_mm256_fmadd_ps(a, b, c) }
    }

    #[inline(always)]
    unsafe fn sum(self) -> f32 {
        let mut lanes = [0f32; 8];
        // SAFETY: the caller guarantees AVX; the store writes the 8 lanes into the local array.
        unsafe { std::arch::x86_64::_mm256_storeu_ps(lanes.as_mut_ptr(), self) };
        lanes.iter().sum()
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
impl Lanes for std::arch::x86_64::__m512 {
    const WIDTH: usize = 16;

    #[inline(always)]
    unsafe fn zero() -> Self {
        // SAFETY: the caller guarantees AVX-512 F.
        unsafe { std::arch::x86_64::_mm512_setzero_ps() }
    }

    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        // SAFETY: the caller guarantees AVX-512 F.
        unsafe { std::arch::x86_64::_mm512_set1_ps(v) }
    }

    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        // SAFETY: the caller guarantees AVX-512 F.
        unsafe { std::arch::x86_64::_mm512_add_ps(a, b) }
    }

    #[inline(always)]
    unsafe fn mul(a: Self, b: Self) -> Self {
        // SAFETY: the caller guarantees AVX-512 F.
        unsafe { std::arch::x86_64::_mm512_mul_ps(a, b) }
    }

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees AVX-512 F and sixteen readable values.
        unsafe { std::arch::x86_64::_mm512_loadu_ps(p) }
    }

    #[inline(always)]
    unsafe fn weights<K: Float>(p: *const K::W) -> Self {
        // SAFETY: the caller guarantees `load16`'s requirements.
        unsafe { K::load16(p) }
    }

    #[inline(always)]
    unsafe fn fma(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: the caller guarantees AVX-512 F.
        unsafe { std::arch::x86_64::_mm512_fmadd_ps(a, b, c) }
    }

    #[inline(always)]
    unsafe fn sum(self) -> f32 {
        // SAFETY: the caller guarantees AVX-512 F.
        unsafe { std::arch::x86_64::_mm512_reduce_add_ps(self) }
    }
}

/// `V::WIDTH` weights at a time widened in registers and multiplied into `N * M` independent f32
/// accumulators; the tail past a multiple of the width in scalar code.
///
/// # Safety
/// The CPU must have what `V` and `K`'s loads need (see `dot_avx2`/`dot_avx512`, its only
/// callers, into which it is inlined with their features).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn dot_body<K: Float, V: Lanes, const N: usize, const M: usize>(
    xs: [&[K::W]; N],
    ys: [&[f32]; M],
) -> [[f32; M]; N] {
    let k = xs.iter().map(|x| x.len()).chain(ys.iter().map(|y| y.len())).min().unwrap_or(0);
    let mut j = 0;
    // Weights per 64-byte line, the stride of the prefetch hints.
    let line = 64 / std::mem::size_of::<K::W>();
    // SAFETY: the caller guarantees the features; every load reads `WIDTH` elements at `j` with
    // `j + WIDTH <= k`, within each row.
    unsafe {
        let mut acc = [[V::zero(); M]; N];
        while j + V::WIDTH <= k {
            if j % line == 0 {
                for x in xs {
                    prefetch(x.as_ptr().add(j).cast(), 64);
                }
            }
            let mut yv = [V::zero(); M];
            for c in 0..M {
                yv[c] = V::load(ys[c].as_ptr().add(j));
            }
            for r in 0..N {
                let w = V::weights::<K>(xs[r].as_ptr().add(j));
                for c in 0..M {
                    acc[r][c] = V::fma(w, yv[c], acc[r][c]);
                }
            }
            j += V::WIDTH;
        }
        let mut out = [[0f32; M]; N];
        for r in 0..N {
            for c in 0..M {
                let tail: f32 = (j..k).map(|i| K::to_f32(xs[r][i]) * ys[c][i]).sum();
                out[r][c] = acc[r][c].sum() + tail;
            }
        }
        out
    }
}

/// Eight weights at a time in 256-bit registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
fn dot_avx2<K: Float, const N: usize, const M: usize>(xs: [&[K::W]; N], ys: [&[f32]; M]) -> [[f32; M]; N] {
    // SAFETY: this function's features are what `dot_body` needs for 256-bit lanes.
    #[allow(unsafe_code)]
    unsafe {
        dot_body::<K, std::arch::x86_64::__m256, N, M>(xs, ys)
    }
}

/// Whether the CPU has AVX-512 F for `dot_avx512`.
#[cfg(target_arch = "x86_64")]
static AVX512: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| *AVX2 && std::arch::is_x86_feature_detected!("avx512f"));

/// Sixteen weights at a time in 512-bit registers: prompts are compute-bound here, and a 512-bit
/// FMA does twice the work of a 256-bit one on the same two ports.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c,avx512f")]
fn dot_avx512<K: Float, const N: usize, const M: usize>(xs: [&[K::W]; N], ys: [&[f32]; M]) -> [[f32; M]; N] {
    // SAFETY: this function's features are what `dot_body` needs for 512-bit lanes.
    #[allow(unsafe_code)]
    unsafe {
        dot_body::<K, std::arch::x86_64::__m512, N, M>(xs, ys)
    }
}

/// Weights of kind `K` against f32 activations.
pub(super) struct Floats<K>(PhantomData<K>);

impl<K: Float> Tile for Floats<K> {
    type W = K::W;
    type A = f32;
    fn tile<const N: usize, const M: usize>(xs: [&[K::W]; N], ys: [&[f32]; M]) -> [[f32; M]; N] {
        dot::<K, N, M>(xs, ys)
    }
}

/// Rows `r0..r0 + out.len() / b` of the `k`-wide f32 `weights` times each of the `b` activation
/// rows `x`, written `(rows, b)`: a decode step on an f32 model, four weight rows per call with
/// prefetch hints. candle's `vec_dot`, one row at a time, waited on its loads: SmolLM2-135M f32
/// tg64 39.5-43.2 -> 56.3-62.1 tok/s (llama.cpp 55.2-60.2 on the same weights).
pub fn f32_rows(weights: &[f32], k: usize, r0: usize, out: &mut [f32], x: &[f32], b: usize) {
    let n = out.len() / b.max(1);
    sweep_rows::<Floats<F32>>(weights, k, (r0, n), x, (b, wide_tiles()), |c, j, v| out[j * b + c] = v);
}

impl HalfMatrix {
    pub fn from_bits(blocks: Vec<u16>, rows: usize, cols: usize, kind: Half) -> candle_core::Result<Self> {
        if blocks.len() != rows * cols {
            candle_core::bail!("{kind:?} tensor of {rows}x{cols} has {} values", blocks.len());
        }
        Ok(Self { blocks, rows, cols, kind })
    }

    /// f32 values rounded to `kind`.
    pub fn from_f32(values: &[f32], rows: usize, cols: usize, kind: Half) -> candle_core::Result<Self> {
        Self::from_bits(values.iter().map(|&v| kind.round(v)).collect(), rows, cols, kind)
    }

    /// `x (m, cols)` times the transposed matrix: `(m, rows)`. A prompt's rows (`GEMM_ROWS` or
    /// more) multiply pieces of the weights widened to f32 (exact) in a bf16 engine where the
    /// CPU has one that beats f32 (`bf16_dots::engine`), else in gemm's f32 kernel; fewer rows
    /// in the widening kernel, which converts nothing ahead.
    pub(super) fn matmul(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        let (n, k) = (self.rows, self.cols);
        if x.len() != m * k {
            candle_core::bail!("{m} rows of {k} activations expected, got {} values", x.len());
        }
        if m < GEMM_ROWS {
            let wide = wide_tiles();
            return Ok(match self.kind {
                Half::F16 => tiled::<Floats<Bits<true>>>(&self.blocks, (n, k), x, (m, k), wide),
                Half::Bf16 => tiled::<Floats<Bits<false>>>(&self.blocks, (n, k), x, (m, k), wide),
            });
        }
        #[cfg(target_arch = "x86_64")]
        let engine = if self.kind == Half::Bf16 { super::bf16_dots::engine() } else { None };
        let mut y = vec![0f32; m * n];
        let piece = (PIECE_BYTES / (4 * k.max(1))).max(1);
        let mut wide = Vec::new();
        for start in (0..n).step_by(piece) {
            let len = piece.min(n - start);
            self.kind.widen(&self.blocks[start * k..(start + len) * k], &mut wide);
            #[cfg(target_arch = "x86_64")]
            if let Some(kernel) = engine {
                super::bf16_dots::product(&mut y[start..], n, (x, m), &wide, (k, len), kernel);
                continue;
            }
            let dst = View { off: start, rows: m, cols: len, rs: n, cs: 1 };
            matmul(
                Dst::Init(&mut y),
                dst,
                x,
                View::dense(0, m, k),
                &wide,
                View::dense(0, len, k).t(),
                false,
                1.0,
                true,
            );
        }
        Ok(y)
    }

    pub(super) fn dequantize(&self) -> Vec<f32> {
        self.blocks.iter().map(|&b| self.kind.to_f32(b)).collect()
    }

    pub(super) fn rows(&self, start: usize, len: usize) -> Self {
        let blocks = self.blocks[start * self.cols..(start + len) * self.cols].to_vec();
        Self { blocks, rows: len, cols: self.cols, kind: self.kind }
    }

    /// Rows `r0..r0 + out.len() / b` times each of the `b` activation rows `x`, written
    /// `(rows, b)`, four weight rows per kernel call.
    pub(super) fn dot_rows(&self, r0: usize, out: &mut [f32], x: &[f32], _ys: &[super::BlockQ8_1], b: usize) {
        let (k, n) = (self.cols, out.len() / b.max(1));
        let m = (b, wide_tiles());
        let put = |c: usize, j: usize, v: f32| out[j * b + c] = v;
        match self.kind {
            Half::F16 => sweep_rows::<Floats<Bits<true>>>(&self.blocks, k, (r0, n), x, m, put),
            Half::Bf16 => sweep_rows::<Floats<Bits<false>>>(&self.blocks, k, (r0, n), x, m, put),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tile shape and the dispatch against a plain f32 sum over the widened weights, for
    /// rows that are and are not a multiple of eight; rounding from f32 as `half` rounds.
    #[test]
    fn half_matrices_multiply_as_their_f32_values() {
        for kind in [Half::Bf16, Half::F16] {
            for k in [64, 75] {
                let (n, m) = (70, 19);
                let w: Vec<f32> = (0..n * k).map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.37).collect();
                let x: Vec<f32> = (0..m * k).map(|i| ((i * 104_729 % 997) as f32 / 498.0 - 1.0) * 2.1).collect();
                let h = HalfMatrix::from_f32(&w, n, k, kind).unwrap();
                let wide: Vec<f32> = h.dequantize();
                for (a, b) in wide.iter().zip(&w) {
                    let want = match kind {
                        Half::F16 => half::f16::from_f32(*b).to_f32(),
                        Half::Bf16 => half::bf16::from_f32(*b).to_f32(),
                    };
                    assert_eq!(*a, want);
                }
                let exact_on = |x: &[f32], c: usize, r: usize| -> f32 {
                    wide[r * k..(r + 1) * k].iter().zip(&x[c * k..(c + 1) * k]).map(|(a, b)| a * b).sum()
                };
                let exact = |c: usize, r: usize| exact_on(&x, c, r);
                // Prompts of bf16 weights in AVX512-BF16 dot products take bf16 activations.
                #[cfg(target_arch = "x86_64")]
                let dots = kind == Half::Bf16 && super::super::bf16_dots::engine().is_some();
                #[cfg(not(target_arch = "x86_64"))]
                let dots = false;
                let xr: Vec<f32> =
                    if dots { x.iter().map(|&v| half::bf16::from_f32(v).to_f32()).collect() } else { x.clone() };
                let close = |got: f32, want: f32, what: &str| {
                    assert!((got - want).abs() <= 1e-4 * want.abs().max(1.0), "{kind:?} k={k} {what}: {got} vs {want}");
                };
                let got = h.matmul(&x, m).unwrap();
                for c in 0..m {
                    for r in 0..n {
                        close(got[c * n + r], exact_on(&xr, c, r), "matmul");
                    }
                }
                // A decode step: rows 5..13 against 3 sequences, written (rows, b).
                let mut out = vec![0f32; 8 * 3];
                h.dot_rows(5, &mut out, &x[..3 * k], &[], 3);
                for j in 0..8 {
                    for c in 0..3 {
                        close(out[j * 3 + c], exact(c, 5 + j), "dot_rows");
                    }
                }
                assert_eq!(h.rows(3, 2).dequantize(), wide[3 * k..5 * k]);
            }
        }
        assert!(HalfMatrix::from_bits(vec![0; 5], 2, 3, Half::Bf16).is_err());
    }

    /// A decode step on f32 rows: rows 3..12 (a four-row sweep, then one by one) against one and
    /// against five sequences, with rows that are and are not a multiple of eight, equal to
    /// plain sums in f64 to f32 rounding.
    #[test]
    fn f32_rows_multiply_as_plain_sums() {
        for k in [576, 75] {
            let n = 14;
            let w: Vec<f32> = (0..n * k).map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.37).collect();
            let x: Vec<f32> = (0..5 * k).map(|i| ((i * 104_729 % 997) as f32 / 498.0 - 1.0) * 2.1).collect();
            for b in [1, 5] {
                let mut out = vec![f32::NAN; 9 * b];
                f32_rows(&w, k, 3, &mut out, &x[..b * k], b);
                for j in 0..9 {
                    for c in 0..b {
                        let row = &w[(3 + j) * k..(4 + j) * k];
                        let want: f64 =
                            row.iter().zip(&x[c * k..(c + 1) * k]).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
                        let got = out[j * b + c];
                        assert!(
                            (f64::from(got) - want).abs() <= 1e-4 * want.abs().max(1.0),
                            "k={k} b={b} row {j} seq {c}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
