//! `trees/<commit>.json`: a commit's recursive file listing, cached in huggingface_hub 2.x's
//! format so either tool can use the other's.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{CacheError, Result, atomic_write};

/// One file in a cached tree listing (`trees/<commit>.json`), mirroring the `/tree` fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    pub size: u64,
    pub blob_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lfs_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lfs_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xet_hash: Option<String>,
}

impl TreeEntry {
    /// The etag a download of this file will carry, which is also its blob name.
    pub fn etag(&self) -> &str {
        self.lfs_sha256.as_deref().unwrap_or(&self.blob_id)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct TreeFile {
    format_version: u32,
    files: BTreeMap<String, TreeEntry>,
}

/// Python's `json.dump(..., indent=1)` output (ASCII-escaped), so the file is byte-identical
/// to the one huggingface_hub writes.
fn python_json_indent1<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    value.serialize(&mut ser)?;
    let text = String::from_utf8(buf).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    Ok(out)
}

/// Read a `trees/<commit>.json` listing (None when missing, corrupt or of another format).
pub fn read_tree_file(path: &Path) -> Option<BTreeMap<String, TreeEntry>> {
    let text = fs_err::read_to_string(path).ok()?;
    let file: TreeFile = serde_json::from_str(&text).ok()?;
    (file.format_version == 1).then_some(file.files)
}

/// Write a `trees/<commit>.json` listing atomically, byte-identical to huggingface_hub's.
pub fn write_tree_file(path: &Path, files: &BTreeMap<String, TreeEntry>) -> Result<()> {
    let file = TreeFile { format_version: 1, files: files.clone() };
    let text = python_json_indent1(&file)
        .map_err(|e| CacheError::Corrupt { path: path.to_path_buf(), reason: e.to_string() })?;
    atomic_write(path, text.as_bytes())
}
