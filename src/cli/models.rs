//! Data and model subcommands: dataset, tokenize, convert, run, bench, serve, finetune.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::models::device::DeviceSpec;

#[derive(Debug, Args)]
pub struct DatasetArgs {
    #[command(subcommand)]
    pub command: DatasetCommand,
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Download a dataset (or chosen configs/splits) into the cache and print the path.
    Fetch(DatasetFetchArgs),
    /// Show configs, splits, files, sizes, row counts and columns.
    Info(DatasetInfoArgs),
    /// Show the first rows of a split.
    Preview(DatasetPreviewArgs),
    /// Convert a split to jsonl, parquet or csv, streaming.
    Export(DatasetExportArgs),
}

#[derive(Debug, Args)]
pub struct DatasetRepoArgs {
    /// Dataset repository id (`org/name[@rev]`, `hf://datasets/org/name`) or local folder.
    pub repo: String,
    /// Branch, tag or commit.
    #[arg(long)]
    pub revision: Option<String>,
}

#[derive(Debug, Args)]
pub struct DatasetInfoArgs {
    #[command(flatten)]
    pub repo: DatasetRepoArgs,
    /// Only this config.
    #[arg(long)]
    pub config: Option<String>,
}

#[derive(Debug, Args)]
pub struct DatasetFetchArgs {
    #[command(flatten)]
    pub repo: DatasetRepoArgs,
    /// Only this config.
    #[arg(long)]
    pub config: Option<String>,
    /// Only these splits (repeatable).
    #[arg(long)]
    pub split: Vec<String>,
    /// Only files matching this glob (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
    /// Write real files into this directory instead of the shared cache.
    #[arg(long)]
    pub local_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DatasetPreviewArgs {
    #[command(flatten)]
    pub repo: DatasetRepoArgs,
    /// Config name.
    #[arg(long)]
    pub config: Option<String>,
    /// Split name.
    #[arg(long)]
    pub split: Option<String>,
    /// Number of rows.
    #[arg(short = 'n', long, default_value_t = 10)]
    pub rows: usize,
    /// Only these columns (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DatasetExportArgs {
    #[command(flatten)]
    pub repo: DatasetRepoArgs,
    /// Config name.
    #[arg(long)]
    pub config: Option<String>,
    /// Split to export.
    #[arg(long)]
    pub split: String,
    /// Output file (`.jsonl`, `.parquet`, `.csv` or `.tsv`); written to a temporary name first.
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  hfx tokenize HuggingFaceTB/SmolLM2-135M-Instruct \"Hello, world!\"
  hfx tokenize model.gguf --chat messages.json --json
  hfx tokenize ./my-model --file corpus.txt --count
  hfx tokenize org/model --decode 19556,28,905,17")]
pub struct TokenizeArgs {
    /// Model reference: repo id, `org/name@rev`, local directory, `tokenizer.json` or `.gguf` file.
    pub model: String,
    /// Text to tokenize (default: `--file`, else stdin when piped).
    pub text: Option<String>,
    /// Read inputs from this file, one per line (`-` for stdin); encoded in parallel.
    #[arg(long, short = 'f', conflicts_with_all = ["text", "chat", "decode"])]
    pub file: Option<PathBuf>,
    /// Print only the ids (one line per input).
    #[arg(long, conflicts_with_all = ["tokens", "offsets", "count"])]
    pub ids: bool,
    /// Print only the token strings (one line per input).
    #[arg(long, conflicts_with_all = ["offsets", "count"])]
    pub tokens: bool,
    /// Print only the character offsets `start:end` (one line per input).
    #[arg(long, conflicts_with = "count")]
    pub offsets: bool,
    /// Do not add the special tokens the tokenizer adds by default (e.g. BOS, [CLS]/[SEP]).
    #[arg(long)]
    pub no_special_tokens: bool,
    /// Print only the number of tokens (the total with `--file`).
    #[arg(long)]
    pub count: bool,
    /// Decode these comma-separated ids instead of encoding.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["text", "chat"])]
    pub decode: Vec<u32>,
    /// Render this chat (a JSON list of {role, content}) with the model's template, then tokenize.
    #[arg(long, conflicts_with = "text")]
    pub chat: Option<PathBuf>,
    /// With `--chat`: do not append the assistant prompt.
    #[arg(long, requires = "chat")]
    pub no_generation_prompt: bool,
    /// Pick a GGUF file inside a GGUF repository or folder: its name, or a quantization tag
    /// (`Q8_0`; the same as `org/repo:Q8_0`).
    #[arg(long)]
    pub gguf_file: Option<String>,
    /// Write the tokenizer as a `tokenizer.json` (e.g. the one built from a GGUF file) and exit.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "file", "chat", "decode"])]
    pub save_tokenizer: Option<PathBuf>,
    /// Worker threads for `--file` (default: the CPUs available).
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub threads: usize,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  hfx convert SmolLM2-135M-Instruct.Q4_1.gguf ./smollm2-f32
  hfx convert ./smollm2-f32 smollm2-merged.Q4_K_M.gguf --to gguf --lora ./my-adapter --quant q4_k_m
  hfx convert ./my-adapter my-adapter.gguf --to gguf-lora --base SmolLM2-135M-Instruct.Q4_1.gguf")]
pub struct ConvertArgs {
    /// The model: a .gguf file, a model folder or a Hub repo id (any architecture `run` reads).
    /// With `--to gguf-lora`, the PEFT adapter folder.
    pub model: String,
    /// Output: a folder for `safetensors`, a file for `gguf` and `gguf-lora`.
    pub out: PathBuf,
    /// Output format: a transformers folder, one GGUF file, or llama.cpp's LoRA adapter GGUF.
    #[arg(long, value_enum, default_value_t = ConvertTo::Safetensors)]
    pub to: ConvertTo,
    /// Merge this LoRA adapter (PEFT folder or LoRA GGUF) into the weights first.
    #[arg(long, value_name = "DIR", conflicts_with = "base")]
    pub lora: Option<PathBuf>,
    /// The base model the adapter belongs to (`--to gguf-lora`).
    #[arg(long, value_name = "MODEL", required_if_eq("to", "gguf-lora"))]
    pub base: Option<String>,
    /// Float type of the weights [default: as the source stores them; f32 from GGUF to
    /// safetensors].
    #[arg(long, value_enum)]
    pub dtype: Option<FloatDtype>,
    /// Quantize the GGUF with llama-quantize's tensor types for this preset.
    #[arg(long, value_enum, conflicts_with = "dtype")]
    pub quant: Option<ConvertQuant>,
    /// Pick a GGUF file inside a GGUF repository or folder: its name, or a quantization tag
    /// (`Q8_0`; the same as `org/repo:Q8_0`).
    #[arg(long)]
    pub gguf_file: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConvertTo {
    Safetensors,
    Gguf,
    GgufLora,
}

/// A float storage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FloatDtype {
    F32,
    F16,
    Bf16,
}

/// Blocks `--quant` quantizes float weights to while loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoadQuant {
    #[value(name = "q8_0")]
    Q8_0,
    #[value(name = "q4_0")]
    Q4_0,
    #[value(name = "q4_k")]
    Q4K,
    #[value(name = "q5_k")]
    Q5K,
    #[value(name = "q6_k")]
    Q6K,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConvertQuant {
    #[value(name = "q8_0")]
    Q8_0,
    #[value(name = "q4_0")]
    Q4_0,
    #[value(name = "q4_k_m")]
    Q4KM,
}

/// Shared model-loading flags.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Model reference: repo id, `org/name@rev`, `org/name:Q4_K_M` (one quantization of a GGUF
    /// repository; without a tag, Q4_K_M, else Q4_0, ...), local directory, or `.gguf` file.
    pub model: String,
    /// Pick a GGUF file inside a GGUF repository: its name, or a quantization tag (`Q8_0`).
    #[arg(long)]
    pub gguf_file: Option<String>,
    /// How weights are held: f32, f16 or bf16 (default: as stored: quantized GGUF blocks stay
    /// quantized, f16/bf16 stay 16-bit, f32 stays f32). Activations are f32.
    #[arg(long, value_enum)]
    pub dtype: Option<FloatDtype>,
    /// Quantize float weights while loading, one tensor at a time (the peak never holds the
    /// whole f32 model). As llama-quantize: rows that K-quant blocks do not fit take Q5_0
    /// (q4_k), Q5_1 (q5_k) or Q8_0 (q6_k), and the output projection gets Q6_K under q4_0,
    /// q4_k and q5_k.
    /// Quantized GGUF tensors stay as they are.
    #[arg(long, value_enum, conflicts_with = "dtype")]
    pub quant: Option<LoadQuant>,
    /// Device: cpu, cuda[:N] or metal.
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    pub device: DeviceSpec,
    /// CPU threads.
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("constraint").multiple(false)))]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Prompt (default: stdin when piped, else an interactive chat).
    pub prompt: Option<String>,
    /// System prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// Do not apply the chat template.
    #[arg(long)]
    pub raw: bool,
    /// Maximum new tokens.
    #[arg(long, default_value_t = 256)]
    pub max_new_tokens: usize,
    /// Sampling temperature (0 = greedy).
    #[arg(long, default_value_t = 0.7)]
    pub temperature: f64,
    /// Top-k sampling.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Top-p (nucleus) sampling.
    #[arg(long)]
    pub top_p: Option<f64>,
    /// Min-p sampling.
    #[arg(long)]
    pub min_p: Option<f64>,
    /// Repetition penalty.
    #[arg(long, default_value_t = 1.0)]
    pub repeat_penalty: f32,
    /// Window for the repetition penalty.
    #[arg(long, default_value_t = 64)]
    pub repeat_last_n: usize,
    /// Random seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop strings (repeatable).
    #[arg(long)]
    pub stop: Vec<String>,
    /// Apply a LoRA adapter: a PEFT folder or a llama.cpp LoRA GGUF file.
    #[arg(long)]
    pub lora: Option<PathBuf>,
    /// Read one input per line from this file (embedding models).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Constrain the answer to JSON valid against this JSON Schema file.
    #[arg(long, value_name = "FILE", group = "constraint", help_heading = "Structured output")]
    pub json_schema: Option<PathBuf>,
    /// Constrain the answer to a JSON object.
    #[arg(long, group = "constraint", help_heading = "Structured output")]
    pub json_object: bool,
    /// Constrain the answer to match this regular expression.
    #[arg(long, value_name = "RE", group = "constraint", help_heading = "Structured output")]
    pub regex: Option<String>,
    /// Constrain the answer to this grammar (llguidance's Lark syntax).
    #[arg(long, value_name = "FILE.lark", group = "constraint", help_heading = "Structured output")]
    pub grammar: Option<PathBuf>,
    /// Offer these functions to the model (a JSON file with OpenAI's `tools` list) and print
    /// its answer as JSON: `{"content", "tool_calls": [{"name", "arguments"}], "finish_reason"}`
    /// (`tool_calls` when it called).
    #[arg(long, value_name = "FILE", group = "constraint", help_heading = "Tool calling")]
    pub tools: Option<PathBuf>,
    /// With --tools: auto (the model chooses), required (at least one call), none, or a
    /// function's name (that call). Calls are held to the tools' schemas.
    #[arg(long, value_name = "CHOICE", default_value = "auto", requires = "tools", help_heading = "Tool calling")]
    pub tool_choice: String,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Prompt lengths to process in one batch (comma-separated or repeated; 0 skips).
    #[arg(short = 'p', long = "n-prompt", value_delimiter = ',', default_value = "512")]
    pub n_prompt: Vec<usize>,
    /// Tokens to generate one at a time (comma-separated or repeated; 0 skips).
    #[arg(short = 'n', long = "n-gen", value_delimiter = ',', default_value = "128")]
    pub n_gen: Vec<usize>,
    /// Repetitions of each test (after one warm-up run).
    #[arg(short = 'r', long = "repetitions", default_value_t = 3)]
    pub repetitions: usize,
    /// Sequences generating together, one token each per step as `hfx serve` batches them
    /// (comma-separated or repeated; llama-batched-bench's `-npl`): generation tests report
    /// their aggregate tokens per second.
    #[arg(long, value_delimiter = ',', default_value = "1", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: Vec<u16>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  hfx finetune HuggingFaceTB/SmolLM2-135M-Instruct --lora --data train.jsonl --output smol-lora
  hfx finetune ./model.Q4_K_M.gguf --lora --data org/chats:default --max-steps 200 --output out
  hfx run HuggingFaceTB/SmolLM2-135M-Instruct --lora smol-lora \"Hello\"

