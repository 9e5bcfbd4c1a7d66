//! Projections and norms. A weight is either a float tensor (safetensors, or a GGUF dequantized
//! on request) or GGUF blocks kept quantized; either can carry a LoRA adapter.

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QStorage, QTensor, k_quants};
use candle_core::{DType, Device, Storage, Tensor};

use super::packed::{Half, HalfMatrix, PackedMatrix};

/// A weight matrix `(out, in)`.
#[derive(Debug, Clone)]
pub enum Weight {
    /// f32 (or f16/bf16) tensor: gemm for prompts and training, a parallel matrix-vector
    /// product for single-token decode.
    Dense(Tensor),
    /// GGUF blocks without hfx kernels (Q2_K, Q3_K, the IQ types; the K-quants on CPUs without
    /// AVX2; any type off the CPU): candle's quantized matmul, which quantizes the activations
    /// once and runs llama.cpp's block dot products on its thread pool.
    Quant(Arc<QTensor>),
    /// Blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K to Q6_K) or f16/bf16 values with hfx's
    /// kernels (see `packed`).
    Packed(Arc<PackedMatrix>),
}

impl From<PackedMatrix> for Weight {
    fn from(m: PackedMatrix) -> Self {
        Self::Packed(Arc::new(m))
    }
}

impl Weight {
    pub fn dims2(&self) -> candle_core::Result<(usize, usize)> {
        match self {
            Self::Dense(t) => t.dims2(),
            Self::Quant(q) => q.shape().dims2(),
            Self::Packed(q) => Ok(q.dims()),
        }
    }

    /// A GGUF tensor as a weight: the block types of `packed::reads_stored` get hfx's kernels,
    /// F32 the dense path, the rest candle's.
    pub fn from_qtensor(q: QTensor) -> candle_core::Result<Self> {
        if q.dtype() == GgmlDType::F32 {
            return Ok(Self::Dense(q.dequantize(&q.device())?));
        }
        if let (Some(kind), true, &[rows, cols]) = (Half::of(q.dtype()), q.device().is_cpu(), q.shape().dims()) {
            let bits = q.data()?.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
            return Ok(PackedMatrix::Half(HalfMatrix::from_bits(bits, rows, cols, kind)?).into());
        }
        if matches!(q.device(), Device::Cpu)
            && super::packed::reads_stored(q.dtype())
            && let &[rows, cols] = q.shape().dims()
            && let Some(m) = PackedMatrix::from_bytes(q.dtype(), &q.data()?, rows, cols)
        {
            return Ok(m?.into());
        }
        Ok(Self::Quant(Arc::new(q)))
    }

    /// The weight as an f32 tensor (a copy for quantized weights).
    pub fn to_f32(&self) -> candle_core::Result<Tensor> {
        match self {
            Self::Dense(t) => t.to_dtype(DType::F32),
            Self::Quant(q) => q.dequantize(&q.device()),
            Self::Packed(q) => Tensor::from_vec(q.dequantize(), q.dims(), &Device::Cpu),
        }
    }

    /// Bytes the weight occupies.
    pub fn size_in_bytes(&self) -> usize {
        match self {
            Self::Dense(t) => t.elem_count() * t.dtype().size_in_bytes(),
            Self::Quant(q) => q.storage_size_in_bytes(),
            Self::Packed(q) => q.size_in_bytes(),
        }
    }

    /// Rows `start..start + len` (splitting fused projections such as Phi-3's qkv).
    pub fn rows(&self, start: usize, len: usize) -> candle_core::Result<Self> {
        match self {
            Self::Dense(t) => Ok(Self::Dense(t.narrow(0, start, len)?.contiguous()?)),
            Self::Quant(q) => {
                let (_, cols) = q.shape().dims2()?;
                let dtype = q.dtype();
                // Each row is a whole number of blocks, so rows are contiguous byte ranges.
                let row_bytes = cols / dtype.block_size() * dtype.type_size();
                let data = q.data()?;
                let bytes = data[start * row_bytes..(start + len) * row_bytes].to_vec();
                let storage = QStorage::from_data(std::borrow::Cow::Owned(bytes), &q.device(), dtype)?;
                Ok(Self::Quant(Arc::new(QTensor::new(storage, (len, cols))?)))
            }
            Self::Packed(q) => Ok(q.rows(start, len).into()),
        }
    }

