//! hfx's CPU matrix kernels: GGUF weight blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) times Q8_1
//! activations, K-quant super-blocks (Q2_K to Q6_K) times Q8_K activations (`superblock`),
//! and f16/bf16 matrices times f32 activations (`half`), in shared tiles (`tiles`).
//!
//! Why blocks of its own: candle's quantized matmul has AVX2 dot products for Q4_0, Q8_0 and the
//! K-quants but runs Q4_1 and Q5_0 through its scalar reference loops: measured on SmolLM2-135M
//! Q4_1 that was 29 tok/s prompt processing against llama.cpp's 288 (0.10x), and on
//! Qwen2.5-Coder-0.5B Q4_K_M (whose 896-wide matrices cannot take K-quants, so llama.cpp stores
//! them as Q5_0) 7 tok/s generation against 49 with three quarters of the time in candle's Q5_0
//! loop. Prompts go through hfx's own matmuls on candle's thread pool (`panels` for one-group
//! blocks: 16 or 8 weight rows per register; tiles for the rest; the same sums either way),
//! and hfx's decode step calls the dot products directly. The block layouts and the activation rounding are
//! llama.cpp's, so results match its Q4_1 and Q5_0 paths.

#[cfg(target_arch = "x86_64")]
pub(crate) mod amx;
#[cfg(target_arch = "x86_64")]
pub(crate) mod bf16_dots;
mod blocks;
mod half;
mod kernels;
#[cfg(target_arch = "x86_64")]
mod kpanels;
mod kquants;
mod kquants_low;
#[cfg(target_arch = "x86_64")]
mod panels;
mod superblock;
#[cfg(test)]
mod tests;
mod tiles;

use candle_core::quantized::GgmlDType;
use candle_core::quantized::k_quants::GgmlType;

pub use blocks::{BlockQ4_0, BlockQ4_1, BlockQ5_0, BlockQ5_1, BlockQ8_0, BlockQ8_1, OneGroup, Packed};
use blocks::{parse, to_float};
pub use half::{Half, HalfMatrix, f32_rows};
pub use kquants::{BlockQ4K, BlockQ5K, BlockQ6K};
pub use kquants_low::{BlockQ2K, BlockQ3K};
use superblock::QK_K;
pub use superblock::{BlockQ8K, Super, quantize_rows_k};
use tiles::{Blocks, sweep_rows, tiled, wide_tiles};

pub(super) const QK: usize = 32;

/// A matrix `(rows, cols)` of `Packed` blocks, row-major.
#[derive(Debug, Clone)]
pub struct BlockMatrix<B> {
    pub blocks: Vec<B>,
    pub rows: usize,
    pub cols: usize,
}

impl<B: Packed> BlockMatrix<B> {
    pub fn from_blocks(blocks: Vec<B>, rows: usize, cols: usize) -> candle_core::Result<Self> {
        if !cols.is_multiple_of(B::BLCK_SIZE) || blocks.len() != rows * cols / B::BLCK_SIZE {
            candle_core::bail!("{:?} tensor of {rows}x{cols} has {} blocks", B::DTYPE, blocks.len());
        }
        Ok(Self { blocks, rows, cols })
    }

    fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        to_float(&self.blocks, &mut out);
        out
    }

    fn rows(&self, start: usize, len: usize) -> Self {
        let per_row = self.cols / B::BLCK_SIZE;
        Self { blocks: self.blocks[start * per_row..(start + len) * per_row].to_vec(), rows: len, cols: self.cols }
    }
}

impl<B: OneGroup> BlockMatrix<B> {
    /// `x (m, cols)` times the transposed matrix: `(m, rows)`. candle's driver called the
    /// kernels four weight rows by one activation row, so each weight block was unpacked again
    /// for every prompt row (Qwen2.5-0.5B's Q5_0 prompt at 0.41x llama.cpp, two thirds of it in
    /// that kernel). Here a work item is a block of `TILE_M` prompt rows by `TILE_N` weight rows
    /// and the kernel takes 4 x 4 tiles (4 x 2 without AVX-512): each weight block unpacked once
    /// per four (two) prompt rows. `panels` serve instead where the CPU has AVX2 (Q8_0:
    /// AVX-512 VNNI): each weight group unpacked once per 128 prompt rows, the same
    /// sums to the bit; AMX, when asked for, takes what it serves first.
    fn matmul(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        #[cfg(target_arch = "x86_64")]
        {
            type Kernel<B> = fn(&[B], (usize, usize), &[BlockQ8_1], usize) -> Vec<f32>;
            let kernel: Option<Kernel<B>> = if amx::serves() {
                Some(amx::matmul)
            } else if panels::serves::<B>() {
                Some(panels::matmul)
            } else {
                None
            };
            if let Some(kernel) = kernel {
                let ys = self.activations(x, m)?;
                return Ok(kernel(&self.blocks, (self.rows, self.cols / B::BLCK_SIZE), &ys, m));
            }
        }
        self.matmul_tiled(x, m, wide_tiles())
    }

