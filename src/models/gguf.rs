//! GGUF metadata access on top of candle's reader (which bounds-checks every length against the
//! file size, so a truncated or hostile file is an error, not an allocation bomb).

use std::collections::HashMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, TensorInfo, Value};

use super::error::{ModelError, Result, candle_message};

/// A parsed GGUF header: metadata and tensor directory (tensor data stays on disk). A split
/// model (llama.cpp's `gguf-split`: `name-00001-of-00003.gguf`, ...) is one `Gguf`: the first
/// file's metadata and every file's tensors.
pub struct Gguf {
    pub path: PathBuf,
    /// The first file's metadata; the tensor directory of all files (offsets within each file's
    /// data section: use [`Gguf::locate`] for where a tensor's bytes are).
    pub content: Content,
    /// The files of the model with the start of their tensor data (one for an unsplit file).
    pub shards: Vec<Shard>,
    /// The shard of each tensor not in the first file.
    shard_of: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct Shard {
    pub path: PathBuf,
    pub data_offset: u64,
}

fn read_content(path: &Path) -> Result<Content> {
    let file = fs_err::File::open(path)?;
    // The metadata is hundreds of thousands of small reads (one per vocabulary entry).
    let mut reader = BufReader::with_capacity(1 << 20, file);
    Content::read(&mut reader).map_err(|e| {
        let (path, reason) = (path.to_path_buf(), candle_message(&e));
        // candle stops at the first tensor of a type it does not know: a valid file of a
        // quantization hfx has no kernels for (IQ4_NL, IQ2_XS, ...), not a damaged download.
        match reason.strip_prefix("unknown dtype for tensor ").and_then(|id| id.trim().parse().ok()) {
            Some(id) => ModelError::UnsupportedTensorType { path, dtype: ggml_type_name(id), id },
            None => ModelError::BadGguf { path, reason },
        }
    })
}

/// The name of a GGUF tensor type candle does not read (ggml's `ggml_type` numbering).
fn ggml_type_name(id: u32) -> &'static str {
    match id {
        4 | 5 => "Q4_2/Q4_3 (removed from ggml)",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        34 => "TQ1_0",
        35 => "TQ2_0",
        39 => "MXFP4",
        _ => "unknown",
    }
}

/// `(prefix, number, count)` of a split file name `prefix-00002-of-00003.gguf` (1-based).
pub fn split_name(name: &str) -> Option<(&str, u32, u32)> {
    let stem = name.strip_suffix(".gguf")?;
    let (rest, count) = stem.rsplit_once("-of-")?;
    let (prefix, no) = rest.rsplit_once('-')?;
    let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(no) || !digits(count) {
        return None;
    }
    let (no, count) = (no.parse().ok()?, count.parse().ok()?);
    (no >= 1 && no <= count).then_some((prefix, no, count))
}

/// The file name of shard `no` (1-based) of `count`, as llama.cpp's `llama_split_path` writes it.
pub fn split_file(prefix: &str, no: u32, count: u32) -> String {
    format!("{prefix}-{no:05}-of-{count:05}.gguf")
}

impl Gguf {
    /// Parse a GGUF file's header; for any file of a split model, the headers of all its files.
    pub fn open(path: &Path) -> Result<Self> {
        let content = read_content(path)?;
        let count = content.metadata.get("split.count").and_then(value_u64).unwrap_or(1);
        let single = |content: Content| Self {
            path: path.to_path_buf(),
            shards: vec![Shard { path: path.to_path_buf(), data_offset: content.tensor_data_offset }],
            content,
            shard_of: HashMap::new(),
        };
        if count <= 1 {
            return Ok(single(content));
        }
        let bad = |path: &Path, reason: String| ModelError::BadGguf { path: path.to_path_buf(), reason };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((prefix, _, named_count)) = split_name(&name) else {
            return Err(bad(
                path,
                format!(
                    "shard of a {count}-file split model, but not named `PREFIX-00001-of-{count:05}.gguf`, so the other files cannot be found"
                ),
            ));
        };
        if count != u64::from(named_count) {
            return Err(bad(path, format!("`split.count` is {count} but the file name says {named_count}")));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let first = dir.join(split_file(prefix, 1, named_count));
        let no = |c: &Content| c.metadata.get("split.no").and_then(value_u64);
        let content = if first == path { content } else { read_content(&first)? };
        if no(&content) != Some(0) {
            return Err(bad(&first, "the first file of a split model has no `split.no = 0`".into()));
        }
        let mut g = single(content);
        g.path = first.clone();
        g.shards[0].path = first.clone();
        for i in 1..named_count {
            let p = dir.join(split_file(prefix, i + 1, named_count));
            if !p.is_file() {
                return Err(bad(
                    &first,
                    format!("file {} of {named_count} of this split model is missing: {}", i + 1, p.display()),
                ));
            }
            let c = read_content(&p)?;
            if no(&c) != Some(u64::from(i)) {
                return Err(bad(&p, format!("expected `split.no = {i}`")));
            }
            let shard = g.shards.len();
            for (name, info) in c.tensor_infos {
                if g.content.tensor_infos.contains_key(&name) {
                    return Err(bad(&p, format!("tensor `{name}` is also in an earlier file")));
                }
                g.shard_of.insert(name.clone(), shard);
                g.content.tensor_infos.insert(name, info);
            }
            g.shards.push(Shard { path: p, data_offset: c.tensor_data_offset });
        }
        let want = g.content.metadata.get("split.tensors.count").and_then(value_u64);
        if let Some(want) = want
            && usize::try_from(want).ok() != Some(g.content.tensor_infos.len())
        {
            return Err(bad(
                &first,
                format!("`split.tensors.count` is {want}, the files hold {}", g.content.tensor_infos.len()),
            ));
        }
        Ok(g)
    }

    /// A tensor's directory entry, the index of the shard it is in and the absolute offset of
    /// its data in that file.
    pub fn locate(&self, name: &str) -> Option<(&TensorInfo, usize, u64)> {
        let info = self.content.tensor_infos.get(name)?;
        let shard = self.shard_of.get(name).copied().unwrap_or(0);
        Some((info, shard, self.shards[shard].data_offset.saturating_add(info.offset)))
    }

    /// Move the tokenizer's arrays (vocabulary, merges, scores, types: the bulk of the header)
    /// into a header of their own, with a copy of the other metadata, so that a tokenizer built
    /// on another thread can free them while the weights are still loading.
    pub fn split_vocabulary(&mut self) -> Self {
        let arrays: Vec<(String, Value)> = self
            .content
            .metadata
            .extract_if(|k, v| k.starts_with("tokenizer.") && matches!(v, Value::Array(_)))
            .collect();
        let metadata = self.content.metadata.iter().map(|(k, v)| (k.clone(), v.clone())).chain(arrays).collect();
        let content = Content {
            magic: self.content.magic,
            metadata,
            tensor_infos: Default::default(),
            tensor_data_offset: self.content.tensor_data_offset,
        };
        Self { path: self.path.clone(), content, shards: self.shards.clone(), shard_of: HashMap::new() }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.content.metadata.get(key)
    }

    fn missing(&self, key: &str) -> ModelError {
        ModelError::GgufKey { path: self.path.clone(), key: key.to_string() }
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|v| v.to_string().ok()).map(String::as_str)
    }

