//! Matrix products on f32 slices through the gemm crate (which candle's CPU matmul also
//! calls), for the training pass: strided views instead of tensors, so transposes and
//! column blocks cost nothing, and products can add into an existing buffer (`dst += ...`)
//! instead of allocating a result and adding it in another pass.

use candle_core::{DType, Result};
use serde::{Deserialize, Serialize};

use super::ops;
use crate::models::decoder::Weight;

/// How the frozen weights' products are computed, with torch's names
/// (`torch.set_float32_matmul_precision`): `Highest` in f32; `High` as three bf16 products of
/// each value split in two (about 16 significant bits, within the PEFT reference's
/// tolerances); `Medium` as one bf16 product (bf16 mixed precision). `High` needs AMX (Intel
/// Xeon 4th generation and later), `Medium` AMX or AVX512-BF16 (AMD Zen 4 and later); where
/// the CPU lacks them, the product is computed in f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    Highest,
    #[default]
    High,
    Medium,
}

impl Precision {
    /// The precision `name` gives (`--matmul-precision`).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Highest, Self::High, Self::Medium].into_iter().find(|p| p.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Highest => "highest",
            Self::High => "high",
            Self::Medium => "medium",
        }
    }

    /// Whether this CPU computes this precision in bf16 (else in f32).
    pub fn in_bf16(self) -> bool {
        self.kernel().is_some()
    }

    /// How this CPU computes it, in words.
    pub fn how(self) -> &'static str {
        #[cfg(target_arch = "x86_64")]
        {
            use super::amx::{Kernel, Passes};
            match self.kernel() {
                Some(Kernel::Tiles(Passes::Three)) => "f32 as two bf16 halves, three products on AMX tiles",
                Some(Kernel::Tiles(Passes::One)) => "bf16 products on AMX tiles",
                Some(Kernel::Dots) => "bf16 products in AVX512-BF16 dot products",
                None => "f32",
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        "f32"
    }

    #[cfg(target_arch = "x86_64")]
    fn kernel(self) -> Option<super::amx::Kernel> {
        use super::amx::{Kernel, Passes};
        match self {
            Self::Highest => None,
            Self::High => Kernel::best(Passes::Three),
            Self::Medium => Kernel::best(Passes::One),
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn kernel(self) -> Option<()> {
        None
    }
}

/// Weight rows per piece on the tiles: the input gradient's depth, whose weight tiles one
/// work item converts and keeps in its core's cache.
#[cfg(target_arch = "x86_64")]
const TILE_PIECE: usize = 1024;

/// A strided matrix inside a slice: element `(r, c)` is at `off + r * rs + c * cs`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    pub(crate) off: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

impl View {
    pub(crate) fn dense(off: usize, rows: usize, cols: usize) -> Self {
        Self { off, rows, cols, rs: cols, cs: 1 }
    }

    pub(crate) fn t(self) -> Self {
        Self { rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs, ..self }
    }

    pub(super) fn rows(self, start: usize, n: usize) -> Self {
        Self { off: self.off + start * self.rs, rows: n, ..self }
    }

    /// One past the last element it reads.
    fn end(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            return self.off;
        }
        self.off + (self.rows - 1) * self.rs + (self.cols - 1) * self.cs + 1
    }
}

/// `dst = (dst if accumulate, else 0) + alpha * lhs rhs`; on rayon's threads when `parallel`
/// (attention runs many small ones in parallel instead).
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul(
    dst: &mut [f32],
    d: View,
    lhs: &[f32],
    l: View,
    rhs: &[f32],
    r: View,
    accumulate: bool,
    alpha: f32,
    parallel: bool,
) {
    assert!(d.rows == l.rows && d.cols == r.cols && l.cols == r.rows, "matmul shapes");
    assert!(d.end() <= dst.len() && l.end() <= lhs.len() && r.end() <= rhs.len(), "matmul bounds");
    if d.rows == 0 || d.cols == 0 {
        return;
    }
    if l.cols == 0 {
        if !accumulate {
            for i in 0..d.rows {
                for j in 0..d.cols {
                    dst[d.off + i * d.rs + j * d.cs] = 0.0;
                }
            }
        }
        return;
    }
    let threads = match rayon::current_num_threads() {
        n if parallel && n > 1 => gemm::Parallelism::Rayon(n),
        _ => gemm::Parallelism::None,
    };
    // SAFETY: every element the three views address lies inside its slice (asserted above);
    // `dst` is a unique borrow, so it overlaps neither input; gemm touches only those elements.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            d.rows,
            d.cols,
            l.cols,
            dst.as_mut_ptr().add(d.off),
            d.cs as isize,
            d.rs as isize,
            accumulate,
            lhs.as_ptr().add(l.off),
            l.cs as isize,
            l.rs as isize,
            rhs.as_ptr().add(r.off),
            r.cs as isize,
            r.rs as isize,
            1.0,
            alpha,
            false,
            false,
            false,
            threads,
        );
    }
}