    fn matmul_tiled(&self, x: &[f32], m: usize, wide: bool) -> candle_core::Result<Vec<f32>> {
        let ys = self.activations(x, m)?;
        let (n, k) = (self.rows, self.cols);
        Ok(tiled::<Blocks<B>>(&self.blocks, (n, k / B::BLCK_SIZE), &ys, (m, k / QK), wide))
    }

    /// The `m` rows of `x` as Q8_1 blocks, as llama.cpp rounds activations for these types.
    fn activations(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<BlockQ8_1>> {
        let k = self.cols;
        if x.len() != m * k {
            candle_core::bail!("{m} rows of {k} activations expected, got {} values", x.len());
        }
        Ok(quantize_rows(x, k))
    }

    /// Rows `r0..r0 + out.len() / b` times each of the `b` quantized activation rows in `ys`,
    /// written `(rows, b)`.
    ///
    /// Four weight rows per kernel call, as for prompts: four independent accumulator chains
    /// hide the load latency one row alone waits on (Qwen2.5-0.5B Q4_K_M tg64 21.0 -> 25.4
    /// tok/s, SmolLM2 Q4_1 96 -> 104, 2 threads; an earlier kernel measured the opposite).
    fn dot_rows(&self, r0: usize, out: &mut [f32], _x: &[f32], ys: &[BlockQ8_1], b: usize) {
        let kb = self.cols / B::BLCK_SIZE;
        let n = out.len() / b.max(1);
        sweep_rows::<Blocks<B>>(&self.blocks, kb, (r0, n), ys, (b, wide_tiles()), |c, j, v| out[j * b + c] = v);
    }
}

impl<B: Super> BlockMatrix<B> {
    /// `x (m, cols)` times the transposed matrix: `(m, rows)`, with Q8_K activations (see
    /// `superblock`).
    fn matmul_k(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        if x.len() != m * self.cols {
            candle_core::bail!("{m} rows of {} activations expected, got {} values", self.cols, x.len());
        }
        let a = quantize_rows_k(x, self.cols);
        Ok(superblock::matmul(&self.blocks, (self.rows, self.cols / QK_K), &a, m))
    }

    fn dot_rows_k(&self, r0: usize, out: &mut [f32], a: &[BlockQ8K], b: usize) {
        superblock::dot_rows(&self.blocks, self.cols / QK_K, r0, out, a, b)
    }
}

/// A decode round's input rows, quantized once for each kind of block matrix that reads them:
/// Q8_1 for one-group blocks, Q8_K for the K-quants (f16/bf16 matrices read the f32 rows).
#[derive(Debug, Default)]
pub struct Inputs {
    q8_1: Vec<BlockQ8_1>,
    q8_k: Vec<BlockQ8K>,
}

impl Inputs {
    /// `x`'s `k`-wide rows for `matrices`.
    pub fn new<'a>(matrices: impl IntoIterator<Item = &'a PackedMatrix>, x: &[f32], k: usize) -> Self {
        let (mut one, mut sup) = (false, false);
        for m in matrices {
            match m {
                PackedMatrix::Half(_) => {}
                PackedMatrix::Q2K(_)
                | PackedMatrix::Q3K(_)
                | PackedMatrix::Q4K(_)
                | PackedMatrix::Q5K(_)
                | PackedMatrix::Q6K(_) => sup = true,
                _ => one = true,
            }
        }
        Self {
            q8_1: if one { quantize_rows(x, k) } else { Vec::new() },
            q8_k: if sup { quantize_rows_k(x, k) } else { Vec::new() },
        }
    }
}

/// Each `k`-wide row of `x` as Q8_1 blocks, as llama.cpp rounds activations for these types.
pub fn quantize_rows(x: &[f32], k: usize) -> Vec<BlockQ8_1> {
    let kb = k / QK;
    let mut ys = vec![BlockQ8_1::zeros(); x.len() / k.max(1) * kb];
    for (xr, yr) in x.chunks_exact(k).zip(ys.chunks_exact_mut(kb)) {
        BlockQ8_1::from_float(xr, yr);
    }
    ys
}

