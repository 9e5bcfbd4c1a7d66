//! Quantizing float weights into GGUF block types, shared by `hfx convert` (export) and
//! quantize-on-load (`--quant`).

use candle_core::quantized::k_quants::GgmlType;
use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::{DType, Device, Storage, Tensor};

/// Bytes of `t` stored as `dtype` (whose blocks must fit its rows: see [`fit`]).
pub fn encode(t: &Tensor, dtype: GgmlDType) -> candle_core::Result<Vec<u8>> {
    if dtype == GgmlDType::F32 {
        let t = t.to_dtype(DType::F32)?;
        return Ok(t.flatten_all()?.to_vec1::<f32>()?.iter().flat_map(|x| x.to_le_bytes()).collect());
    }
    Ok(blocks(t, dtype)?.data()?.into_owned())
}

/// `t` quantized to `dtype` as a CPU `QTensor` (see [`quantize_rows`]).
fn blocks(t: &Tensor, dtype: GgmlDType) -> candle_core::Result<QTensor> {
    let t = t.to_device(&Device::Cpu)?.to_dtype(DType::F32)?.contiguous()?;
    let rows = if t.rank() >= 2 { t.dim(0)? } else { 1 };
    let cols = t.elem_count() / rows.max(1);
    let (storage, layout) = t.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else { candle_core::bail!("quantizing needs the tensor on the CPU") };
    let xs = &cpu.as_slice::<f32>()?[layout.start_offset()..layout.start_offset() + t.elem_count()];
    // Rows as `(rows, cols)` whatever the rank: callers take the bytes, or a matrix.
    quantize_rows((rows, cols), dtype, |r0, n| Ok(xs[r0 * cols..(r0 + n) * cols].to_vec()), &|e| e)
}

/// A `(rows, cols)` matrix quantized to `dtype` (or the type [`fit`] picks for its rows) as a
/// CPU `QTensor`, reading `read(first_row, rows)` a few MiB of rows at a time into
/// the blocks' final buffer, each piece split over the CPU's threads. Quantizing on load peaks
/// at the blocks plus one piece: candle's `QTensor::quantize` wants the whole f32 tensor, and
/// with copies per thread that was three f32 copies of SmolLM2's 113 MB embedding.
pub fn quantize_rows<E>(
    (rows, cols): (usize, usize),
    dtype: GgmlDType,
    mut read: impl FnMut(usize, usize) -> Result<Vec<f32>, E>,
    candle: &dyn Fn(candle_core::Error) -> E,
) -> Result<QTensor, E> {
    let dtype = fit(dtype, cols);
    use candle_core::quantized::k_quants::{
        BlockQ2K, BlockQ3K, BlockQ4_0, BlockQ4_1, BlockQ4K, BlockQ5_0, BlockQ5_1, BlockQ5K, BlockQ6K, BlockQ8_0,
    };
    fn cpu<T: GgmlType + Send + Sync + 'static, E>(
        shape: (usize, usize),
        read: &mut dyn FnMut(usize, usize) -> Result<Vec<f32>, E>,
    ) -> Result<QStorage, E> {
        Ok(QStorage::Cpu(Box::new(rows_to_blocks::<T, E>(shape, read)?)))
    }
    let shape = (rows, cols);
    let read: &mut dyn FnMut(usize, usize) -> Result<Vec<f32>, E> = &mut read;
    let storage = match dtype {
        GgmlDType::F16 => cpu::<half::f16, E>(shape, read)?,
        GgmlDType::BF16 => cpu::<half::bf16, E>(shape, read)?,
        GgmlDType::Q4_0 => cpu::<BlockQ4_0, E>(shape, read)?,
        GgmlDType::Q4_1 => cpu::<BlockQ4_1, E>(shape, read)?,
        GgmlDType::Q5_0 => cpu::<BlockQ5_0, E>(shape, read)?,
        GgmlDType::Q5_1 => cpu::<BlockQ5_1, E>(shape, read)?,
        GgmlDType::Q8_0 => cpu::<BlockQ8_0, E>(shape, read)?,
        GgmlDType::Q2K => cpu::<BlockQ2K, E>(shape, read)?,
        GgmlDType::Q3K => cpu::<BlockQ3K, E>(shape, read)?,
        GgmlDType::Q4K => cpu::<BlockQ4K, E>(shape, read)?,
        GgmlDType::Q5K => cpu::<BlockQ5K, E>(shape, read)?,
        GgmlDType::Q6K => cpu::<BlockQ6K, E>(shape, read)?,
        other => return Err(candle(candle_core::Error::Msg(format!("quantizing to {other:?} is not supported")))),
    };
    QTensor::new(storage, (rows, cols)).map_err(candle)
}

