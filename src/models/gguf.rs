//! GGUF metadata access on top of candle's reader (which bounds-checks every length against the
//! file size, so a truncated or hostile file is an error, not an allocation bomb).

use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};

use super::error::{ModelError, Result, candle_message};

/// A parsed GGUF header: metadata and tensor directory (tensor data stays on disk).
pub struct Gguf {
    pub path: PathBuf,
    pub content: Content,
}

impl Gguf {
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        // The metadata is hundreds of thousands of small reads (one per vocabulary entry).
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let content = Content::read(&mut reader)
            .map_err(|e| ModelError::BadGguf { path: path.to_path_buf(), reason: candle_message(&e) })?;
        Ok(Self { path: path.to_path_buf(), content })
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
        Self { path: self.path.clone(), content }
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
        let v = self.get(key)?;
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
