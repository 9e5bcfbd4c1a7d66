//! Streaming writers for GGUF and safetensors files: the header first (every tensor's type and
//! shape, hence its offset, is known before its data exists), then each tensor's bytes as they
//! are produced, into a temporary file renamed into place at the end.
//!
//! Written here rather than through candle's `gguf_file::write` or safetensors'
//! `serialize_to_file`: both take every tensor's data at once (a 7B model's f16 export would hold
//! 14 GB), and a lazily computed safetensors `View` cannot report an error.

use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;
use candle_core::quantized::gguf_file::Value;

use crate::models::error::{ModelError, Result};
use crate::report::Progress;

/// One tensor of the file: its name, row-major dimensions (outermost first) and storage type.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub dims: Vec<usize>,
    pub dtype: GgmlDType,
}

impl Entry {
    pub fn bytes(&self) -> usize {
        let n: usize = self.dims.iter().product();
        n / self.dtype.block_size() * self.dtype.type_size()
    }
}

/// GGUF's type ids (ggml.h `enum ggml_type`); candle keeps its mapping crate-private.
fn ggml_id(t: GgmlDType) -> u32 {
    match t {
        GgmlDType::F32 => 0,
        GgmlDType::F16 => 1,
        GgmlDType::Q4_0 => 2,
        GgmlDType::Q4_1 => 3,
        GgmlDType::Q5_0 => 6,
        GgmlDType::Q5_1 => 7,
        GgmlDType::Q8_0 => 8,
        GgmlDType::Q8_1 => 9,
        GgmlDType::Q2K => 10,
        GgmlDType::Q3K => 11,
        GgmlDType::Q4K => 12,
        GgmlDType::Q5K => 13,
        GgmlDType::Q6K => 14,
        GgmlDType::Q8K => 15,
        GgmlDType::BF16 => 30,
    }
}

const ALIGN: u64 = 32;

/// A file written under a temporary name and renamed into place by `finish`; dropped unfinished,
/// the temporary file is removed, so a failed export never leaves a file that looks complete.
struct Pending {
    tmp: PathBuf,
    dest: PathBuf,
    out: Option<BufWriter<std::fs::File>>,
}

impl Pending {
    fn create(dest: &Path) -> Result<Self> {
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{name}.hfx-tmp"));
        let file = fs_err::File::create(&tmp)
            .map_err(|source| ModelError::Write { path: dest.to_path_buf(), source })?
            .into_parts()
            .0;
        Ok(Self { tmp, dest: dest.to_path_buf(), out: Some(BufWriter::with_capacity(1 << 20, file)) })
    }

    fn w(&mut self) -> &mut BufWriter<std::fs::File> {
        self.out.as_mut().expect("writer taken only by finish")
    }

    fn io(&self, source: std::io::Error) -> ModelError {
        ModelError::Write { path: self.dest.clone(), source }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.w().write_all(bytes).map_err(|e| ModelError::Write { path: self.dest.clone(), source: e })
    }

    fn finish(mut self) -> Result<u64> {
        let out = self.out.take().expect("finish runs once");
        let file =
            out.into_inner().map_err(|e| ModelError::Write { path: self.dest.clone(), source: e.into_error() })?;
        file.sync_all().map_err(|e| self.io(e))?;
        let len = file.metadata().map_err(|e| self.io(e))?.len();
        fs_err::rename(&self.tmp, &self.dest)
            .map_err(|source| ModelError::Write { path: self.dest.clone(), source })?;
        Ok(len)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.out.is_some() {
            let _ = fs_err::remove_file(&self.tmp);
        }
    }
}

fn string(buf: &mut Vec<u8>, s: &str) {
    buf.extend((s.len() as u64).to_le_bytes());
    buf.extend(s.as_bytes());
}

fn value_type(v: &Value) -> u32 {
    match v {
        Value::U8(_) => 0,
        Value::I8(_) => 1,
        Value::U16(_) => 2,
        Value::I16(_) => 3,
        Value::U32(_) => 4,
        Value::I32(_) => 5,
        Value::F32(_) => 6,
        Value::Bool(_) => 7,
        Value::String(_) => 8,
        Value::Array(_) => 9,
        Value::U64(_) => 10,
        Value::I64(_) => 11,
        Value::F64(_) => 12,
    }
}

