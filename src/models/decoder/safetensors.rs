//! Safetensors weights read with positioned reads straight into the f32 buffers the decoder
//! keeps, instead of memory-mapping the files: with a mapping, every page of the file stays
//! resident in the process next to its f32 copy (peak RSS measured at 2.1x the weights for
//! SmolLM2 in f32); reading costs one copy from the page cache and peaks at the weights' size.
//! The header is parsed here (it is a JSON object) and every offset checked against the file.

use crate::positioned::FileAt;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use super::packed::Half;
use crate::models::error::{ModelError, Result, bad_model};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F32,
    F16,
    Bf16,
}

impl Dtype {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "F32" => Some(Self::F32),
            "F16" => Some(Self::F16),
            "BF16" => Some(Self::Bf16),
            _ => None,
        }
    }

    fn size(self) -> usize {
        if self == Self::F32 { 4 } else { 2 }
    }
}

#[derive(Debug)]
struct Entry {
    file: usize,
    dtype: Result<Dtype, String>,
    shape: Vec<usize>,
    /// Absolute byte offset in the file.
    offset: u64,
}

/// The tensors of one or several safetensors files (shards).
pub(super) struct SafetensorsFiles {
    files: Vec<(PathBuf, File)>,
    entries: HashMap<String, Entry>,
}

impl SafetensorsFiles {
    pub(super) fn open(paths: &[PathBuf]) -> Result<Self> {
        let mut files = Vec::new();
        let mut entries = HashMap::new();
        for (i, path) in paths.iter().enumerate() {
            let bad = |reason: String| ModelError::BadModel { path: path.clone(), reason };
            let f = fs_err::File::open(path)?.into_parts().0;
            let file_len = f.metadata().map_err(|source| ModelError::Io { path: path.clone(), source })?.len();
            let mut n = [0u8; 8];
            f.read_exact_at(&mut n, 0).map_err(|_| bad("not a safetensors file (shorter than its header)".into()))?;
            let header_len = u64::from_le_bytes(n);
            if header_len > 100 << 20 || 8 + header_len > file_len {
                return Err(bad(format!("header length {header_len} does not fit a file of {file_len} bytes")));
            }
            let mut header = vec![0u8; header_len as usize];
            f.read_exact_at(&mut header, 8).map_err(|source| ModelError::Io { path: path.clone(), source })?;
            let header: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&header).map_err(|e| bad(format!("invalid header: {e}")))?;
            let data_start = 8 + header_len;
            for (name, info) in header {
                if name == "__metadata__" {
                    continue;
                }
                let dtype_name = info["dtype"].as_str().unwrap_or_default();
                let shape: Option<Vec<usize>> =
                    info["shape"].as_array().and_then(|a| a.iter().map(|d| d.as_u64().map(|d| d as usize)).collect());
                let offsets: Option<Vec<u64>> =
                    info["data_offsets"].as_array().and_then(|a| a.iter().map(serde_json::Value::as_u64).collect());
                let (Some(shape), Some([start, end])) = (shape, offsets.as_deref()) else {
                    return Err(bad(format!("tensor `{name}`: missing shape or data_offsets")));
                };
                let dtype = Dtype::parse(dtype_name)
                    .ok_or_else(|| format!("tensor `{name}` has dtype {dtype_name}; hfx reads F32, F16 and BF16"));
                if let Ok(d) = dtype {
                    let want = shape.iter().product::<usize>() as u64 * d.size() as u64;
                    if end < start || end - start != want || data_start + end > file_len {
                        return Err(bad(format!(
                            "tensor `{name}`: bytes {start}..{end} do not hold shape {shape:?} of {dtype_name} within the file (truncated?)"
                        )));
                    }
                }
                entries.insert(name, Entry { file: i, dtype, shape, offset: data_start + start });
            }
            files.push((path.clone(), f));
        }
        Ok(Self { files, entries })
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// A tensor as f32 on `device`.
    pub(super) fn load_f32(&self, name: &str, device: &Device) -> Result<Tensor> {
        let e = self.entry(name)?;
        let numel = e.shape.iter().product();
        let data = self.read_f32(e, 0, numel)?;
        Tensor::from_vec(data, e.shape.as_slice(), device).map_err(bad_model(&self.files[e.file].0))
    }

    /// A tensor's shape.
    pub(super) fn shape(&self, name: &str) -> Result<&[usize]> {
        Ok(&self.entry(name)?.shape)
    }

    /// The 16-bit float a tensor is stored as, if it is one.
    pub(super) fn half_kind(&self, name: &str) -> Result<Option<Half>> {
        Ok(match self.entry(name)?.dtype {
            Ok(Dtype::F16) => Some(Half::F16),
            Ok(Dtype::Bf16) => Some(Half::Bf16),
            _ => None,
        })
    }

    /// A tensor stored as f16 or bf16 (see `half_kind`), as its bits (little-endian on disk;
    /// native here).
    pub(super) fn half_bits(&self, name: &str) -> Result<Vec<u16>> {
        let e = self.entry(name)?;
        let (path, file) = &self.files[e.file];
        super::buffers::read_u16s(file, e.offset, e.shape.iter().product())
            .map_err(|source| ModelError::Io { path: path.clone(), source })
    }

