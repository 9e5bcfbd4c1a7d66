//! Encoding many lines fast: the input is read in blocks, each block's lines are encoded in
//! parallel on a rayon pool, and results come back in input order.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use super::tokenizer::Tokenizer;
use crate::report::Progress;

/// Lines per parallel batch: large enough to amortise scheduling, small enough for memory.
const BATCH_BYTES: usize = 4 << 20;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` line {line} is not valid UTF-8 (byte {byte} of the line)")]
    Utf8 { path: PathBuf, line: u64, byte: usize },
    #[error("`{path}` line {line}: {reason}")]
    Tokenize { path: PathBuf, line: u64, reason: String },
    #[error("cannot start {threads} worker threads: {reason}")]
    Pool { threads: usize, reason: String },
}

/// Totals of one run over a file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Throughput {
    pub lines: u64,
    pub bytes: u64,
    pub tokens: u64,
    pub seconds: f64,
    pub threads: usize,
}

/// What to compute per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Only the number of tokens (no offsets, no strings: the fast path).
    Count,
    /// Full encodings (ids, tokens, offsets).
    Full,
}

pub struct LineEncoding {
    pub line: u64,
    pub ids: Vec<u32>,
    pub tokens: Vec<String>,
    pub offsets: Vec<(usize, usize)>,
}

/// A rayon pool of `threads` workers (0 = the CPUs available to this process).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, EncodeError> {
    let threads = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EncodeError::Pool { threads, reason: e.to_string() })
}

/// Lines to encode: a reader, the name errors give it, and its size when known (progress).
pub struct Lines<'a> {
    pub reader: Box<dyn Read + Send>,
    pub path: &'a Path,
    pub total_bytes: Option<u64>,
}

/// How to encode them.
pub struct EncodeOptions<'a> {
    pub add_special: bool,
    pub want: Want,
    pub pool: &'a rayon::ThreadPool,
    pub progress: &'a dyn Progress,
}

/// Encode every line of `input`. `sink` receives full encodings in line order when `want` is
/// `Full`; counts are always totalled.
pub fn encode_lines(
    tokenizer: &Tokenizer,
    input: Lines<'_>,
    options: &EncodeOptions<'_>,
    mut sink: impl FnMut(LineEncoding) -> std::io::Result<()>,
) -> Result<Throughput, EncodeError> {
    let EncodeOptions { add_special, want, pool, progress } = *options;
    let Lines { reader: input, path, total_bytes } = input;
    let started = Instant::now();
    let io = |source| EncodeError::Io { path: path.to_path_buf(), source };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut stats = Throughput { threads: pool.current_num_threads(), ..Throughput::default() };
    progress.start("tokenizing", total_bytes);
    let mut batch: Vec<String> = Vec::new();
    let mut raw = Vec::new();
    let mut first_line = 1u64;
    loop {
        batch.clear();
        let mut batch_bytes = 0usize;
        while batch_bytes < BATCH_BYTES {
            raw.clear();
            let n = reader.read_until(b'\n', &mut raw).map_err(io)?;
            if n == 0 {
                break;
            }
            batch_bytes += n;
            if raw.last() == Some(&b'\n') {
                raw.pop();
                if raw.last() == Some(&b'\r') {
                    raw.pop();
                }
            }
            let line = first_line + batch.len() as u64;
            let text = std::str::from_utf8(&raw).map_err(|e| EncodeError::Utf8 {
                path: path.to_path_buf(),
                line,
                byte: e.valid_up_to(),
            })?;
            batch.push(text.to_string());
        }
        if batch.is_empty() {
            break;
        }
        let fail = |i: usize, e: tokenizers::Error| EncodeError::Tokenize {
            path: path.to_path_buf(),
            line: first_line + i as u64,
            reason: e.to_string(),
        };
        match want {
            Want::Count => {
                let counts: Vec<Result<usize, EncodeError>> = pool.install(|| {
                    batch
                        .par_iter()
                        .enumerate()
                        .map(|(i, l)| {
                            tokenizer.encode_fast(l.as_str(), add_special).map(|e| e.len()).map_err(|e| fail(i, e))
                        })
                        .collect()
                });
                for c in counts {
                    stats.tokens += c? as u64;
                }
            }
            Want::Full => {
                let encs: Vec<Result<tokenizers::Encoding, EncodeError>> = pool.install(|| {
                    batch
                        .par_iter()
                        .enumerate()
                        .map(|(i, l)| tokenizer.encode_char_offsets(l.as_str(), add_special).map_err(|e| fail(i, e)))
                        .collect()
                });
                for (i, e) in encs.into_iter().enumerate() {
                    let e = e?;
                    stats.tokens += e.len() as u64;
                    sink(LineEncoding {
                        line: first_line + i as u64,
                        ids: e.get_ids().to_vec(),
                        tokens: e.get_tokens().to_vec(),
                        offsets: e.get_offsets().to_vec(),
                    })
                    .map_err(io)?;
                }
            }
        }
        stats.lines += batch.len() as u64;
        stats.bytes += batch_bytes as u64;
        first_line += batch.len() as u64;
        progress.advance(batch_bytes as u64);
    }
    progress.finish();
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}