/// The nearest type whose blocks fit a row of `cols` (llama.cpp's fallbacks for rows that are
/// not a multiple of 256: Q4_K to Q5_0, Q6_K to Q8_0; F16 when nothing fits).
pub fn fit(t: GgmlDType, cols: usize) -> GgmlDType {
    if cols.is_multiple_of(t.block_size()) {
        return t;
    }
    match t {
        GgmlDType::Q4K => fit(GgmlDType::Q5_0, cols),
        GgmlDType::Q5K => fit(GgmlDType::Q5_1, cols),
        GgmlDType::Q6K => fit(GgmlDType::Q8_0, cols),
        _ => GgmlDType::F16,
    }
}

/// A float matrix quantized to `dtype` (fitted to its row width) on the CPU's threads, placed on
/// the tensor's device.
pub fn quantize(t: &Tensor, dtype: GgmlDType) -> candle_core::Result<QTensor> {
    let q = blocks(t, dtype)?;
    if t.device().is_cpu() {
        return Ok(q);
    }
    candle_core::quantized::ggml_file::qtensor_from_ggml(q.dtype(), &q.data()?, t.dims().to_vec(), t.device())
}

/// The blocks of a `(rows, cols)` matrix read `read(first_row, rows)` a few MiB of rows at a
/// time, each piece split over the CPU's threads (`cols` must be whole blocks of `T`).
pub fn rows_to_blocks<T: GgmlType + Send + Sync, E>(
    (rows, cols): (usize, usize),
    read: &mut dyn FnMut(usize, usize) -> Result<Vec<f32>, E>,
) -> Result<Vec<T>, E> {
    let piece = ((4 << 20) / 4 / cols.max(1)).clamp(1, rows.max(1));
    let per_row = cols / T::BLCK_SIZE;
    let mut out = vec![T::zeros(); rows * per_row];
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut r0 = 0;
    while r0 < rows {
        let n = piece.min(rows - r0);
        let xs = read(r0, n)?;
        let part = &mut out[r0 * per_row..(r0 + n) * per_row];
        let per = n.div_ceil(threads.min(n).max(1));
        std::thread::scope(|s| {
            for (x, o) in xs.chunks(per * cols).zip(part.chunks_mut(per * per_row)) {
                s.spawn(move || T::from_float(x, o));
            }
        });
        r0 += n;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizing_in_pieces_gives_candles_blocks_and_fits_the_rows() {
        let dev = Device::Cpu;
        // 5000 rows of 256: two pieces of rows, each split over the threads.
        let t = Tensor::randn(0f32, 1.0, (5000, 256), &dev).unwrap();
        for dtype in [GgmlDType::Q8_0, GgmlDType::Q4_0, GgmlDType::Q5_0, GgmlDType::Q4K, GgmlDType::Q6K, GgmlDType::F16]
        {
            let ours = quantize(&t, dtype).unwrap();
            let theirs = QTensor::quantize(&t, dtype).unwrap();
            assert_eq!((ours.dtype(), ours.shape().dims()), (dtype, &[5000usize, 256][..]));
            assert!(ours.data().unwrap() == theirs.data().unwrap(), "{dtype:?}");
            assert_eq!(encode(&t, dtype).unwrap(), theirs.data().unwrap().into_owned(), "{dtype:?}");
        }
        // 576-wide rows take llama-quantize's fallbacks.
        let t = Tensor::randn(0f32, 1.0, (8, 576), &dev).unwrap();
        assert_eq!(quantize(&t, GgmlDType::Q4K).unwrap().dtype(), GgmlDType::Q5_0);
        assert_eq!(quantize(&t, GgmlDType::Q6K).unwrap().dtype(), GgmlDType::Q8_0);
        let t = Tensor::randn(0f32, 1.0, (8, 100), &dev).unwrap();
        assert_eq!(quantize(&t, GgmlDType::Q8_0).unwrap().dtype(), GgmlDType::F16);
    }
}