    /// `x W^T` for `x` of shape `(..., in)`.
    pub fn matmul(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Quant(q) => x.contiguous()?.apply_op1_no_bwd(q.as_ref()),
            Self::Packed(q) => {
                let (n, k) = q.dims();
                let rows = x.elem_count() / k.max(1);
                let flat: Vec<f32> = x.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
                Tensor::from_vec(q.matmul(&flat, rows)?, last_dim(x.dims(), n), x.device())
            }
            Self::Dense(w) => {
                if let Some(y) = matvec_f32(w, x)? {
                    return Ok(y);
                }
                if w.dtype() == DType::F32 && matches!(w.device(), Device::Cpu) {
                    // The training pass's product: gemm into fresh memory, where candle's
                    // matmul zeroes its output first (on the calling thread, 1.6% of a prompt).
                    let (n, k) = w.dims2()?;
                    if x.dims().last() != Some(&k) {
                        candle_core::bail!("activations of width {:?} for a weight of {k} columns", x.dims().last());
                    }
                    let rows = x.elem_count() / k.max(1);
                    let p = crate::train::mm::Precision::Highest;
                    let y = crate::train::ops::read(x, |xv| crate::train::mm::frozen_forward_new(self, xv, rows, p))??;
                    return Tensor::from_vec(y, last_dim(x.dims(), n), x.device());
                }
                let x = if x.dtype() == w.dtype() { x.clone() } else { x.to_dtype(w.dtype())? };
                x.broadcast_matmul(&w.t()?)?.to_dtype(DType::F32)
            }
        }
    }

    /// Keep the weight quantized as `dtype` (f16/bf16 halve memory and decode bandwidth).
    pub fn quantize(self, dtype: GgmlDType) -> candle_core::Result<Self> {
        let Self::Dense(t) = self else { return Ok(self) };
        if let (Some(kind), true, &[rows, cols]) = (Half::of(dtype), t.device().is_cpu(), t.dims()) {
            // Rounded straight from the tensor's storage into hfx's 16-bit matrix (no f32 copy:
            // one of SmolLM2's 113 MB embedding was 116 MB of peak RSS).
            let t = t.to_dtype(DType::F32)?.contiguous()?;
            let (storage, layout) = t.storage_and_layout();
            let Storage::Cpu(cpu) = &*storage else { candle_core::bail!("expected a CPU tensor") };
            let values = &cpu.as_slice::<f32>()?[layout.start_offset()..layout.start_offset() + rows * cols];
            return Ok(PackedMatrix::Half(HalfMatrix::from_f32(values, rows, cols, kind)?).into());
        }
        Self::from_qtensor(QTensor::quantize(&t.to_dtype(DType::F32)?, dtype)?)
    }
}

/// One row of activations times a dense f32 weight, split over the CPU threads. gemm treats a
/// single row as a tiny matrix and barely uses the second core; the matrix-vector product is
/// bandwidth-bound, so splitting the weight rows across threads is what pays. candle's
/// quantized f32 kernel does exactly that (runtime AVX2 dot products on its worker pool) and
/// reads the weight in place, so it is used directly on the tensor's storage.
fn matvec_f32(w: &Tensor, x: &Tensor) -> candle_core::Result<Option<Tensor>> {
    let (n, k) = w.dims2()?;
    let rows = x.elem_count() / k.max(1);
    if rows != 1
        || !matches!(w.device(), Device::Cpu)
        || w.dtype() != DType::F32
        || x.dtype() != DType::F32
        || !w.is_contiguous()
        || x.dims().last() != Some(&k)
    {
        return Ok(None);
    }
    let x = x.contiguous()?;
    let (ws, wl) = w.storage_and_layout();
    let (xs, xl) = x.storage_and_layout();
    let (Storage::Cpu(wc), Storage::Cpu(xc)) = (&*ws, &*xs) else { return Ok(None) };
    let wv = &wc.as_slice::<f32>()?[wl.start_offset()..wl.start_offset() + n * k];
    let xv = &xc.as_slice::<f32>()?[xl.start_offset()..xl.start_offset() + k];
    let mut out = vec![0f32; n];
    k_quants::matmul::<f32>((1, k, n), xv, wv, &mut out)?;
    Tensor::from_vec(out, last_dim(x.dims(), n), &Device::Cpu).map(Some)
}

