//! Matrix products on f32 slices through the gemm crate (which candle's CPU matmul also
//! calls), for the training pass: strided views instead of tensors, so transposes and
//! column blocks cost nothing, and products can add into an existing buffer (`dst += ...`)
//! instead of allocating a result and adding it in another pass.

use std::mem::MaybeUninit;

use candle_core::{DType, Result};
use rayon::prelude::*;
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

/// Where a product goes: values it may add to, or fresh memory it only writes.
pub(crate) enum Dst<'a> {
    Init(&'a mut [f32]),
    Fresh(&'a mut [MaybeUninit<f32>]),
}

impl<'a> Dst<'a> {
    fn len(&self) -> usize {
        match self {
            Self::Init(d) => d.len(),
            Self::Fresh(d) => d.len(),
        }
    }

    fn ptr(&mut self) -> *mut f32 {
        match self {
            Self::Init(d) => d.as_mut_ptr(),
            Self::Fresh(d) => d.as_mut_ptr().cast(),
        }
    }

    fn reborrow(&mut self) -> Dst<'_> {
        match self {
            Self::Init(d) => Dst::Init(d),
            Self::Fresh(d) => Dst::Fresh(d),
        }
    }

    /// The elements before `mid`, and those from `mid` on.
    fn split_at(self, mid: usize) -> (Dst<'a>, Dst<'a>) {
        match self {
            Self::Init(d) => {
                let (a, b) = d.split_at_mut(mid);
                (Dst::Init(a), Dst::Init(b))
            }
            Self::Fresh(d) => {
                let (a, b) = d.split_at_mut(mid);
                (Dst::Fresh(a), Dst::Fresh(b))
            }
        }
    }

    /// Marks fresh memory as written.
    ///
    /// # Safety
    /// Every element of it has been written.
    #[allow(unsafe_code)]
    unsafe fn written(&mut self) {
        if let Self::Fresh(d) = self {
            // SAFETY: the caller vouches for the values.
            *self = Self::Init(unsafe { assume_init(std::mem::take(d)) });
        }
    }

    /// As values, zeroing fresh memory first (for kernels that take a slice).
    fn zeroed(self) -> &'a mut [f32] {
        match self {
            Self::Init(d) => d,
            Self::Fresh(d) => {
                d.fill(MaybeUninit::new(0.0));
                // SAFETY: every element was just written.
                #[allow(unsafe_code)]
                unsafe {
                    assume_init(d)
                }
            }
        }
    }
}