/// A weight matrix in one of the block types with hfx kernels.
#[derive(Debug, Clone)]
pub enum PackedMatrix {
    Q4_0(BlockMatrix<BlockQ4_0>),
    Q4_1(BlockMatrix<BlockQ4_1>),
    Q5_0(BlockMatrix<BlockQ5_0>),
    Q5_1(BlockMatrix<BlockQ5_1>),
    Q8_0(BlockMatrix<BlockQ8_0>),
    Q2K(BlockMatrix<BlockQ2K>),
    Q3K(BlockMatrix<BlockQ3K>),
    Q4K(BlockMatrix<BlockQ4K>),
    Q5K(BlockMatrix<BlockQ5K>),
    Q6K(BlockMatrix<BlockQ6K>),
    /// f16 or bf16, against f32 activations.
    Half(HalfMatrix),
}

/// `$body` with `$m` bound to the inner `BlockMatrix`, whatever its block type; `$wrap` names
/// the variant it came from.
macro_rules! each {
    ($self:expr, $m:ident => $body:expr) => {
        each!($self, $m, _wrap => $body)
    };
    ($self:expr, $m:ident, $wrap:ident => $body:expr) => {
        match $self {
            PackedMatrix::Q4_0($m) => {
                let $wrap = PackedMatrix::Q4_0;
                $body
            }
            PackedMatrix::Q4_1($m) => {
                let $wrap = PackedMatrix::Q4_1;
                $body
            }
            PackedMatrix::Q5_0($m) => {
                let $wrap = PackedMatrix::Q5_0;
                $body
            }
            PackedMatrix::Q5_1($m) => {
                let $wrap = PackedMatrix::Q5_1;
                $body
            }
            PackedMatrix::Q8_0($m) => {
                let $wrap = PackedMatrix::Q8_0;
                $body
            }
            PackedMatrix::Q2K($m) => {
                let $wrap = PackedMatrix::Q2K;
                $body
            }
            PackedMatrix::Q3K($m) => {
                let $wrap = PackedMatrix::Q3K;
                $body
            }
            PackedMatrix::Q4K($m) => {
                let $wrap = PackedMatrix::Q4K;
                $body
            }
            PackedMatrix::Q5K($m) => {
                let $wrap = PackedMatrix::Q5K;
                $body
            }
            PackedMatrix::Q6K($m) => {
                let $wrap = PackedMatrix::Q6K;
                $body
            }
            PackedMatrix::Half($m) => {
                let $wrap = PackedMatrix::Half;
                $body
            }
        }
    };
}

/// `$one` for one-group blocks and f16/bf16 matrices, `$k` for the K-quants, with `$m` bound
/// to the inner matrix: the two kinds of block take different activations (Q8_1, Q8_K).
macro_rules! by_kind {
    ($self:expr, $m:ident => $one:expr, $k:expr) => {
        match $self {
            PackedMatrix::Q4_0($m) => $one,
            PackedMatrix::Q4_1($m) => $one,
            PackedMatrix::Q5_0($m) => $one,
            PackedMatrix::Q5_1($m) => $one,
            PackedMatrix::Q8_0($m) => $one,
            PackedMatrix::Half($m) => $one,
            PackedMatrix::Q2K($m) => $k,
            PackedMatrix::Q3K($m) => $k,
            PackedMatrix::Q4K($m) => $k,
            PackedMatrix::Q5K($m) => $k,
            PackedMatrix::Q6K($m) => $k,
        }
    };
}

