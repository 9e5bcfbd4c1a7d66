//! Weight buffers on the CPU: read straight from the file into the buffer the model keeps, and
//! backed by huge pages.
//!
//! candle's GGUF reader reads a tensor into a byte buffer and then copies it into typed blocks,
//! so the largest tensor exists twice while it loads: for SmolLM2-135M Q4_1 that is the 30 MB
//! Q8_0 embedding, and massif showed it at the process's peak (144 MB of heap for 98 MB of
//! weights). Here the blocks are allocated once and the file is read into them.

use crate::positioned::FileAt;
use std::fs::File;

use candle_core::Shape;
use candle_core::quantized::k_quants::{
    BlockQ2K, BlockQ3K, BlockQ4_0, BlockQ4_1, BlockQ4K, BlockQ5_0, BlockQ5_1, BlockQ5K, BlockQ6K, BlockQ8_0, BlockQ8_1,
    BlockQ8K, GgmlType,
};
use candle_core::quantized::{GgmlDType, QStorage, QTensor};

/// Asks the kernel to back the allocation of `v` (its capacity) with 2 MiB pages, where Linux
/// runs transparent huge pages in `madvise` mode (the common default). Call it before the buffer
/// is first written: pages already faulted in stay small. Generation reads every weight once per
/// token, and with 4 KiB pages that is one TLB miss per 4 KiB: on SmolLM2-135M in f32 (538 MB
/// per token) huge pages took generation from 70 to 79 tok/s. Best effort: errors are ignored.
#[allow(clippy::ptr_arg)] // the capacity, not the length, is the allocation
#[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
pub(super) fn huge_pages<T>(v: &Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = v.as_ptr() as usize;
        let end = start + v.capacity() * std::mem::size_of::<T>();
        let aligned = start.next_multiple_of(PAGE);
        let len = end.saturating_sub(aligned) / PAGE * PAGE;
        if len < 2 << 20 {
            return;
        }
        // SAFETY: MADV_HUGEPAGE only changes how the kernel backs pages of this process's own
        // anonymous memory; the range lies inside `v`'s allocation and no contents change.
        #[allow(unsafe_code)]
        unsafe {
            libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
}

/// `n` blocks of `T` read from `file` at `offset`, in a buffer allocated once (with huge pages).
/// GGUF stores blocks little-endian in the layout of their `#[repr(C)]` types, as candle and
/// llama.cpp read them.
pub(super) fn read_blocks<T: GgmlType>(file: &File, offset: u64, n: usize) -> std::io::Result<Vec<T>> {
    let size = std::mem::size_of::<T>();
    // The in-memory block is exactly the on-disk block: no padding, same size.
    assert!(size == T::DTYPE.type_size() && T::BLCK_SIZE == T::DTYPE.block_size(), "{:?}", T::DTYPE);
    let mut blocks = Vec::with_capacity(n);
    huge_pages(&blocks);
    blocks.resize(n, T::zeros());
    // SAFETY: the block types are `#[repr(C)]` structs of f16/f32/integer fields and arrays with
    // no padding (the size check above), so every byte pattern is a valid value and writing their
    // bytes cannot create an invalid one; the slice covers exactly the `n` initialised blocks.
    #[allow(unsafe_code)]
    let bytes = unsafe { std::slice::from_raw_parts_mut(blocks.as_mut_ptr().cast::<u8>(), n * size) };
    file.read_exact_at(bytes, offset)?;
    Ok(blocks)
}

/// `n` little-endian 16-bit values (f16/bf16 bits, GGUF's and safetensors' layout) read from
/// `file` at `offset`, in a buffer allocated once (with huge pages).
pub(super) fn read_u16s(file: &File, offset: u64, n: usize) -> std::io::Result<Vec<u16>> {
    let mut bits = Vec::with_capacity(n);
    huge_pages(&bits);
    bits.resize(n, 0u16);
    file.read_exact_at(bytemuck::cast_slice_mut(&mut bits), offset)?;
    // A no-op on little-endian machines.
    bits.iter_mut().for_each(|b| *b = u16::from_le(*b));
    Ok(bits)
}

/// A GGUF tensor's data as a CPU `QTensor`, read into its final blocks.
pub(super) fn read_qtensor(file: &File, offset: u64, dtype: GgmlDType, shape: Shape) -> candle_core::Result<QTensor> {
    fn storage<T: GgmlType + 'static>(file: &File, offset: u64, n: usize) -> std::io::Result<QStorage> {
        Ok(QStorage::Cpu(Box::new(read_blocks::<T>(file, offset, n)?)))
    }
    let elems = shape.elem_count();
    if !elems.is_multiple_of(dtype.block_size()) {
        candle_core::bail!("{elems} elements do not fill whole {dtype:?} blocks");
    }
    let n = elems / dtype.block_size();
    let read = match dtype {
        GgmlDType::F32 => storage::<f32>,
        GgmlDType::F16 => storage::<half::f16>,
        GgmlDType::BF16 => storage::<half::bf16>,
        GgmlDType::Q4_0 => storage::<BlockQ4_0>,
        GgmlDType::Q4_1 => storage::<BlockQ4_1>,
        GgmlDType::Q5_0 => storage::<BlockQ5_0>,
        GgmlDType::Q5_1 => storage::<BlockQ5_1>,
        GgmlDType::Q8_0 => storage::<BlockQ8_0>,
        GgmlDType::Q8_1 => storage::<BlockQ8_1>,
        GgmlDType::Q2K => storage::<BlockQ2K>,
        GgmlDType::Q3K => storage::<BlockQ3K>,
        GgmlDType::Q4K => storage::<BlockQ4K>,
        GgmlDType::Q5K => storage::<BlockQ5K>,
        GgmlDType::Q6K => storage::<BlockQ6K>,
        GgmlDType::Q8K => storage::<BlockQ8K>,
    };
    QTensor::new(read(file, offset, n)?, shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::gguf_file;
    use candle_core::{Device, Tensor};

    /// Every block type read here gives the tensor candle's own GGUF reader gives, and a file cut
    /// short is an error.
    #[test]
    fn reads_the_blocks_candles_gguf_reader_reads() {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (4, 256), &dev).unwrap();
        let dtypes = [
            GgmlDType::F32,
            GgmlDType::F16,
            GgmlDType::BF16,
            GgmlDType::Q4_0,
            GgmlDType::Q4_1,
            GgmlDType::Q5_0,
            GgmlDType::Q5_1,
            GgmlDType::Q8_0,
            GgmlDType::Q2K,
            GgmlDType::Q3K,
            GgmlDType::Q4K,
            GgmlDType::Q5K,
            GgmlDType::Q6K,
        ];
        let qs: Vec<(String, QTensor)> =
            dtypes.iter().map(|d| (format!("{d:?}"), QTensor::quantize(&x, *d).unwrap())).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.gguf");
        let mut f = fs_err::File::create(&path).unwrap();
        let refs: Vec<(&str, &QTensor)> = qs.iter().map(|(n, q)| (n.as_str(), q)).collect();
        gguf_file::write(&mut f, &[], &refs).unwrap();
        drop(f);

        let mut file = fs_err::File::open(&path).unwrap().into_parts().0;
        let content = gguf_file::Content::read(&mut file).unwrap();
        for (name, _) in &qs {
            let info = &content.tensor_infos[name];
            let offset = content.tensor_data_offset + info.offset;
            let ours = read_qtensor(&file, offset, info.ggml_dtype, info.shape.clone()).unwrap();
            let theirs = content.tensor(&mut file, name, &dev).unwrap();
            assert_eq!(ours.dtype(), info.ggml_dtype);
            let (a, b) = (ours.dequantize(&dev).unwrap(), theirs.dequantize(&dev).unwrap());
            assert_eq!(a.to_vec2::<f32>().unwrap(), b.to_vec2::<f32>().unwrap(), "{name}");
        }
        // Our Q4_1 blocks hold the same bytes as candle's.
        let info = &content.tensor_infos["Q4_1"];
        let blocks: Vec<super::super::packed::BlockQ4_1> =
            read_blocks(&file, content.tensor_data_offset + info.offset, 4 * 256 / 32).unwrap();
        let m = super::super::packed::PackedMatrix::Q4_1(
            super::super::packed::BlockMatrix::from_blocks(blocks, 4, 256).unwrap(),
        );
        let theirs = content.tensor(&mut file, "Q4_1", &dev).unwrap().dequantize(&dev).unwrap();
        assert_eq!(m.dequantize(), theirs.flatten_all().unwrap().to_vec1::<f32>().unwrap());

        // Past the end of the file: an error, not a short buffer.
        let len = file.metadata().unwrap().len();
        assert!(read_qtensor(&file, len - 100, GgmlDType::Q8_0, (4, 256).into()).is_err());
    }
}
