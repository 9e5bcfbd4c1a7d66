//! LoRA fine-tuning: a decoder's training pass with hand-written gradients (`ops`,
//! `attention`, `mm`, `model`), training records and their labels (`records`), the optimizer
//! (`optim`), PEFT adapter files (`adapter`) and the loop that ties them together (`run`).
//! Takes paths and options structs; knows nothing of clap or terminals and reports through
//! `TrainProgress`.

pub mod adapter;
#[cfg(target_arch = "x86_64")]
pub(crate) mod amx;
pub mod attention;
pub mod error;
pub mod gate;
mod lora_ops;
pub(crate) mod mm;
pub mod model;
pub mod ops;
pub mod parts;

pub use error::TrainError;
pub use mm::Precision;
pub mod card;
pub mod optim;
pub mod records;
pub mod run;

pub mod plot;
