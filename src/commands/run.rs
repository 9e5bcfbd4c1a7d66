//! `hfx run`: local inference. Decoders generate (a prompt, stdin, or an interactive chat);
//! encoder (BERT-family) models print sentence embeddings.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde::Serialize;

use crate::cli::RunArgs;
use crate::context::Context;
use crate::models::ModelError;
use crate::models::decoder::Decoder;
use crate::models::embed::Embedder;
use crate::models::generate::{FinishReason, SamplingParams, Timings};
use crate::models::grammar::GrammarSpec;
use crate::models::load::Loaded;
use crate::models::session::{COMMANDS, Input, Session, Settings, parse_input};
use crate::models::tokenizer::LoadedTokenizer;
use crate::models::tools::{ToolChoice, ToolFormat, parse_tools};
use crate::output::Line;
use serde_json::{Value, json};

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
    let dir = match super::load_model(ctx, &args.model).await? {
        Loaded::Decoder { mut model, tok, started } => {
            with_lora(ctx, &args, &mut model)?;
            return generate(ctx, &args, &model, &tok, started);
        }
        Loaded::Encoder(dir) => dir,
    };
    if args.lora.is_some() {
        return Err(super::usage("`--lora` applies to decoder models, not to embedding models"));
    }
    if grammar(&args)?.is_some() {
        return Err(super::usage("structured output applies to decoder models, not to embedding models"));
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
        let text = fs_err::read(file)?;
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
            None if !std::io::stdin().is_terminal() => piped_text()?,
            None => return Err(super::usage("give the text to embed, `--file`, or pipe it on stdin")),
        };
        let v = embedder.embed(&[text])?;
        emit(&mut out, None, &v[0])?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The text piped on stdin, without the newline `echo` adds.
fn piped_text() -> std::io::Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    Ok(s.strip_suffix('\n').map(str::to_string).unwrap_or(s))
}

fn with_lora(ctx: &Context, args: &RunArgs, model: &mut Decoder) -> anyhow::Result<()> {
    if let Some(dir) = &args.lora {
        let n = crate::models::lora::apply(model, dir)?;
        if ctx.printer.verbose > 0 {
            ctx.printer.info(&format!("LoRA adapter {} on {n} projections", dir.display()));
        }
    }
    Ok(())
}

/// The constraint `--json-schema`, `--json-object`, `--regex` or `--grammar` asks for.
fn grammar(args: &RunArgs) -> anyhow::Result<Option<GrammarSpec>> {
    let read =
        |path: &PathBuf| fs_err::read_to_string(path).map_err(|source| ModelError::Io { path: path.clone(), source });
    Ok(if let Some(path) = &args.json_schema {
        let schema = serde_json::from_str(&read(path)?)
            .map_err(|e| ModelError::Grammar(format!("`{}` is not JSON: {e}", path.display())))?;
        Some(GrammarSpec::JsonSchema(schema))
    } else if args.json_object {
        Some(GrammarSpec::JsonObject)
    } else if let Some(rx) = &args.regex {
        Some(GrammarSpec::Regex(rx.clone()))
    } else if let Some(path) = &args.grammar {
        Some(GrammarSpec::Lark(read(path)?))
    } else {
        None
    })
}

/// `--tools` and `--tool-choice`: the tools list for the template, the grammar that holds calls
/// to it, and the model's call syntax.
fn tools(args: &RunArgs, tok: &LoadedTokenizer) -> anyhow::Result<Option<(Value, Option<GrammarSpec>, ToolFormat)>> {
    let Some(path) = &args.tools else { return Ok(None) };
    let bad = |reason: String| ModelError::BadTools { path: path.clone(), reason };
    let text = fs_err::read_to_string(path)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let list = match v {
        Value::Object(mut o) if o.contains_key("tools") => o.remove("tools").unwrap_or_default(),
        other => other,
    };
    let Value::Array(items) = &list else { return Err(bad("expected a list of tools".into()).into()) };
    let parsed = parse_tools(items).map_err(|(_, message)| bad(message))?;
    let format =
        tok.chat_template.as_deref().and_then(|t| ToolFormat::detect(t, tok)).ok_or(ModelError::NoToolTemplate)?;
    let choice = match args.tool_choice.as_str() {
        "auto" => ToolChoice::Auto,
        "required" => ToolChoice::Required,
        "none" => return Ok(None),
        name if parsed.iter().any(|t| t.name == name) => ToolChoice::Named(name.to_string()),
        name => return Err(bad(format!("`--tool-choice {name}` is not one of its functions")).into()),
    };
    // Under `auto`, a format whose calls cannot be told apart from text while they are written
    // gets no grammar: the answer is parsed afterwards.
    let grammar = format.grammar(&parsed, &choice, true);
    Ok(Some((list, grammar, format)))
}