Records: {\"messages\": [...]} (loss on assistant turns), {\"prompt\", \"completion\"} (loss on the
completion), {\"text\"} (loss on every token). A GGUF model trains on its quantized weights
(QLoRA); OUTPUT is a PEFT adapter folder that PEFT, `hfx run --lora` and `hfx serve --lora` load.
Ctrl-C saves a checkpoint; run the same command with --resume to continue.")]
pub struct FinetuneArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Train a LoRA adapter (the only kind of fine-tuning hfx does).
    #[arg(long)]
    pub lora: bool,
    /// Training data: a local .jsonl/.json/.parquet/.csv file or a dataset repo
    /// (`org/name[:config][@rev]`, its train split).
    #[arg(long, value_name = "SOURCE", required = true)]
    pub data: String,
    /// The adapter folder to write.
    #[arg(long, short = 'o', value_name = "DIR", required = true)]
    pub output: PathBuf,
    /// LoRA rank r (PEFT's default).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub rank: u32,
    /// LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with --rslora).
    #[arg(long, default_value_t = 16.0)]
    pub alpha: f64,
    /// Dropout on the adapters' input.
    #[arg(long, default_value_t = 0.05)]
    pub dropout: f64,
    /// Projections to adapt: a comma-separated list of q_proj, k_proj, v_proj, o_proj,
    /// gate_proj, up_proj, down_proj, or `all-linear` (PEFT's default: q_proj,v_proj).
    #[arg(long, value_delimiter = ',', default_value = "q_proj,v_proj")]
    pub target_modules: Vec<String>,
    /// Rank-stabilised LoRA: scale by alpha / sqrt(r).
    #[arg(long)]
    pub rslora: bool,
    /// Passes over the training data (TRL's default); ignored with --max-steps.
    #[arg(long, default_value_t = 3.0)]
    pub epochs: f64,
    /// Stop after this many optimizer updates.
    #[arg(long)]
    pub max_steps: Option<u64>,
    /// Records per micro-batch (TRL's default).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Micro-batches per optimizer update; the loss is the mean over all their labelled tokens.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub grad_accum: u32,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-4)]
    pub lr: f64,
    /// Optimizer (torch's AdamW: betas 0.9/0.999, eps 1e-8).
    #[arg(long, default_value = "adamw", value_parser = ["adamw", "sgd"])]
    pub optimizer: String,
    /// Weight decay (decoupled, for AdamW).
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Learning-rate schedule after the warmup.
    #[arg(long, default_value = "linear", value_parser = ["linear", "cosine", "constant"])]
    pub scheduler: String,
    /// Updates of linear warmup.
    #[arg(long, conflicts_with = "warmup_ratio")]
    pub warmup_steps: Option<u64>,
    /// Warmup as a fraction of all updates.
    #[arg(long, default_value_t = 0.0)]
    pub warmup_ratio: f64,
    /// Clip the gradients' global L2 norm to this (0 turns clipping off).
    #[arg(long, default_value_t = 1.0)]
    pub max_grad_norm: f64,
    /// Tokens per record (TRL's default); longer records are truncated (or dropped with
    /// --drop-long) and counted.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(2..))]
    pub max_seq_len: u32,
    /// Drop records longer than --max-seq-len instead of truncating them.
    #[arg(long)]
    pub drop_long: bool,
    /// Keep one layer's activations at a time and recompute each layer in the backward pass:
    /// far less memory for long records and big batches, about a third more compute.
    #[arg(long)]
    pub gradient_checkpointing: bool,
    /// How the frozen weights' matrix products are computed, with torch's
    /// set_float32_matmul_precision names: highest in f32; high splits each f32 into two bf16
    /// and adds three products (about 16 significant bits, within the PEFT reference's
    /// tolerances); medium is one bf16 product (bf16 mixed precision). high runs on AMX
    /// (Intel Xeon 4th generation and later), medium on AMX or AVX512-BF16 (AMD Zen 4 and
    /// later); where the CPU lacks them, the products are computed in f32.
    #[arg(long, default_value = "high", value_parser = ["highest", "high", "medium"])]
    pub matmul_precision: String,
    /// Pack several records into each row of --max-seq-len tokens (each still attends only
    /// to itself, with its own positions).
    #[arg(long)]
    pub packing: bool,
    /// Hold out this fraction of the records for evaluation.
    #[arg(long, default_value_t = 0.0, conflicts_with = "eval_data")]
    pub eval_split: f64,
    /// Evaluation data (same forms as --data).
    #[arg(long, value_name = "SOURCE")]
    pub eval_data: Option<String>,
    /// Evaluate every N updates (and always at the end when there is evaluation data).
    #[arg(long, value_name = "N")]
    pub eval_every: Option<u64>,
    /// Save a checkpoint every N updates (Ctrl-C always saves one).
    #[arg(long, value_name = "N")]
    pub save_every: Option<u64>,
    /// Continue the run in --output from its newest checkpoint.
    #[arg(long, conflicts_with = "overwrite")]
    pub resume: bool,
    /// Replace an existing --output.
    #[arg(long)]
    pub overwrite: bool,
    /// Start from this PEFT adapter (its rank, alpha and targets).
    #[arg(long, value_name = "DIR")]
    pub adapter: Option<PathBuf>,
    /// Seed for the LoRA init, shuffling and dropout (TRL's default).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Column with the conversation.
    #[arg(long, default_value = "messages")]
    pub messages_column: String,
    /// Column with the prompt.
    #[arg(long, default_value = "prompt")]
    pub prompt_column: String,
    /// Column with the completion.
    #[arg(long, default_value = "completion")]
    pub completion_column: String,
    /// Column with plain text.
    #[arg(long, default_value = "text")]
    pub text_column: String,
    /// Upload the adapter to this model repo when done.
    #[arg(long, value_name = "REPO")]
    pub push: Option<String>,
    /// Create the --push repo private.
    #[arg(long, requires = "push")]
    pub private: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  hfx serve HuggingFaceTB/SmolLM2-135M-Instruct-GGUF
  hfx serve ./model.gguf --port 0 --api-key \"$KEY\" --max-batch-size 16
  curl -N localhost:8080/v1/chat/completions -d '{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}'

Routes: OpenAI /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models; TGI /generate,
/generate_stream, /info, /tokenize; /health (503 until the model is loaded) and /metrics
(Prometheus). Prompts over the limits are refused with both numbers, never truncated.")]
pub struct ServeArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one; the address is printed on stderr).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Require `Authorization: Bearer KEY` on every route but /health.
    #[arg(long, env = "HFX_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// The model's name in /v1/models and responses (default: the model reference).
    #[arg(long)]
    pub served_model_name: Option<String>,
    /// Serve a PEFT LoRA adapter under NAME (repeatable); a request picks it with `model: NAME`
    /// (OpenAI) or `adapter_id` (TGI), and one batch mixes adapters and the base model.
    #[arg(long, value_name = "NAME=DIR")]
    pub lora: Vec<String>,
    /// Sequences decoded together in one step (continuous batching).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub max_batch_size: u32,
    /// Longest prompt accepted, in tokens (default: the context minus one).
    #[arg(long)]
    pub max_input_tokens: Option<usize>,
    /// Longest prompt plus completion, in tokens (default: the context); also the completion
    /// length when a request sets none.
    #[arg(long)]
    pub max_total_tokens: Option<usize>,
    /// KV positions reserved by running sequences together (prompt + max tokens each); admission
    /// waits for room (default: max batch size x max total tokens).
    #[arg(long)]
    pub max_batch_total_tokens: Option<usize>,
    /// Requests waiting for a batch slot before new ones get 429.
    #[arg(long, default_value_t = 128)]
    pub max_queue: usize,
    /// Context length to serve (default: the model's own; a smaller one caps memory).
    #[arg(long)]
    pub ctx: Option<usize>,
    /// Allow browsers from this origin (repeatable; `*` for any).
    #[arg(long)]
    pub cors_origin: Vec<String>,
    /// Seconds to let in-flight requests finish after SIGTERM or Ctrl-C.
    #[arg(long, default_value_t = 30)]
    pub shutdown_timeout: u64,
    /// Do not serve the chat page at `/`.
    #[arg(long)]
    pub no_webui: bool,
}

/// `--device`: a usage error (exit 2) names the accepted values.
fn parse_device(s: &str) -> Result<DeviceSpec, String> {
    DeviceSpec::parse(s).ok_or_else(|| format!("unknown device `{s}` (cpu, cuda, cuda:N or metal)"))
}
