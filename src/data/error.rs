//! Errors of dataset discovery, reading and export, each naming the file and line or row.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A positioned read from an open file (which does not know its path).
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file system call through fs-err, whose message names the operation and the path.
    #[error(transparent)]
    File(#[from] std::io::Error),

    #[error("`{path}` line {line}: {reason}")]
    BadLine { path: PathBuf, line: u64, reason: String },

    #[error("`{path}` record {record}: {reason}")]
    BadRecord { path: PathBuf, record: u64, reason: String },

    #[error("`{path}` is not a readable parquet file: {reason}")]
    BadParquet { path: PathBuf, reason: String },

    #[error("`{path}`: {reason}")]
    BadFile { path: PathBuf, reason: String },

    #[error("unsupported data file `{path}`")]
    UnsupportedFormat { path: String },

    #[error("the dataset card's `configs:` block is invalid: {reason}")]
    BadCard { reason: String },

    #[error("`{repo}` has no data files")]
    NoDataFiles { repo: String },

    #[error("config `{config}` does not exist")]
    UnknownConfig { config: String, available: Vec<String> },

    #[error("split `{split}` does not exist in config `{config}`")]
    UnknownSplit { config: String, split: String, available: Vec<String> },

    #[error("the dataset has several configs; choose one")]
    ConfigRequired { available: Vec<String> },

    #[error("column `{column}` does not exist")]
    UnknownColumn { column: String, available: Vec<String> },

    #[error("cannot write `{path}`: {reason}")]
    Write { path: PathBuf, reason: String },

    #[error("unsupported output `{path}`")]
    UnsupportedOutput { path: PathBuf },

    #[error(transparent)]
    Hub(#[from] crate::hub::HubError),
}

pub type Result<T, E = DataError> = std::result::Result<T, E>;

impl crate::report::Hint for DataError {
    /// An actionable suggestion, shown as `hint:` under the error.
    fn hint(&self) -> Option<String> {
        Some(match self {
            DataError::UnknownConfig { available, .. } | DataError::ConfigRequired { available } => {
                format!("pass `--config` with one of: {}", available.join(", "))
            }
            DataError::UnknownSplit { available, .. } => format!("available splits: {}", available.join(", ")),
            DataError::UnknownColumn { available, .. } => format!("available columns: {}", available.join(", ")),
            DataError::BadLine { .. } | DataError::BadRecord { .. } => {
                "fix or remove that line; `hfx dataset preview` shows the rows before it".into()
            }
            DataError::BadParquet { .. } => {
                "the file may be truncated or corrupt: check it with `hfx cache verify`, then re-download".into()
            }
            DataError::UnsupportedFormat { .. } => {
                "supported: .parquet, .jsonl, .json, .csv, .tsv, .txt (optionally .gz or .zst)".into()
            }
            DataError::UnsupportedOutput { .. } => "write to a file ending in .jsonl, .parquet, .csv or .tsv".into(),
            DataError::NoDataFiles { .. } => {
                "list the repository with `hfx repo ls`; script-only datasets need their parquet conversion".into()
            }
            DataError::Hub(e) => return e.hint(),
            _ => return None,
        })
    }
}
