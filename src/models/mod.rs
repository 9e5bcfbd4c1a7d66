//! Models: GGUF metadata, tokenizers, chat templates, and resolving a model reference to files.
//! Knows nothing of clap or terminals.

pub mod bench;
pub mod chat;
pub mod convert;
pub mod decoder;
pub mod device;
pub mod embed;
pub mod encode;
pub mod error;
pub mod generate;
pub mod gguf;
pub mod lora;
pub mod resolve;
pub mod session;
pub mod tokenizer;

pub use error::ModelError;