fn value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::U8(x) => buf.push(*x),
        Value::I8(x) => buf.extend(x.to_le_bytes()),
        Value::U16(x) => buf.extend(x.to_le_bytes()),
        Value::I16(x) => buf.extend(x.to_le_bytes()),
        Value::U32(x) => buf.extend(x.to_le_bytes()),
        Value::I32(x) => buf.extend(x.to_le_bytes()),
        Value::U64(x) => buf.extend(x.to_le_bytes()),
        Value::I64(x) => buf.extend(x.to_le_bytes()),
        Value::F32(x) => buf.extend(x.to_le_bytes()),
        Value::F64(x) => buf.extend(x.to_le_bytes()),
        Value::Bool(x) => buf.push(u8::from(*x)),
        Value::String(s) => string(buf, s),
        Value::Array(items) => {
            // GGUF arrays are homogeneous; an empty one's type does not matter.
            buf.extend(items.first().map_or(4, value_type).to_le_bytes());
            buf.extend((items.len() as u64).to_le_bytes());
            for item in items {
                value(buf, item);
            }
        }
    }
}

/// Write a GGUF v3 file: `metadata`, then `tensors`, whose bytes `data(i)` produces in order.
/// Returns the file's size.
pub fn gguf(
    dest: &Path,
    metadata: &[(String, Value)],
    tensors: &[Entry],
    mut data: impl FnMut(usize) -> Result<Vec<u8>>,
    progress: &dyn Progress,
) -> Result<u64> {
    let mut head = Vec::new();
    head.extend(0x4655_4747u32.to_le_bytes());
    head.extend(3u32.to_le_bytes());
    head.extend((tensors.len() as u64).to_le_bytes());
    head.extend((metadata.len() as u64).to_le_bytes());
    for (k, v) in metadata {
        if let Value::Array(items) = v
            && items.iter().any(|i| value_type(i) != value_type(&items[0]))
        {
            return Err(ModelError::Generation(format!("GGUF array `{k}` mixes value types")));
        }
        string(&mut head, k);
        head.extend(value_type(v).to_le_bytes());
        value(&mut head, v);
    }
    let mut offset = 0u64;
    for t in tensors {
        string(&mut head, &t.name);
        head.extend((t.dims.len() as u32).to_le_bytes());
        // GGUF lists dimensions innermost first.
        for d in t.dims.iter().rev() {
            head.extend((*d as u64).to_le_bytes());
        }
        head.extend(ggml_id(t.dtype).to_le_bytes());
        head.extend(offset.to_le_bytes());
        offset = (offset + t.bytes() as u64).div_ceil(ALIGN) * ALIGN;
    }
    head.resize((head.len() as u64).div_ceil(ALIGN) as usize * ALIGN as usize, 0);
    let mut f = Pending::create(dest)?;
    f.put(&head)?;
    start(progress, dest, tensors);
    for (i, t) in tensors.iter().enumerate() {
        let bytes = data(i)?;
        if bytes.len() != t.bytes() {
            return Err(ModelError::Generation(format!(
                "tensor `{}`: {} bytes produced, {} expected",
                t.name,
                bytes.len(),
                t.bytes()
            )));
        }
        f.put(&bytes)?;
        progress.advance(bytes.len() as u64);
        let pad = (bytes.len() as u64).div_ceil(ALIGN) * ALIGN - bytes.len() as u64;
        f.put(&vec![0; pad as usize])?;
    }
    let pos = f.w().stream_position().map_err(|e| ModelError::Write { path: dest.to_path_buf(), source: e })?;
    debug_assert_eq!(pos, head.len() as u64 + offset);
    progress.finish();
    f.finish()
}

fn start(progress: &dyn Progress, dest: &Path, tensors: &[Entry]) {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    progress.start(&format!("writing {name}"), Some(tensors.iter().map(|t| t.bytes() as u64).sum()));
}

/// safetensors' name for a float type.
fn st_dtype(t: GgmlDType) -> Result<&'static str> {
    Ok(match t {
        GgmlDType::F32 => "F32",
        GgmlDType::F16 => "F16",
        GgmlDType::BF16 => "BF16",
        other => return Err(ModelError::Generation(format!("safetensors holds float tensors, not {other:?}"))),
    })
}