/// `dims` with the last one replaced by `n` (a projection's output shape).
fn last_dim(dims: &[usize], n: usize) -> Vec<usize> {
    let mut shape = dims.to_vec();
    if let Some(last) = shape.last_mut() {
        *last = n;
    }
    shape
}

/// A LoRA adapter on one projection: `y += scale * (x A^T) B^T`.
#[derive(Debug, Clone)]
pub struct Lora {
    pub a: Tensor,
    pub b: Tensor,
    pub scale: f64,
}

impl Lora {
    /// `scale * (x A^T) B^T`.
    ///
    /// Outside training, on the CPU, row by row as a decode step adds it: a row's delta must
    /// not depend on the rows beside it. candle's matmul sums in another order for another
    /// row count, so a server's prefix-cache hit, recomputing a prompt's last tokens, got other
    /// numbers than the whole prompt (0.3 on SmolLM2's logits, a different answer).
    pub fn delta(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let trained = self.a.is_variable() || self.b.is_variable();
        if let (false, true, Some(&k)) = (trained, x.device().is_cpu(), x.dims().last()) {
            let xs: Vec<f32> = x.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
            let n = self.b.dim(0)?;
            let mut out = vec![0f32; xs.len() / k.max(1) * n];
            super::decode::add_lora(self, &xs, &mut out, k, n, |_| true)?;
            return Tensor::from_vec(out, last_dim(x.dims(), n), x.device());
        }
        x.broadcast_matmul(&self.a.t()?)?.broadcast_matmul(&self.b.t()?)? * self.scale
    }
}

/// A projection `y = x W^T (+ bias) (+ LoRA)`.
#[derive(Debug, Clone)]
pub struct Linear {
    pub weight: Weight,
    pub bias: Option<Tensor>,
    /// The adapter every row gets (`hfx run --lora`, training).
    pub lora: Option<Lora>,
    /// Adapters a row may ask for by slot (`hfx serve --lora NAME=DIR`: one per name, chosen per
    /// request); a slot this projection is not targeted by is `None`.
    pub adapters: Vec<Option<Lora>>,
}

/// Rows `start..start + len` of a batch, and the adapter slot they use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowSpan {
    pub start: usize,
    pub len: usize,
    pub adapter: Option<usize>,
}

impl Linear {
    pub fn new(weight: Weight) -> Self {
        Self { weight, bias: None, lora: None, adapters: Vec::new() }
    }

    /// The adapter in `slot`, if this projection has one there.
    pub fn adapter(&self, slot: Option<usize>) -> Option<&Lora> {
        slot.and_then(|s| self.adapters.get(s)).and_then(Option::as_ref)
    }

    /// `forward` on `x (1, rows, in)`, plus each span's own adapter on its rows.
    pub fn forward_spans(&self, x: &Tensor, spans: &[RowSpan]) -> candle_core::Result<Tensor> {
        let y = self.forward(x)?;
        if spans.iter().all(|s| self.adapter(s.adapter).is_none()) {
            return Ok(y);
        }
        let mut parts = Vec::with_capacity(spans.len());
        for s in spans {
            let part = y.narrow(1, s.start, s.len)?;
            parts.push(match self.adapter(s.adapter) {
                Some(l) => (part + l.delta(&x.narrow(1, s.start, s.len)?)?)?,
                None => part,
            });
        }
        Tensor::cat(&parts, 1)
    }

