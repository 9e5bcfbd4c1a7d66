//! Loading a resolved model into memory: the one API `run`, `bench`, `serve` and `finetune` load
//! through. A GGUF file is parsed once and its weights and tokenizer load in parallel; a folder is
//! a decoder (llama family) or an encoder (sentence embeddings) by its `model_type`.

use std::path::PathBuf;
use std::time::Instant;

use candle_core::Device;

use super::decoder::{Decoder, SAFETENSORS_DECODERS, WeightDtype};
use super::embed;
use super::error::{ModelError, Result};
use super::gguf::Gguf;
use super::release_free_memory;
use super::resolve::ModelFiles;
use super::tokenizer::LoadedTokenizer;

/// What a model reference turned out to be.
pub enum Loaded {
    Decoder {
        model: Box<Decoder>,
        tok: Box<LoadedTokenizer>,
        started: Instant,
    },
    /// An embedding model's folder (`Embedder::load` reads it).
    Encoder(PathBuf),
}

/// Load the files `resolve` found.
pub fn load(files: ModelFiles, device: &Device, dtype: WeightDtype) -> Result<Loaded> {
    let started = Instant::now();
    let dir = match files {
        ModelFiles::Dir(d) => d,
        ModelFiles::Gguf(path) => {
            // One parse of the header; the tokenizer thread takes the vocabulary arrays and frees
            // them (and its scratch) while the weights load.
            let mut header = Gguf::open(&path)?;
            let vocab = header.split_vocabulary();
            let (model, tok) =
                both(|| Decoder::from_parsed_gguf(&header, device, dtype), || LoadedTokenizer::from_parsed_gguf(vocab));
            drop(header);
            release_free_memory();
            let model = model?;
            log_loaded(&model, &path, started);
            return Ok(Loaded::Decoder { model: Box::new(model), tok: Box::new(tok?), started });
        }
        ModelFiles::TokenizerJson(p) => {
            return Err(ModelError::NotFound { path: p.with_file_name("config.json") });
        }
    };
    let kind = embed::model_type(&dir)?;
    if SAFETENSORS_DECODERS.contains(&kind.as_str()) || kind == "gemma3" {
        let (model, tok) = both(|| Decoder::from_safetensors(&dir, device, dtype), || LoadedTokenizer::from_dir(&dir));
        let model = model?;
        log_loaded(&model, &dir, started);
        return Ok(Loaded::Decoder { model: Box::new(model), tok: Box::new(tok?), started });
    }
    if !embed::SUPPORTED_ENCODERS.contains(&kind.as_str()) {
        return Err(ModelError::UnsupportedArchitecture { model_type: kind });
    }
    Ok(Loaded::Encoder(dir))
}

fn log_loaded(model: &Decoder, from: &std::path::Path, started: Instant) {
    tracing::debug!(
        "loaded {} layers, {} parameters ({} MiB of weights) on {:?} from {} in {} ms",
        model.layers.len(),
        model.parameters(),
        model.weight_bytes() >> 20,
        model.device,
        from.display(),
        started.elapsed().as_millis()
    );
}

/// Run two loads at once (weights and tokenizer take similar time: the time to the first token
/// is the longer of the two, not their sum).
fn both<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|s| {
        let tb = s.spawn(b);
        let ra = a();
        let rb = tb.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (ra, rb)
    })
}
