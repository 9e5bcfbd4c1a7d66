//! Models: GGUF metadata, tokenizers, chat templates, and resolving a model reference to files.
//! Knows nothing of clap or terminals.

pub mod bench;
pub mod chat;
pub mod decoder;
pub mod device;
pub mod embed;
pub mod encode;
pub mod error;
pub mod export;
pub mod generate;
pub mod gguf;
pub mod grammar;
pub mod load;
pub mod lora;
pub mod memory;
pub mod quant;
pub mod resolve;
pub mod sequence;
pub mod session;
pub mod tokenizer;
pub mod tools;

pub use error::ModelError;

/// Hands memory that the allocator holds but nothing uses back to the system (glibc keeps freed
/// memory for reuse, most of all in the arenas of threads that have finished).
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused pages of the allocator's own heaps to the kernel;
    // it is thread-safe and leaves every live allocation untouched.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A model file's JSON (config.json and friends); `None` when the file does not exist.
pub(crate) fn read_json(path: &std::path::Path) -> error::Result<Option<serde_json::Value>> {
    match fs_err::read(path) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| ModelError::BadModel { path: path.to_path_buf(), reason: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Write `v` as pretty JSON (what transformers writes) through a temporary file.
pub(crate) fn write_json(path: &std::path::Path, v: &serde_json::Value) -> error::Result<()> {
    let text = serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    crate::cache::atomic_write(path, text.as_bytes())
        .map_err(|e| ModelError::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) })
}
