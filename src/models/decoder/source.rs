//! Where a decoder's tensors come from: a GGUF file (or the files of a split GGUF), or
//! safetensors shards, each read into the storage the model keeps.

use candle_core::quantized::gguf_file::TensorInfo;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

use super::packed::{self, Fill, Half, HalfMatrix, Packed, PackedMatrix};
use super::{Weight, WeightDtype, buffers};
use crate::models::error::{ModelError, Result, bad_model as cerr};
use crate::models::gguf::Gguf;

/// Where layer tensors come from.
pub(super) trait Source {
    fn has(&self, name: &str) -> bool;
    /// A projection weight, in the requested storage.
    fn weight(&mut self, name: &str, dtype: WeightDtype) -> Result<Weight>;
    /// A small f32 tensor (norms, biases).
    fn tensor(&mut self, name: &str) -> Result<Tensor>;
}

fn convert(w: Weight, dtype: WeightDtype) -> candle_core::Result<Weight> {
    let dense = |w: &Weight| w.to_f32().map(Weight::Dense);
    match dtype {
        WeightDtype::Native => Ok(w),
        WeightDtype::F32 => dense(&w),
        WeightDtype::F16 => dense(&w)?.quantize(GgmlDType::F16),
        WeightDtype::Bf16 => dense(&w)?.quantize(GgmlDType::BF16),
        WeightDtype::Quant(q) => match w {
            Weight::Dense(t) if t.rank() == 2 => Weight::from_qtensor(crate::models::quant::quantize(&t, q)?),
            other => Ok(other),
        },
    }
}

pub(super) struct GgufSource<'a> {
    g: &'a Gguf,
    /// Each shard's file and length (one for an unsplit model).
    files: Vec<(std::fs::File, u64)>,
    device: Device,
}

impl<'a> GgufSource<'a> {
    pub(super) fn open(g: &'a Gguf, device: &Device) -> Result<Self> {
        let files = g
            .shards
            .iter()
            .map(|s| {
                let f = fs_err::File::open(&s.path)?;
                let len = f.metadata()?.len();
                // Positioned reads need the std file (positioned::FileAt); errors name the path.
                let f = f.into_parts().0;
                Ok((f, len))
            })
            .collect::<Result<_>>()?;
        Ok(Self { g, files, device: device.clone() })
    }

    /// A tensor's directory entry, its shard and absolute offset, checked to lie within the file.
    fn locate(&self, name: &str) -> Result<(&'a TensorInfo, usize, u64)> {
        let g = self.g;
        let bad = |reason: String| ModelError::BadModel { path: g.path.clone(), reason };
        let (info, shard, start) = g.locate(name).ok_or_else(|| bad(format!("no tensor `{name}`")))?;
        let (dtype, elems) = (info.ggml_dtype, info.shape.elem_count());
        let bytes = (elems / dtype.block_size() * dtype.type_size()) as u64;
        let file_len = self.files[shard].1;
        if start.saturating_add(bytes) > file_len {
            return Err(ModelError::BadModel {
                path: g.shards[shard].path.clone(),
                reason: format!(
                    "tensor `{name}` needs {bytes} bytes at offset {start}, the file has {file_len} (truncated?)"
                ),
            });
        }
        Ok((info, shard, start))
    }

    /// The located tensor as a `QTensor`: on the CPU read into its final blocks, elsewhere read
    /// and handed to candle (which uploads it to the device).
    fn qtensor(&self, info: &TensorInfo, shard: usize, offset: u64) -> Result<QTensor> {
        let path = &self.g.shards[shard].path;
        let file = &self.files[shard].0;
        let t = buffers::read_qtensor(file, offset, info.ggml_dtype, info.shape.clone()).map_err(cerr(path))?;
        if matches!(self.device, Device::Cpu) {
            return Ok(t);
        }
        let raw = t.data().map_err(cerr(path))?;
        candle_core::quantized::ggml_file::qtensor_from_ggml(
            info.ggml_dtype,
            &raw,
            info.shape.dims().to_vec(),
            &self.device,
        )
        .map_err(cerr(path))
    }
}