/// # Safety
/// Every element of `d` is initialized.
#[allow(unsafe_code)]
unsafe fn assume_init(d: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    // SAFETY: `MaybeUninit<f32>` has `f32`'s layout, and the caller vouches for the values.
    unsafe { &mut *(d as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// `len` values written by `fill`, without zeroing them first as `vec![0.0; len]` does: the
/// training pass makes a few hundred activation-sized buffers a step, and zeroing them on the
/// calling thread (calloc's memset, while the other cores wait) cost about 8% of a SmolLM2
/// step.
///
/// # Safety
/// When `fill` returns `Ok`, it has written every element of its slice.
#[allow(unsafe_code)]
pub(crate) unsafe fn fresh(len: usize, fill: impl FnOnce(&mut [MaybeUninit<f32>]) -> Result<()>) -> Result<Vec<f32>> {
    let mut v = Vec::with_capacity(len);
    fill(&mut v.spare_capacity_mut()[..len])?;
    // SAFETY: capacity is at least `len`, and the caller vouches that `fill` wrote them all.
    unsafe { v.set_len(len) };
    Ok(v)
}

/// `dst = (dst if accumulate, else 0) + alpha * lhs rhs`; on rayon's threads when `parallel`
/// (attention runs many small ones in parallel instead). Fresh memory only without
/// `accumulate`, and then every element `d` views is written.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul(
    mut dst: Dst,
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
    assert!(!accumulate || matches!(dst, Dst::Init(_)), "matmul adds to fresh memory");
    if d.rows == 0 || d.cols == 0 {
        return;
    }
    let out = dst.ptr();
    if l.cols == 0 {
        if !accumulate {
            for i in 0..d.rows {
                for j in 0..d.cols {
                    // SAFETY: inside `dst` (asserted above), which is uniquely borrowed.
                    #[allow(unsafe_code)]
                    unsafe {
                        out.add(d.off + i * d.rs + j * d.cs).write(0.0)
                    };
                }
            }
        }
        return;
    }
    let threads = rayon::current_num_threads();
    if parallel && threads > 1 && d.cs == 1 && d.rows >= threads * SPLIT_ROWS {
        return split_rows(dst, d, (lhs, l), (rhs, r), accumulate, alpha, threads);
    }
    let threads = match threads {
        n if parallel && n > 1 => gemm::Parallelism::Rayon(n),
        _ => gemm::Parallelism::None,
    };
    // SAFETY: every element the three views address lies inside its slice (asserted above);
    // `dst` is a unique borrow, so it overlaps neither input; gemm touches only those elements.
    // Without `accumulate` (read_dst false) gemm computes nothing from dst's old values, so
    // fresh memory is fine: its edge tiles copy them to a scratch tile and back, then
    // overwrite them.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            d.rows,
            d.cols,
            l.cols,
            out.add(d.off),
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

/// Rows per thread from which a product is split by rows (see [`split_rows`]).
const SPLIT_ROWS: usize = 96;

/// `matmul` of a row-major destination (`d.cs == 1`) as `threads` blocks of rows, each one
/// gemm call on its own thread. gemm's own threads meet at a barrier after packing each depth
/// block of the right-hand side and again after multiplying it, two to six times a product
/// of a prompt or training batch; at 2 threads those waits idled a core for about 5% of the
/// products' time. Each block packs its own copy of the right-hand side, as gemm's threads
/// do (more blocks than threads, with more copies, measured slower). At 2 threads, against
/// gemm's threading: SmolLM2 f32 training steps 1.01 / 1.04 / 1.12x (4 pairs), 512-token f32
/// prompts 0.86 / 1.07 / 1.26x (10 pairs).
fn split_rows(
    dst: Dst,
    d: View,
    (lhs, l): (&[f32], View),
    (rhs, r): (&[f32], View),
    accumulate: bool,
    alpha: f32,
    threads: usize,
) {
    let per = d.rows.div_ceil(threads);
    // Row-major, so each block's rows are one stretch of `dst`, the next block's after it.
    let (_, mut rest) = dst.split_at(d.off);
    let mut parts = Vec::with_capacity(threads);
    for start in (0..d.rows).step_by(per) {
        let rows = per.min(d.rows - start);
        let len = (rows * d.rs).min(rest.len());
        let (part, tail) = rest.split_at(len);
        rest = tail;
        parts.push((part, View { off: 0, rows, ..d }, l.rows(start, rows)));
    }
    parts.into_par_iter().for_each(|(part, dv, lv)| matmul(part, dv, lhs, lv, rhs, r, accumulate, alpha, false));
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
pub(super) fn frozen_forward(w: &Weight, x: &[f32], n: usize, mut y: Dst, p: Precision) -> Result<()> {
    let (out, inp) = w.dims2()?;
    assert!(matches!(y, Dst::Init(_)) || y.len() == n * out, "fresh output of another shape");
    #[cfg(target_arch = "x86_64")]
    if let Some(kernel) = p.kernel() {
        use super::amx::{Act, Out, Side, product};
        let y = y.zeroed();
        return each_rows(w, Some(TILE_PIECE), |start, rows, len| {
            let out = Out { dst: &mut y[start..], rs: out, accumulate: false };
            product(out, Act { act: x, rs: inp, n }, rows, Side::Rows, (inp, len), kernel);
            Ok(())
        });
    }
    // The pieces' column blocks cover all `out` columns of all `n` rows.
    each_rows(w, None, |start, rows, len| {
        let dst = View { off: start, rows: n, cols: len, rs: out, cs: 1 };
        matmul(y.reborrow(), dst, x, View::dense(0, n, inp), rows, View::dense(0, len, inp).t(), false, 1.0, true);
        Ok(())
    })
}

/// `frozen_forward` into a new buffer.
pub(crate) fn frozen_forward_new(w: &Weight, x: &[f32], n: usize, p: Precision) -> Result<Vec<f32>> {
    let out = w.dims2()?.0;
    // SAFETY: `frozen_forward` writes all of a fresh `(n, out)` destination when it succeeds.
    #[allow(unsafe_code)]
    unsafe {
        fresh(n * out, |y| frozen_forward(w, x, n, Dst::Fresh(y), p))
    }
}

#[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
/// `dx (+)= dy W`: the input gradient through a frozen weight (no weight gradient is formed),
/// added to `dx` when `add` (which fresh memory cannot be).
pub(super) fn frozen_backward(w: &Weight, dy: &[f32], n: usize, dx: Dst, add: bool, p: Precision) -> Result<()> {
    let (out, inp) = w.dims2()?;
    assert!(matches!(dx, Dst::Init(_)) || dx.len() == n * inp, "fresh output of another shape");
    let mut add = add;
    #[cfg(target_arch = "x86_64")]
    if let Some(kernel) = p.kernel() {
        use super::amx::{Act, Out, Side, product};
        let dx = dx.zeroed();
        return each_rows(w, Some(TILE_PIECE), |start, rows, len| {
            let dst = Out { dst: &mut *dx, rs: inp, accumulate: add };
            product(dst, Act { act: &dy[start..], rs: out, n }, rows, Side::Cols, (len, inp), kernel);
            add = true;
            Ok(())
        });
    }
    let mut dx = dx;
    each_rows(w, None, |start, rows, len| {
        let src = View { off: start, rows: n, cols: len, rs: out, cs: 1 };
        matmul(dx.reborrow(), View::dense(0, n, inp), dy, src, rows, View::dense(0, len, inp), add, 1.0, true);
        // SAFETY: the dense `(n, inp)` view just written is all of `dx` when fresh (asserted).
        #[allow(unsafe_code)]
        unsafe {
            dx.written()
        };
        add = true;
        Ok(())
    })?;
    if !add {
        // No weight rows: the product is zero.
        dx.zeroed()[..n * inp].fill(0.0);
    }
    Ok(())
}

/// `frozen_backward` into a new buffer.
pub(super) fn frozen_backward_new(w: &Weight, dy: &[f32], n: usize, p: Precision) -> Result<Vec<f32>> {
    let inp = w.dims2()?.1;
    // SAFETY: `frozen_backward` writes all of a fresh `(n, in)` destination when it succeeds.
    #[allow(unsafe_code)]
    unsafe {
        fresh(n * inp, |dx| frozen_backward(w, dy, n, Dst::Fresh(dx), false, p))
    }
}