fn settings(args: &RunArgs) -> anyhow::Result<Settings> {
    Ok(Settings {
        system: args.system.clone(),
        raw: args.raw,
        max_new_tokens: args.max_new_tokens,
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
        grammar: grammar(args)?,
        tools: None,
    })
}

fn summary(p: &crate::output::Printer, t: &Timings) {
    p.info(&format!(
        "load {:.0} ms, prompt {} tokens at {:.1} tok/s, generated {} tokens at {:.1} tok/s",
        t.load_ms, t.prompt_tokens, t.prompt_tok_s, t.generated_tokens, t.generation_tok_s
    ));
}

/// Text generation with a decoder: chat template unless `--raw`, tokens streamed to stdout.
fn generate(
    ctx: &Context,
    args: &RunArgs,
    model: &Decoder,
    tok: &LoadedTokenizer,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let p = &ctx.printer;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut settings = settings(args)?;
    let tools = tools(args, tok)?;
    if let Some((list, grammar, format)) = &tools {
        settings.tools = Some(list.clone());
        settings.grammar = grammar.clone();
        if p.verbose > 0 {
            p.info(&format!("tool calls: {} format", format.name()));
        }
    }
    let mut session = Session::new(model, tok, settings)?;
    if let Some(c) = session.constraint().filter(|_| p.verbose > 0) {
        p.info(&format!("structured output: {} (llguidance)", c.kind()));
    }
    let prompt = match &args.prompt {
        Some(t) => t.clone(),
        None if !std::io::stdin().is_terminal() => piped_text()?,
        None if p.is_json() => return Err(super::usage("`--json` needs a prompt (argument or stdin)")),
        None if tools.is_some() => return Err(super::usage("`--tools` needs a prompt (argument or stdin)")),
        None => return chat(ctx, &mut session, load_ms),
    };
    // With tools the answer is printed whole, as JSON, once it is parsed.
    let json = p.is_json() || tools.is_some();
    let mut out = p.stdout();
    let mut stream = |piece: &str| -> std::io::Result<()> {
        if !json && !piece.is_empty() {
            out.write_all(piece.as_bytes())?;
            out.flush()?;
        }
        Ok(())
    };
    let mut result = session.say(&prompt, &|| false, &mut stream)?;
    result.timings.load_ms = load_ms;
    if let Some((_, _, format)) = &tools {
        let (content, calls) = format.parse(&result.text);
        let calls: Vec<Value> = calls.iter().map(|c| json!({"name": c.name, "arguments": c.arguments})).collect();
        let content = if content.is_empty() { Value::Null } else { Value::String(content) };
        let finish = if calls.is_empty() { json!(result.finish_reason) } else { json!("tool_calls") };
        let v = json!({"content": content, "tool_calls": calls, "finish_reason": finish});
        serde_json::to_writer(&mut out, &v)?;
    } else if json {
        serde_json::to_writer(&mut out, &result)?;
    }
    out.write_all(b"\n")?;
    out.flush()?;
    if p.verbose > 0 || std::io::stderr().is_terminal() {
        summary(p, &result.timings);
    }
    Ok(ExitCode::SUCCESS)
}

/// The interactive chat: one line per turn, history kept, Ctrl-C stops the current answer.
fn chat(ctx: &Context, session: &mut Session<'_>, load_ms: f64) -> anyhow::Result<ExitCode> {
    let p = &ctx.printer;
    p.info(&format!("loaded in {load_ms:.0} ms. Type a message; /help for commands, /exit or Ctrl-D to leave."));
    let _catch = super::CatchInterrupt::new();
    let mut input = p.line_reader();
    let mut out = p.stdout();
    loop {
        let line = match input.read(">>> ")? {
            Line::Text(line) => line,
            Line::Interrupted => {
                p.info("(Ctrl-D or /exit leaves the chat)");
                continue;
            }
            Line::End => return Ok(ExitCode::SUCCESS),
        };
        match parse_input(&line) {
            Input::Exit => return Ok(ExitCode::SUCCESS),
            Input::Empty => {}
            Input::Help => {
                for (cmd, what) in COMMANDS {
                    p.info(&format!("  {cmd:<8} {what}"));
                }
            }
            Input::Unknown(cmd) => p.warn(&format!("unknown command `{cmd}` (/help lists them)")),
            Input::Clear => {
                session.clear();
                p.info("conversation cleared");
            }
            Input::Say(text) => {
                super::take_interrupt();
                let mut stream = |piece: &str| -> std::io::Result<()> {
                    out.write_all(piece.as_bytes())?;
                    out.flush()
                };
                let result = session.say(&text, &super::take_interrupt, &mut stream)?;
                out.write_all(b"\n\n")?;
                out.flush()?;
                if result.finish_reason == FinishReason::Cancelled {
                    p.info("(answer stopped)");
                }
                if p.verbose > 0 {
                    summary(p, &result.timings);
                }
            }
        }
    }
}