impl Source for GgufSource<'_> {
    fn has(&self, name: &str) -> bool {
        self.g.content.tensor_infos.contains_key(name)
    }

    fn weight(&mut self, name: &str, dtype: WeightDtype) -> Result<Weight> {
        let (info, shard, offset) = self.locate(name)?;
        let e = cerr(&self.g.shards[shard].path);
        let cpu = matches!(self.device, Device::Cpu);
        // f16/bf16 bits straight into hfx's 16-bit matrix (through a QTensor they were read
        // into its storage and then copied).
        if let (&[rows, cols], true, Some(kind)) = (info.shape.dims(), cpu, Half::of(info.ggml_dtype)) {
            let path = &self.g.shards[shard].path;
            let bits = buffers::read_u16s(&self.files[shard].0, offset, rows * cols)
                .map_err(|source| ModelError::Io { path: path.clone(), source })?;
            let w = PackedMatrix::Half(HalfMatrix::from_bits(bits, rows, cols, kind).map_err(&e)?).into();
            return convert(w, dtype).map_err(&e);
        }
        let w = if let (&[rows, cols], true) = (info.shape.dims(), cpu && packed::reads_stored(info.ggml_dtype))
            && let Some(m) = PackedMatrix::fill(
                info.ggml_dtype,
                (rows, cols),
                // Straight into hfx's blocks (candle's would be copied into them).
                &mut FileBlocks { file: &self.files[shard].0, offset, path: &self.g.shards[shard].path },
            ) {
            m?.into()
        } else {
            Weight::from_qtensor(self.qtensor(info, shard, offset)?).map_err(&e)?
        };
        convert(w, dtype).map_err(&e)
    }

    fn tensor(&mut self, name: &str) -> Result<Tensor> {
        let (info, shard, offset) = self.locate(name)?;
        self.qtensor(info, shard, offset)?.dequantize(&self.device).map_err(cerr(&self.g.shards[shard].path))
    }
}

pub(super) struct SafetensorsSource {
    pub(super) st: super::safetensors::SafetensorsFiles,
    pub(super) device: Device,
}

impl Source for SafetensorsSource {
    fn has(&self, name: &str) -> bool {
        self.st.has(name)
    }

    fn weight(&mut self, name: &str, dtype: WeightDtype) -> Result<Weight> {
        let path = self.st.path().to_path_buf();
        let e = cerr(&path);
        if let (WeightDtype::Quant(q), &[rows, cols], true) = (dtype, self.st.shape(name)?, self.device.is_cpu()) {
            // Read and quantized a few MiB of rows at a time: the whole f32 matrix never exists.
            // hfx's own block types are filled directly (no copy out of a QTensor).
            use crate::models::quant::{fit, quantize_rows};
            let st = &self.st;
            let mut read = |r0, n| st.rows_f32(name, r0, n);
            let shape = (rows, cols);
            let dtype = fit(q, cols);
            let w: Weight = match PackedMatrix::fill(dtype, shape, &mut Quantizer { shape, read: &mut read, e: &e }) {
                Some(m) => m?.into(),
                None => Weight::from_qtensor(quantize_rows(shape, dtype, read, &e)?).map_err(&e)?,
            };
            return Ok(w);
        }
        // f16/bf16 matrices stay 16-bit as stored (`--dtype` of the same kind keeps them too).
        let keeps = |kind: Half| match dtype {
            WeightDtype::Native => true,
            WeightDtype::F16 => kind == Half::F16,
            WeightDtype::Bf16 => kind == Half::Bf16,
            _ => false,
        };
        if let (&[rows, cols], true) = (self.st.shape(name)?, self.device.is_cpu())
            && let Some(kind) = self.st.half_kind(name)?
            && keeps(kind)
        {
            let bits = self.st.half_bits(name)?;
            return Ok(PackedMatrix::Half(HalfMatrix::from_bits(bits, rows, cols, kind).map_err(&e)?).into());
        }
        let t = self.tensor(name)?;
        convert(Weight::Dense(t), dtype).map_err(e)
    }

    fn tensor(&mut self, name: &str) -> Result<Tensor> {
        self.st.load_f32(name, &self.device)
    }
}

/// Blocks read from a GGUF file at `offset`.
struct FileBlocks<'a> {
    file: &'a std::fs::File,
    offset: u64,
    path: &'a std::path::Path,
}

impl Fill for FileBlocks<'_> {
    type Error = ModelError;

    fn fill<B: Packed>(&mut self, count: usize) -> Result<Vec<B>> {
        buffers::read_blocks(self.file, self.offset, count)
            .map_err(|source| ModelError::Io { path: self.path.to_path_buf(), source })
    }

    fn invalid(&self, e: candle_core::Error) -> ModelError {
        cerr(self.path)(e)
    }
}

/// Blocks quantized from float rows read a few MiB at a time (see `rows_to_blocks`).
struct Quantizer<'a> {
    shape: (usize, usize),
    read: &'a mut dyn FnMut(usize, usize) -> Result<Vec<f32>>,
    e: &'a dyn Fn(candle_core::Error) -> ModelError,
}

impl Fill for Quantizer<'_> {
    type Error = ModelError;

    fn fill<B: Packed>(&mut self, _count: usize) -> Result<Vec<B>> {
        crate::models::quant::rows_to_blocks(self.shape, self.read)
    }

    fn invalid(&self, e: candle_core::Error) -> ModelError {
        (self.e)(e)
    }
}
