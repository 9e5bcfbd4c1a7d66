//! `hfx finetune` and the training pass under it, against what transformers + PEFT compute on
//! the f32 SmolLM2 (`tests/data/reference/smollm2/train/`, copied from `../shared/reference/`).

use serde_json::Value;

use crate::common::*;
use crate::generate::{adapter_dir as start_adapter, ids, logsumexp, model as f32_model};
use hfx::models::decoder::{Decoder, WeightDtype};
use hfx::train::model::{Batch, Trainer};
use hfx::train::{Precision, adapter};

mod cli;
mod datasets;
mod peft;
mod training_pass;

fn gguf() -> String {
    fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").to_string_lossy().into_owned()
}

/// A small chat set: multiplication questions with short answers.
fn write_chat_set(path: &std::path::Path, n: usize) {
    let mut out = String::new();
    for i in 0..n {
        let (a, b) = (2 + i % 9, 3 + (i * 7) % 8);
        let rec = serde_json::json!({"messages": [
            {"role": "user", "content": format!("What is {a} times {b}?")},
            {"role": "assistant", "content": format!("{a} times {b} is {}.", a * b)},
        ]});
        out.push_str(&rec.to_string());
        out.push('\n');
    }
    fs_err::write(path, out).unwrap();
}

fn log_lines(dir: &std::path::Path) -> Vec<Value> {
    fs_err::read_to_string(dir.join("training_log.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