/// Whether prompts run on AMX's tile kernels (`HFX_AMX=1` on Intel Sapphire Rapids and
/// later), which sum in another order than llama.cpp's (and hfx's VNNI) kernels.
pub fn amx_active() -> bool {
    #[cfg(target_arch = "x86_64")]
    return *amx::AMX;
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether a stored (GGUF) tensor of `dtype` is read into hfx's blocks. The K-quants only where
/// their kernels are vector code (x86-64 with AVX2): elsewhere candle's (NEON on Arm) beat
/// hfx's portable loop.
pub fn reads_stored(dtype: GgmlDType) -> bool {
    match dtype {
        GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1 | GgmlDType::Q8_0 => true,
        #[cfg(target_arch = "x86_64")]
        GgmlDType::Q2K | GgmlDType::Q3K | GgmlDType::Q4K | GgmlDType::Q5K | GgmlDType::Q6K => *kernels::AVX2,
        _ => false,
    }
}

/// Where a matrix's blocks come from (GGUF bytes, a file, a quantizer), for any block type.
pub trait Fill {
    type Error;
    /// `count` blocks of type `B`.
    fn fill<B: Packed>(&mut self, count: usize) -> Result<Vec<B>, Self::Error>;
    /// A shape the blocks do not fit, as this source's error.
    fn invalid(&self, e: candle_core::Error) -> Self::Error;
}

impl PackedMatrix {
    /// A `(rows, cols)` matrix of `dtype` blocks from `src`; `None` for a block type without hfx
    /// kernels. The one place that maps GGUF block types to hfx's.
    pub fn fill<F: Fill>(
        dtype: GgmlDType,
        (rows, cols): (usize, usize),
        src: &mut F,
    ) -> Option<Result<Self, F::Error>> {
        fn make<B: Packed, F: Fill>(rows: usize, cols: usize, src: &mut F) -> Result<BlockMatrix<B>, F::Error> {
            if !cols.is_multiple_of(B::BLCK_SIZE) {
                let reason = format!("{:?} rows of {cols} are not whole blocks of {}", B::DTYPE, B::BLCK_SIZE);
                return Err(src.invalid(candle_core::Error::Msg(reason)));
            }
            let blocks = src.fill::<B>(rows * cols / B::BLCK_SIZE)?;
            BlockMatrix::from_blocks(blocks, rows, cols).map_err(|e| src.invalid(e))
        }
        Some(match dtype {
            GgmlDType::Q4_0 => make(rows, cols, src).map(Self::Q4_0),
            GgmlDType::Q4_1 => make(rows, cols, src).map(Self::Q4_1),
            GgmlDType::Q5_0 => make(rows, cols, src).map(Self::Q5_0),
            GgmlDType::Q5_1 => make(rows, cols, src).map(Self::Q5_1),
            GgmlDType::Q8_0 => make(rows, cols, src).map(Self::Q8_0),
            GgmlDType::Q2K => make(rows, cols, src).map(Self::Q2K),
            GgmlDType::Q3K => make(rows, cols, src).map(Self::Q3K),
            GgmlDType::Q4K => make(rows, cols, src).map(Self::Q4K),
            GgmlDType::Q5K => make(rows, cols, src).map(Self::Q5K),
            GgmlDType::Q6K => make(rows, cols, src).map(Self::Q6K),
            _ => return None,
        })
    }

    /// A matrix from GGUF bytes; `None` for a block type without hfx kernels.
    pub fn from_bytes(dtype: GgmlDType, bytes: &[u8], rows: usize, cols: usize) -> Option<candle_core::Result<Self>> {
        struct Bytes<'a>(&'a [u8]);
        impl Fill for Bytes<'_> {
            type Error = candle_core::Error;
            fn fill<B: Packed>(&mut self, count: usize) -> candle_core::Result<Vec<B>> {
                if self.0.len() != count * B::BYTES {
                    candle_core::bail!(
                        "{count} {:?} blocks need {} bytes, got {}",
                        B::DTYPE,
                        count * B::BYTES,
                        self.0.len()
                    );
                }
                Ok(parse(self.0))
            }
            fn invalid(&self, e: candle_core::Error) -> candle_core::Error {
                e
            }
        }
        Self::fill(dtype, (rows, cols), &mut Bytes(bytes))
    }

    pub fn dims(&self) -> (usize, usize) {
        each!(self, m => (m.rows, m.cols))
    }

    /// `x (m, cols)` times the transposed matrix: `(m, rows)`.
    pub fn matmul(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        by_kind!(self, w => w.matmul(x, m), w.matmul_k(x, m))
    }

    pub fn dequantize(&self) -> Vec<f32> {
        each!(self, m => m.dequantize())
    }

    /// Rows `start..start + len` (a copy).
    pub fn rows(&self, start: usize, len: usize) -> Self {
        each!(self, m, wrap => wrap(m.rows(start, len)))
    }

    pub fn size_in_bytes(&self) -> usize {
        each!(self, m => std::mem::size_of_val(m.blocks.as_slice()))
    }

    /// Rows `r0..r0 + out.len() / b` times each of the `b` activation rows, given as f32 `x`
    /// and quantized (`Inputs::new` with this matrix among its matrices), written `(rows, b)`.
    pub(super) fn dot_rows(&self, r0: usize, out: &mut [f32], x: &[f32], ys: &Inputs, b: usize) {
        by_kind!(self, m => m.dot_rows(r0, out, x, &ys.q8_1, b), m.dot_rows_k(r0, out, &ys.q8_k, b))
    }
}