/// Rows of a frozen weight as f32, `chunk` rows at a time (one piece for an f32 tensor).
/// Quantized weights stay quantized in memory: each piece is dequantized when it is used,
/// about 4 MiB at a time, which is how QLoRA trains on a quantized base without an f32 copy.
/// With `piece`, an f32 tensor comes in pieces of at most that many rows too.
fn each_rows(w: &Weight, piece: Option<usize>, mut f: impl FnMut(usize, &[f32], usize) -> Result<()>) -> Result<()> {
    let (rows, cols) = w.dims2()?;
    if let Weight::Dense(t) = w
        && t.dtype() == DType::F32
    {
        let piece = piece.unwrap_or(rows).max(1);
        return ops::read(t, |v| {
            (0..rows).step_by(piece).try_for_each(|start| {
                let len = piece.min(rows - start);
                f(start, &v[start * cols..(start + len) * cols], len)
            })
        })?;
    }
    let chunk = ((1 << 20) / cols.max(1)).clamp(1, piece.unwrap_or(rows).min(rows).max(1));
    let mut start = 0;
    while start < rows {
        let len = chunk.min(rows - start);
        let part = match w {
            Weight::Dense(t) => t.narrow(0, start, len)?.to_dtype(DType::F32)?,
            _ => w.rows(start, len)?.to_f32()?,
        };
        ops::read(&part, |v| f(start, v, len))??;
        start += len;
    }
    Ok(())
}

#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
/// `y = x W^T` for a frozen weight `(out, in)` and `x (n, in)`; `y` is `(n, out)`.
pub(super) fn frozen_forward(w: &Weight, x: &[f32], n: usize, y: &mut [f32], p: Precision) -> Result<()> {
    let (out, inp) = w.dims2()?;
    #[cfg(target_arch = "x86_64")]
    if let Some(kernel) = p.kernel() {
        use super::amx::{Act, Out, Side, product};
        return each_rows(w, Some(TILE_PIECE), |start, rows, len| {
            let out = Out { dst: &mut y[start..], rs: out, accumulate: false };
            product(out, Act { act: x, rs: inp, n }, rows, Side::Rows, (inp, len), kernel);
            Ok(())
        });
    }
    each_rows(w, None, |start, rows, len| {
        let dst = View { off: start, rows: n, cols: len, rs: out, cs: 1 };
        matmul(y, dst, x, View::dense(0, n, inp), rows, View::dense(0, len, inp).t(), false, 1.0, true);
        Ok(())
    })
}

#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
/// `dx (+)= dy W`: the input gradient through a frozen weight (no weight gradient is formed),
/// added to `dx` when `add`.
pub(super) fn frozen_backward(w: &Weight, dy: &[f32], n: usize, dx: &mut [f32], add: bool, p: Precision) -> Result<()> {
    let (out, inp) = w.dims2()?;
    let mut add = add;
    #[cfg(target_arch = "x86_64")]
    if let Some(kernel) = p.kernel() {
        use super::amx::{Act, Out, Side, product};
        return each_rows(w, Some(TILE_PIECE), |start, rows, len| {
            let dst = Out { dst: &mut *dx, rs: inp, accumulate: add };
            product(dst, Act { act: &dy[start..], rs: out, n }, rows, Side::Cols, (len, inp), kernel);
            add = true;
            Ok(())
        });
    }
    each_rows(w, None, |start, rows, len| {
        let src = View { off: start, rows: n, cols: len, rs: out, cs: 1 };
        matmul(dx, View::dense(0, n, inp), dy, src, rows, View::dense(0, len, inp), add, 1.0, true);
        add = true;
        Ok(())
    })
}