    pub fn require_str(&self, key: &str) -> Result<&str> {
        self.str(key).ok_or_else(|| self.missing(key))
    }

    /// Any integer type, as GGUF writers disagree on widths (u32 vs i32 vs u64).
    pub fn u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(value_u64)
    }

    pub fn u32(&self, key: &str) -> Option<u32> {
        self.u64(key).and_then(|v| u32::try_from(v).ok())
    }

    pub fn f32(&self, key: &str) -> Option<f32> {
        match self.get(key)? {
            Value::F32(x) => Some(*x),
            #[allow(clippy::cast_possible_truncation)]
            Value::F64(x) => Some(*x as f32),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn require_array(&self, key: &str) -> Result<&Vec<Value>> {
        self.get(key).and_then(|v| v.to_vec().ok()).ok_or_else(|| self.missing(key))
    }

    pub fn require_strings(&self, key: &str) -> Result<Vec<&str>> {
        self.require_array(key)?
            .iter()
            .map(|v| v.to_string().map(String::as_str).map_err(|_| self.missing(key)))
            .collect()
    }

    /// An optional numeric array (token types, scores) as f32/i32 via a converter.
    pub fn numbers<T>(&self, key: &str, f: impl Fn(&Value) -> Option<T>) -> Result<Option<Vec<T>>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                let arr = v.to_vec().map_err(|_| self.missing(key))?;
                arr.iter().map(&f).collect::<Option<Vec<T>>>().map(Some).ok_or_else(|| self.missing(key))
            }
        }
    }

    pub fn architecture(&self) -> Option<&str> {
        self.str("general.architecture")
    }
}

/// Any GGUF integer as u64 (writers disagree on widths: u32 vs i32 vs u64).
pub fn value_u64(v: &Value) -> Option<u64> {
    match v {
        Value::U8(x) => Some(u64::from(*x)),
        Value::U16(x) => Some(u64::from(*x)),
        Value::U32(x) => Some(u64::from(*x)),
        Value::U64(x) => Some(*x),
        Value::I8(x) => u64::try_from(*x).ok(),
        Value::I16(x) => u64::try_from(*x).ok(),
        Value::I32(x) => u64::try_from(*x).ok(),
        Value::I64(x) => u64::try_from(*x).ok(),
        _ => None,
    }
}

/// A GGUF numeric value as f32 (scores are f32; tolerate other widths).
pub fn value_f32(v: &Value) -> Option<f32> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    match v {
        Value::F32(x) => Some(*x),
        Value::F64(x) => Some(*x as f32),
        Value::I32(x) => Some(*x as f32),
        _ => None,
    }
}

/// A GGUF numeric value as i32 (token types are i32).
pub fn value_i32(v: &Value) -> Option<i32> {
    match v {
        Value::I32(x) => Some(*x),
        Value::U32(x) => i32::try_from(*x).ok(),
        Value::I8(x) => Some(i32::from(*x)),
        Value::U8(x) => Some(i32::from(*x)),
        Value::I64(x) => i32::try_from(*x).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tensor_type_without_kernels_is_named_not_taken_for_damage() {
        // A GGUF v3 header with one IQ4_NL tensor (ggml type 20), as llama-quantize writes.
        let mut b = Vec::new();
        b.extend_from_slice(b"GGUF");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        let name = b"blk.0.ffn_down.weight";
        b.extend_from_slice(&(name.len() as u64).to_le_bytes());
        b.extend_from_slice(name);
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&32u64.to_le_bytes());
        b.extend_from_slice(&20u32.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.resize(b.len() + 64, 0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m-IQ4_NL.gguf");
        fs_err::write(&path, &b).unwrap();
        let e = read_content(&path).unwrap_err();
        assert!(matches!(e, ModelError::UnsupportedTensorType { dtype: "IQ4_NL", id: 20, .. }), "{e}");
        assert!(e.to_string().contains("holds IQ4_NL tensors (GGUF type 20)"), "{e}");
        // A truncated file is still reported as one.
        fs_err::write(&path, &b[..20]).unwrap();
        assert!(matches!(read_content(&path).unwrap_err(), ModelError::BadGguf { .. }));
    }
}
