//! What can go wrong while fine-tuning, with what to do about it.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum TrainError {
    #[error(transparent)]
    Model(#[from] crate::models::ModelError),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error("training computation failed: {0}")]
    Compute(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the dataset has no usable records{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    EmptyDataset { detail: Option<String> },
    #[error("record {line} of {source_name}: {reason}")]
    BadRecord { source_name: String, line: usize, reason: String },
    #[error("cannot tell the record shape from the columns {columns:?}")]
    UnknownShape { columns: Vec<String> },
    #[error("output directory {} already exists", path.display())]
    OutputExists { path: PathBuf },
    #[error("no checkpoint to resume in {}", path.display())]
    NoCheckpoint { path: PathBuf },
    #[error("the checkpoint in {} does not match this run: {reason}", path.display())]
    CheckpointMismatch { path: PathBuf, reason: String },
    #[error("{0}")]
    Config(String),
    #[error("interrupted")]
    Interrupted,
}

pub type Result<T, E = TrainError> = std::result::Result<T, E>;

impl TrainError {
    pub fn model(e: candle_core::Error) -> Self {
        Self::Compute(crate::models::error::candle_message(&e))
    }

    pub fn io(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl crate::report::Hint for TrainError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Model(e) => return e.hint(),
            Self::Data(e) => return e.hint(),
            Self::EmptyDataset { .. } => {
                "records need `messages`, `prompt` + `completion` or `text` (map other names with \
                 --messages-column, --prompt-column, --completion-column, --text-column)"
                    .into()
            }
            Self::BadRecord { .. } => "fix or remove that record; the line number counts from 1".into(),
            Self::UnknownShape { .. } => {
                "name the columns with --messages-column, --prompt-column/--completion-column or --text-column".into()
            }
            Self::OutputExists { .. } => {
                "pass --overwrite to replace it, --resume to continue its run, or another --output".into()
            }
            Self::NoCheckpoint { .. } => "start without --resume, or point --output at a previous run".into(),
            Self::CheckpointMismatch { .. } => {
                "resume with the same model, data and LoRA settings, or start a new run with --overwrite".into()
            }
            Self::Interrupted => "continue with the same command and --resume".into(),
            _ => return None,
        })
    }
}
