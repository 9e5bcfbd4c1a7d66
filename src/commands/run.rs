//! `hfx run`: local inference. Today: sentence embeddings with encoder (BERT-family) models;
//! decoder generation is tracked in issue #5 and answers with a clear error.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use serde::Serialize;

use crate::cache::{ModelRef, RepoType};
use crate::cli::RunArgs;
use crate::context::Context;
use crate::hub::download::Downloader;
use crate::models::ModelError;
use crate::models::chat::{ChatTemplate, Message, RenderOptions};
use crate::models::embed::{self, Embedder};
use crate::models::generate::{self as generation, Request, SamplingParams};
use crate::models::llama::Llama;
use crate::models::resolve::{self, ModelFiles, Purpose};
use crate::models::tokenizer::LoadedTokenizer;
use crate::output::DownloadProgress;

/// Inputs per forward pass with `--file`.
const BATCH: usize = 32;

#[derive(Serialize)]
struct Embedding<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    dim: usize,
    embedding: &'a [f32],
}

fn vector_line(v: &[f32]) -> String {
    v.iter().map(f32::to_string).collect::<Vec<_>>().join(" ")
}

pub(crate) async fn run(ctx: &Context, args: RunArgs) -> anyhow::Result<ExitCode> {
    if args.model.device != "cpu" {
        let feature = if args.model.device.starts_with("cuda") { "cuda" } else { "metal" };
        return Err(super::hinted(
            format!("device `{}` is not available in this build", args.model.device),
            format!("rebuild with `cargo build --release --features {feature}`, or use `--device cpu`"),
        ));
    }
    let reference = ModelRef::parse(&args.model.model, RepoType::Model)?;
    let files = match &reference {
        ModelRef::Local(p) => {
            if p.is_dir() && p.join("config.json").is_file() && args.model.gguf_file.is_none() {
                ModelFiles::Dir(p.clone())
            } else {
                resolve::local(p, args.model.gguf_file.as_deref())?
            }
        }
        ModelRef::Hub { .. } => {
            let client = ctx.client()?;
            let cache = ctx.cache();
            let progress = DownloadProgress::new(ctx.printer.progress, ctx.printer.quiet > 0);
            let downloader = Downloader::new(&client, &cache, ctx.download_options(8, false), &progress);
            resolve::resolve(&reference, args.model.gguf_file.as_deref(), Purpose::Weights, &downloader).await?
        }
    };
    let dir = match files {
        ModelFiles::Dir(d) => d,
        ModelFiles::Gguf(path) => {
            let started = std::time::Instant::now();
            let tok = LoadedTokenizer::from_gguf(&path)?;
            let mut model = Llama::from_gguf(&path, &candle_core::Device::Cpu)?;
            with_lora(ctx, &args, &mut model)?;
            return generate(ctx, &args, &model, &tok, started);
        }
        ModelFiles::TokenizerJson(p) => {
            return Err(ModelError::NotFound { path: p.with_file_name("config.json") }.into());
        }
    };
    let kind = embed::model_type(&dir)?;
    if crate::models::llama::SAFETENSORS_DECODERS.contains(&kind.as_str()) {
        let started = std::time::Instant::now();
        let tok = LoadedTokenizer::from_dir(&dir)?;
        let mut model = Llama::from_safetensors(&dir, &candle_core::Device::Cpu)?;
        with_lora(ctx, &args, &mut model)?;
        return generate(ctx, &args, &model, &tok, started);
    }
    if !embed::SUPPORTED_ENCODERS.contains(&kind.as_str()) {
        let decoders = ["llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "gemma3_text", "phi3"];
        if decoders.contains(&kind.as_str()) {
            return Err(ModelError::DecoderPending { what: format!("decoder models (`{kind}`)") }.into());
        }
        return Err(ModelError::UnsupportedArchitecture { model_type: kind }.into());
    }
    if args.lora.is_some() {
        return Err(super::usage("`--lora` applies to decoder models, not to embedding models"));
    }
    let embedder = Embedder::load(&dir)?;
    let p = &ctx.printer;
    let mut out = p.stdout();
    let json = p.is_json();
    let emit = |out: &mut dyn Write, line: Option<u64>, v: &[f32]| -> anyhow::Result<()> {
        if json {
            serde_json::to_writer(&mut *out, &Embedding { line, dim: v.len(), embedding: v })?;
            out.write_all(b"\n")?;
        } else {
            writeln!(out, "{}", vector_line(v))?;
        }
        Ok(())
    };

    if let Some(file) = &args.file {
        let text = std::fs::read(file).map_err(|source| ModelError::Io { path: file.clone(), source })?;
        let text = String::from_utf8(text)
            .map_err(|e| ModelError::BadModel { path: file.clone(), reason: format!("not UTF-8 text: {e}") })?;
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (b, chunk) in lines.chunks(BATCH).enumerate() {
            for (i, v) in embedder.embed(chunk)?.iter().enumerate() {
                emit(&mut out, Some((b * BATCH + i) as u64 + 1), v)?;
            }
        }
    } else {
        let text = match &args.prompt {
            Some(t) => t.clone(),
            None if !std::io::stdin().is_terminal() => {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s.strip_suffix('\n').map(str::to_string).unwrap_or(s)
            }
            None => return Err(super::usage("give the text to embed, `--file`, or pipe it on stdin")),
        };
        let v = embedder.embed(&[text])?;
        emit(&mut out, None, &v[0])?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn with_lora(ctx: &Context, args: &RunArgs, model: &mut Llama) -> anyhow::Result<()> {
    if let Some(dir) = &args.lora {
        let n = crate::models::lora::apply(model, dir)?;
        if ctx.printer.verbose > 0 {
            ctx.printer.info(&format!("LoRA adapter {} on {n} projections", dir.display()));
        }
    }
    Ok(())
}

/// Text generation with a decoder: chat template unless `--raw`, tokens streamed to stdout.
fn generate(
    ctx: &Context,
    args: &RunArgs,
    model: &Llama,
    tok: &LoadedTokenizer,
    started: std::time::Instant,
) -> anyhow::Result<ExitCode> {
    let p = &ctx.printer;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let prompt = match &args.prompt {
        Some(t) => t.clone(),
        None if !std::io::stdin().is_terminal() => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s.strip_suffix('\n').map(str::to_string).unwrap_or(s)
        }
        None => {
            return Err(super::hinted(
                "give a prompt (or pipe one on stdin)",
                "the interactive chat is not implemented yet: `hfx run MODEL \"your question\"`",
            ));
        }
    };
    let (text, add_special) = match (&tok.chat_template, args.raw) {
        (Some(t), false) => {
            let mut messages = Vec::new();
            if let Some(s) = &args.system {
                messages.push(Message::new("system", s));
            }
            messages.push(Message::new("user", &prompt));
            let opts = RenderOptions {
                add_generation_prompt: true,
                bos_token: tok.specials.bos.clone(),
                eos_token: tok.specials.eos.clone(),
                ..RenderOptions::default()
            };
            (ChatTemplate::new(t)?.render(&messages, &opts)?, false)
        }
        _ => (prompt, true),
    };
    let enc = tok.tokenizer.encode(text.as_str(), add_special).map_err(|e| ModelError::Tokenize(e.to_string()))?;
    let mut eos = model.eos_ids.clone();
    if let Some(id) = tok.specials.eos.as_deref().and_then(|e| tok.tokenizer.token_to_id(e)) {
        eos.push(id);
    }
    let req = Request {
        prompt: enc.get_ids(),
        max_new_tokens: args.max_new_tokens,
        eos: &eos,
        stops: args.stop.clone(),
        params: SamplingParams {
            temperature: args.temperature,
            top_k: args.top_k,
            top_p: args.top_p,
            min_p: args.min_p,
            repeat_penalty: args.repeat_penalty,
            repeat_last_n: args.repeat_last_n,
            seed: args.seed,
        },
    };
    let json = p.is_json();
    let mut out = p.stdout();
    let mut stream = |piece: &str| -> std::io::Result<()> {
        if !json && !piece.is_empty() {
            out.write_all(piece.as_bytes())?;
            out.flush()?;
        }
        Ok(())
    };
    let mut result = generation::generate(model, &tok.tokenizer, &req, &|| false, &mut stream)?;
    result.timings.load_ms = load_ms;
    if json {
        serde_json::to_writer(&mut out, &result)?;
    }
    out.write_all(b"\n")?;
    out.flush()?;
    if p.verbose > 0 || std::io::stderr().is_terminal() {
        let t = &result.timings;
        p.info(&format!(
            "load {:.0} ms, prompt {} tokens at {:.1} tok/s, generated {} tokens at {:.1} tok/s",
            t.load_ms, t.prompt_tokens, t.prompt_tok_s, t.generated_tokens, t.generation_tok_s
        ));
    }
    Ok(ExitCode::SUCCESS)
}
