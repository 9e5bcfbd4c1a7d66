//! Errors of model loading, tokenization and chat templates, with the path or name to act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
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

    #[error("cannot write `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("`{path}` is not a valid GGUF file: {reason}")]
    BadGguf { path: PathBuf, reason: String },

    #[error("`{path}` holds {dtype} tensors (GGUF type {id}), which hfx cannot read yet")]
    UnsupportedTensorType { path: PathBuf, dtype: &'static str, id: u32 },

    #[error("GGUF metadata key `{key}` in `{path}` is missing or has the wrong type")]
    GgufKey { path: PathBuf, key: String },

    #[error("unsupported GGUF tokenizer `{kind}` in `{path}`")]
    UnsupportedGgufTokenizer { path: PathBuf, kind: String },

    #[error("unsupported GGUF pre-tokenizer `{pre}` in `{path}`")]
    UnsupportedPreTokenizer { path: PathBuf, pre: String },

    #[error("cannot load tokenizer `{path}`: {reason}")]
    BadTokenizer { path: PathBuf, reason: String },

    #[error("`{location}` has no tokenizer (no tokenizer.json and no .gguf file)")]
    NoTokenizer { location: String },

    #[error("`{location}` has several GGUF files: {candidates}")]
    AmbiguousGguf { location: String, candidates: String },

    #[error("`{location}` has no GGUF file of quantization `{tag}`")]
    NoSuchQuant { location: String, tag: String, available: String },

    #[error("`{path}` does not exist")]
    NotFound { path: PathBuf },

    #[error("tokenization failed: {0}")]
    Tokenize(String),

    #[error("token id {id} is outside the vocabulary (size {vocab})")]
    UnknownId { id: u32, vocab: usize },

    #[error("the model has no chat template")]
    NoChatTemplate,

    #[error("invalid chat template: {0}")]
    BadTemplate(String),

    #[error("cannot render the chat template: {0}")]
    Render(String),

    #[error("cannot load model `{path}`: {reason}")]
    BadModel { path: PathBuf, reason: String },

    #[error("no safetensors weights in `{dir}`")]
    NoSafetensors { dir: PathBuf, pickle_only: bool },

    #[error("unsupported model type `{model_type}`")]
    UnsupportedArchitecture { model_type: String },

    #[error("cannot apply the LoRA adapter `{path}`: {reason}")]
    BadAdapter { path: PathBuf, reason: String },

    #[error("the LoRA adapter `{path}` was made for another base model ({detail})")]
    AdapterShape { path: PathBuf, detail: String },

    #[error("generation failed: {0}")]
    Generation(String),

    #[error("device `{device}` is not available in this build")]
    DeviceNotBuilt { device: String, feature: &'static str },

    #[error("cannot open device `{device}`: {reason}")]
    Device { device: String, reason: String },

    #[error("the prompt has {tokens} tokens; the model's context is {context}")]
    PromptTooLong { tokens: usize, context: usize },

    #[error("{what} is {value} tokens, over the model's context of {context}")]
    OverContext { what: String, value: usize, context: usize },

    #[error("cannot export: {what}")]
    Export { what: String, hint: String },

    #[error("invalid grammar: {0}")]
    Grammar(String),

    #[error("invalid tools in `{path}`: {reason}")]
    BadTools { path: PathBuf, reason: String },

    #[error("the model's chat template has no tool support")]
    NoToolTemplate,

    #[error("invalid chat messages in `{path}`: {reason}")]
    BadMessages { path: PathBuf, reason: String },
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

impl crate::report::Hint for ModelError {
    /// An actionable suggestion, shown as `hint:` under the error.
    fn hint(&self) -> Option<String> {
        Some(match self {
            ModelError::DeviceNotBuilt { feature, .. } => {
                format!("build hfx with `cargo install hfx --features {feature}`, or use `--device cpu`")
            }
            ModelError::Device { .. } => "check the device index and drivers, or use `--device cpu`".into(),
            ModelError::BadGguf { .. } => {
                "the file may be truncated or not a GGUF file; re-download it (`hfx download --force`)".into()
            }
            ModelError::UnsupportedTensorType { .. } => {
                "hfx reads F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q2_K to Q6_K (the K-quant files: \
                 Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, Q6_K); name one of those, e.g. `org/repo:Q4_K_M`"
                    .into()
            }
            ModelError::UnsupportedGgufTokenizer { .. } => {
                "supported GGUF tokenizers: `gpt2` (byte-level BPE) and `llama` (SentencePiece); \
                 point hfx at the model's tokenizer.json instead"
                    .into()
            }
            ModelError::UnsupportedPreTokenizer { .. } => format!(
                "supported `tokenizer.ggml.pre` values: {}; point hfx at the model's tokenizer.json instead",
                super::tokenizer::SUPPORTED_PRE.join(", ")
            ),
            ModelError::NoTokenizer { .. } => {
                "pass a repository with tokenizer.json, a folder containing one, or a .gguf file".into()
            }
            ModelError::NoSuchQuant { available, .. } => format!("available: {available}"),
            ModelError::AmbiguousGguf { .. } => {
                "name one: a quantization tag (`org/repo:Q4_K_M`, `--gguf-file Q8_0`) or a file (`--gguf-file NAME.gguf`)"
                    .into()
            }
            ModelError::NoSafetensors { pickle_only: true, .. } => {
                "this repository has only pickle (`.bin`/`.pt`) weights, which hfx never loads (unpickling runs \
                 code); use a repository with model.safetensors"
                    .into()
            }
            ModelError::NoSafetensors { .. } => {
                "hfx loads `model.safetensors` or sharded safetensors with an index".into()
            }
            ModelError::UnsupportedArchitecture { .. } => format!(
                "text generation: {} (safetensors), {} (GGUF); embeddings: {}",
                super::decoder::SAFETENSORS_DECODERS.join(", "),
                super::decoder::GGUF_DECODERS.join(", "),
                super::embed::SUPPORTED_ENCODERS.join(", ")
            ),
            ModelError::BadModel { .. } => {
                "the file may be truncated or corrupt: check it with `hfx cache verify`, then re-download".into()
            }
            ModelError::BadAdapter { .. } => {
                "hfx applies plain PEFT LoRA (q/k/v/o/gate/up/down projections, bias none, no DoRA, \
                 no modules_to_save)"
                    .into()
            }
            ModelError::AdapterShape { .. } => {
                "use the adapter with the base model named in its adapter_config.json (base_model_name_or_path)".into()
            }
            ModelError::Export { hint, .. } => hint.clone(),
            ModelError::Write { .. } => "check that the folder exists, is writable and has room".into(),
            ModelError::PromptTooLong { .. } => "shorten the prompt, or use a model with a longer context".into(),
            ModelError::OverContext { .. } => "lower it, or leave it unset to follow the context (`--ctx`)".into(),
            ModelError::UnknownId { .. } => "ids come from `hfx tokenize MODEL TEXT --ids`".into(),
            ModelError::NoChatTemplate => {
                "base models have no template; tokenize the text itself, or use the instruct variant".into()
            }
            ModelError::Grammar(_) => {
                "JSON Schema, regex and Lark syntax as llguidance reads them: \
                 https://github.com/guidance-ai/llguidance/blob/main/docs/syntax.md"
                    .into()
            }
            ModelError::BadTools { .. } => {
                r#"expected OpenAI's list: [{"type": "function", "function": {"name": "f", "parameters": {...}}}]"#.into()
            }
            ModelError::NoToolTemplate => "use a model whose template renders `tools` (Qwen 2.5, Llama 3.1, Mistral)".into(),
            ModelError::BadMessages { .. } => r#"expected a JSON list like [{"role": "user", "content": "Hi"}]"#.into(),
            _ => return None,
        })
    }
}

/// A candle error's message without the backtrace candle appends to it when `RUST_BACKTRACE`
/// is set (dozens of frames under an `error:` line).
pub fn candle_message(e: &candle_core::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// A candle error met while loading the model at `path`, as `BadModel`.
pub fn bad_model(path: &std::path::Path) -> impl Fn(candle_core::Error) -> ModelError + '_ {
    move |e| ModelError::BadModel { path: path.to_path_buf(), reason: candle_message(&e) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn candle_message_drops_the_backtrace() {
        // What candle's `Error::bt()` renders with RUST_BACKTRACE set: the message, then frames.
        let e = candle_core::Error::Msg(
            "no CUDA-capable device is detected\n   0: candle_core::error::Error::bt\n   1: hfx::main".into(),
        );
        let full = e.to_string();
        assert!(full.lines().count() > 1, "{full}");
        assert_eq!(super::candle_message(&e), "no CUDA-capable device is detected");
    }
}