/// Write a safetensors file (with `{"format": "pt"}` metadata, as transformers expects) whose
/// tensors' bytes `data(i)` produces in order. Returns the file's size.
pub fn safetensors(
    dest: &Path,
    tensors: &[Entry],
    mut data: impl FnMut(usize) -> Result<Vec<u8>>,
    progress: &dyn Progress,
) -> Result<u64> {
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
    let mut offset = 0usize;
    for t in tensors {
        let end = offset + t.bytes();
        header.insert(
            t.name.clone(),
            serde_json::json!({"dtype": st_dtype(t.dtype)?, "shape": t.dims, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut json = serde_json::to_vec(&header).map_err(|e| ModelError::Generation(e.to_string()))?;
    // The data starts 8-byte aligned (the format pads the header with spaces).
    json.resize(json.len().div_ceil(8) * 8, b' ');
    let mut f = Pending::create(dest)?;
    f.put(&(json.len() as u64).to_le_bytes())?;
    f.put(&json)?;
    start(progress, dest, tensors);
    for (i, t) in tensors.iter().enumerate() {
        let bytes = data(i)?;
        if bytes.len() != t.bytes() {
            return Err(ModelError::Generation(format!("tensor `{}`: wrong byte count", t.name)));
        }
        f.put(&bytes)?;
        progress.advance(bytes.len() as u64);
    }
    progress.finish();
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::QTensor;
    use candle_core::{Device, Tensor};

    #[test]
    fn gguf_and_safetensors_read_back_with_candle() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tensor::arange(0f32, 64.0, &Device::Cpu).unwrap().reshape((2, 32)).unwrap();
        let q = QTensor::quantize(&t, GgmlDType::Q8_0).unwrap();
        let entries = [
            Entry { name: "a".into(), dims: vec![2, 32], dtype: GgmlDType::Q8_0 },
            Entry { name: "b".into(), dims: vec![3], dtype: GgmlDType::F32 },
        ];
        let data = |i: usize| -> Result<Vec<u8>> {
            Ok(if i == 0 {
                q.data().unwrap().to_vec()
            } else {
                [1f32, 2.0, 3.0].iter().flat_map(|x| x.to_le_bytes()).collect()
            })
        };
        let meta = vec![
            ("general.architecture".to_string(), Value::String("llama".into())),
            ("x.list".to_string(), Value::Array(vec![Value::U32(1), Value::U32(2)])),
        ];
        let path = dir.path().join("m.gguf");
        gguf(&path, &meta, &entries, data, &crate::report::Quiet).unwrap();
        let mut f = fs_err::File::open(&path).unwrap();
        let c = candle_core::quantized::gguf_file::Content::read(&mut f).unwrap();
        assert_eq!(c.metadata["general.architecture"].to_string().unwrap(), "llama");
        let back = c.tensor(&mut f, "a", &Device::Cpu).unwrap().dequantize(&Device::Cpu).unwrap();
        let diff = (back - &t).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(diff < 0.3, "{diff}");
        let b = c.tensor(&mut f, "b", &Device::Cpu).unwrap().dequantize(&Device::Cpu).unwrap();
        assert_eq!(b.to_vec1::<f32>().unwrap(), [1.0, 2.0, 3.0]);

        let st = dir.path().join("m.safetensors");
        let e = [Entry { name: "w".into(), dims: vec![2, 32], dtype: GgmlDType::F32 }];
        let bytes: Vec<u8> =
            t.flatten_all().unwrap().to_vec1::<f32>().unwrap().iter().flat_map(|x| x.to_le_bytes()).collect();
        safetensors(&st, &e, |_| Ok(bytes.clone()), &crate::report::Quiet).unwrap();
        let m = candle_core::safetensors::load(&st, &Device::Cpu).unwrap();
        assert_eq!(m["w"].to_vec2::<f32>().unwrap(), t.to_vec2::<f32>().unwrap());
    }

    #[test]
    fn a_failed_tensor_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        let e = [Entry { name: "a".into(), dims: vec![4], dtype: GgmlDType::F32 }];
        let err =
            gguf(&path, &[], &e, |_| Err(ModelError::Generation("boom".into())), &crate::report::Quiet).unwrap_err();
        assert!(err.to_string().contains("boom"));
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 0);
    }
}