    /// Rows `r0..r0 + n` of a matrix as f32 (quantizing on load reads a few MiB at a time).
    pub(super) fn rows_f32(&self, name: &str, r0: usize, n: usize) -> Result<Vec<f32>> {
        let e = self.entry(name)?;
        let cols: usize = e.shape.iter().skip(1).product();
        self.read_f32(e, r0 * cols, n * cols)
    }

    fn entry(&self, name: &str) -> Result<&Entry> {
        self.entries.get(name).ok_or_else(|| ModelError::BadModel {
            path: self.path().to_path_buf(),
            reason: format!("no tensor `{name}` (is the model_type right?)"),
        })
    }

    /// `count` values of a tensor from element `start` on, widened to f32.
    fn read_f32(&self, e: &Entry, start: usize, count: usize) -> Result<Vec<f32>> {
        let (path, file) = &self.files[e.file];
        let bad = |reason: String| ModelError::BadModel { path: path.clone(), reason };
        let io = |source| ModelError::Io { path: path.clone(), source };
        let dtype = e.dtype.clone().map_err(bad)?;
        let offset = e.offset + (start * dtype.size()) as u64;
        Ok(match dtype {
            Dtype::F32 => {
                let mut v = vec![0f32; count];
                super::buffers::huge_pages(&v);
                file.read_exact_at(bytemuck::cast_slice_mut(&mut v), offset).map_err(io)?;
                // Stored little-endian; a no-op on little-endian machines.
                v.iter_mut().for_each(|x| *x = f32::from_bits(u32::from_le(x.to_bits())));
                v
            }
            Dtype::F16 | Dtype::Bf16 => {
                let mut raw = vec![0u16; count];
                file.read_exact_at(bytemuck::cast_slice_mut(&mut raw), offset).map_err(io)?;
                let mut v = Vec::with_capacity(count);
                super::buffers::huge_pages(&v);
                v.extend(raw.iter().map(|&b| {
                    let b = u16::from_le(b);
                    if dtype == Dtype::F16 {
                        half::f16::from_bits(b).to_f32()
                    } else {
                        half::bf16::from_bits(b).to_f32()
                    }
                }));
                v
            }
        })
    }

    pub(super) fn path(&self) -> &Path {
        self.files.first().map_or(Path::new(""), |f| f.0.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, tensors: &[(&str, &str, Vec<usize>, Vec<u8>)]) {
        let mut header = serde_json::Map::new();
        let mut data = Vec::new();
        for (name, dtype, shape, bytes) in tensors {
            header.insert(
                name.to_string(),
                serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [data.len(), data.len() + bytes.len()]}),
            );
            data.extend_from_slice(bytes);
        }
        header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
        let h = serde_json::to_vec(&header).unwrap();
        let mut out = (h.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&h);
        out.extend_from_slice(&data);
        fs_err::write(path, out).unwrap();
    }

    #[test]
    fn reads_f32_f16_bf16_and_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        let f32s: Vec<u8> = [1.5f32, -2.0, 3.25, 0.0, 7.0, -0.5].iter().flat_map(|x| x.to_le_bytes()).collect();
        let f16s: Vec<u8> = [0.5f32, -1.0].iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect();
        let bf16s: Vec<u8> = [2.0f32, 4.0].iter().flat_map(|x| half::bf16::from_f32(*x).to_le_bytes()).collect();
        write(
            &p,
            &[
                ("a", "F32", vec![2, 3], f32s),
                ("b", "F16", vec![2], f16s),
                ("c", "BF16", vec![2], bf16s),
                ("d", "I64", vec![1], vec![0; 8]),
            ],
        );
        let st = SafetensorsFiles::open(std::slice::from_ref(&p)).unwrap();
        let dev = Device::Cpu;
        assert_eq!(st.load_f32("a", &dev).unwrap().to_vec2::<f32>().unwrap(), [[1.5, -2.0, 3.25], [0.0, 7.0, -0.5]]);
        assert_eq!(st.load_f32("b", &dev).unwrap().to_vec1::<f32>().unwrap(), [0.5, -1.0]);
        assert_eq!(st.load_f32("c", &dev).unwrap().to_vec1::<f32>().unwrap(), [2.0, 4.0]);
        // The same bytes through candle's own reader.
        let theirs = candle_core::safetensors::load(&p, &dev).unwrap();
        assert_eq!(theirs["a"].to_vec2::<f32>().unwrap(), st.load_f32("a", &dev).unwrap().to_vec2::<f32>().unwrap());
        let e = st.load_f32("d", &dev).unwrap_err().to_string();
        assert!(e.contains("I64"), "{e}");
        assert!(st.load_f32("zzz", &dev).unwrap_err().to_string().contains("no tensor `zzz`"));

        // Truncated: the last tensor's bytes are missing.
        let full = fs_err::read(&p).unwrap();
        let cut = dir.path().join("cut.safetensors");
        fs_err::write(&cut, &full[..full.len() - 10]).unwrap();
        let e = SafetensorsFiles::open(&[cut]).err().unwrap().to_string();
        assert!(e.contains("truncated"), "{e}");
        // Not a safetensors file at all.
        let junk = dir.path().join("junk.safetensors");
        fs_err::write(&junk, b"\xff\xff\xff\xff\xff\xff\xff\x7fhello").unwrap();
        assert!(SafetensorsFiles::open(&[junk]).is_err());
    }
}