    pub fn dense(weight: Tensor) -> Self {
        Self::new(Weight::Dense(weight))
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut y = self.weight.matmul(x)?;
        if let Some(b) = &self.bias {
            y = y.broadcast_add(b)?;
        }
        match &self.lora {
            None => Ok(y),
            Some(l) => y + l.delta(x)?,
        }
    }
}

/// An RMS norm; Gemma's transformers weights are applied as `1 + w`, folded in at load.
#[derive(Debug, Clone)]
pub struct RmsNorm {
    pub weight: Tensor,
    pub eps: f32,
}

impl RmsNorm {
    pub fn new(weight: Tensor, eps: f64, plus_one: bool) -> candle_core::Result<Self> {
        let weight = weight.to_dtype(DType::F32)?;
        let weight = if plus_one { (weight + 1.0)? } else { weight };
        Ok(Self { weight, eps: eps as f32 })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::rms_norm(x, &self.weight, self.eps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(w: &Tensor, x: &Tensor) -> Vec<f32> {
        x.broadcast_matmul(&w.t().unwrap()).unwrap().flatten_all().unwrap().to_vec1().unwrap()
    }

    fn close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{i}: {x} vs {y}");
        }
    }

    #[test]
    fn matvec_matches_the_plain_matmul() {
        let dev = Device::Cpu;
        // Odd sizes: row counts that are not multiples of 4 exercise the tail columns.
        for (n, k) in [(1, 8), (7, 33), (576, 576), (1537, 64)] {
            let w = Tensor::randn(0f32, 1.0, (n, k), &dev).unwrap();
            let x = Tensor::randn(0f32, 1.0, (1, 1, k), &dev).unwrap();
            let fast = matvec_f32(&w, &x).unwrap().expect("takes the matvec path");
            assert_eq!(fast.dims(), &[1, 1, n]);
            close(&fast.flatten_all().unwrap().to_vec1().unwrap(), &plain(&w, &x), 1e-4);
            // A strided (narrowed) input row is read correctly too.
            let wide = Tensor::randn(0f32, 1.0, (1, 3, k), &dev).unwrap();
            let row = wide.narrow(1, 2, 1).unwrap();
            let y = Weight::Dense(w.clone()).matmul(&row).unwrap();
            close(&y.flatten_all().unwrap().to_vec1().unwrap(), &plain(&w, &row), 1e-4);
        }
        // Several rows take gemm.
        let w = Tensor::randn(0f32, 1.0, (8, 16), &dev).unwrap();
        assert!(matvec_f32(&w, &Tensor::zeros((2, 16), DType::F32, &dev).unwrap()).unwrap().is_none());
    }

    #[test]
    fn quantized_weights_match_their_dequantized_matmul_and_split_by_rows() {
        let dev = Device::Cpu;
        let w = Tensor::randn(0f32, 1.0, (96, 256), &dev).unwrap();
        let x = Tensor::randn(0f32, 1.0, (1, 5, 256), &dev).unwrap();
        for dtype in
            [GgmlDType::Q4_0, GgmlDType::Q4_1, GgmlDType::Q5_0, GgmlDType::Q8_0, GgmlDType::Q4K, GgmlDType::F16]
        {
            let q = Weight::Dense(w.clone()).quantize(dtype).unwrap();
            let deq = q.to_f32().unwrap();
            // Against its own dequantized weights: only the activation rounding differs.
            let tol = if dtype == GgmlDType::F16 { 1e-3 } else { 0.05 };
            for rows in [1, 5] {
                let xr = x.narrow(1, 0, rows).unwrap();
                let got = q.matmul(&xr).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let want = plain(&deq, &xr);
                let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
                for (a, b) in got.iter().zip(&want) {
                    assert!((a - b).abs() <= tol * scale, "{dtype:?}: {a} vs {b}");
                }
            }
            // Rows 32..64 of the quantized weight are rows 32..64 of the dequantized one.
            let part = q.rows(32, 32).unwrap().to_f32().unwrap();
            let want = deq.narrow(0, 32, 32).unwrap();
            let diff = (part - want).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert_eq!(diff, 0.0, "{dtype:?}");
        }
    }
}
