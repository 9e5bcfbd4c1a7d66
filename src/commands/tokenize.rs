//! `hfx tokenize`: what a model's tokenizer makes of a text, a file of lines, or a chat.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;

use crate::cli::TokenizeArgs;
use crate::context::Context;
use crate::models::ModelError;
use crate::models::chat::{ChatTemplate, RenderOptions, parse_messages};
use crate::models::encode::{self, Want};
use crate::models::resolve::{ModelFiles, Purpose};
use crate::models::tokenizer::LoadedTokenizer;
use crate::output::{BytesProgress, Printer, Render, token_view};

/// One encoded text.
#[derive(Serialize)]
struct Encoded {
    #[serde(skip_serializing_if = "Option::is_none")]
    rendered: Option<String>,
    ids: Vec<u32>,
    tokens: Vec<String>,
    /// Character offsets `[start, end)` into the text.
    offsets: Vec<(usize, usize)>,
    count: usize,
    #[serde(skip)]
    pieces: Vec<Vec<u8>>,
    #[serde(skip)]
    mode: Mode,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Table,
    Ids,
    Tokens,
    Offsets,
}

fn ids_line(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
}

fn offsets_line(offsets: &[(usize, usize)]) -> String {
    offsets.iter().map(|(s, e)| format!("{s}:{e}")).collect::<Vec<_>>().join(" ")
}

impl Render for Encoded {
    fn human(&self, p: &Printer) -> String {
        match self.mode {
            Mode::Ids => format!("{}\n", ids_line(&self.ids)),
            Mode::Tokens => format!("{}\n", self.tokens.join(" ")),
            Mode::Offsets => format!("{}\n", offsets_line(&self.offsets)),
            Mode::Table => {
                let mut out = String::new();
                if let Some(r) = &self.rendered {
                    out.push_str(r);
                    if !r.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push('\n');
                }
                out.push_str(&token_view(p, &self.ids, &self.tokens, &self.pieces));
                out.push_str(&format!("{} token(s)\n", self.count));
                out
            }
        }
    }
}

#[derive(Serialize)]
struct Count {
    count: usize,
}
impl Render for Count {
    fn human(&self, _: &Printer) -> String {
        format!("{}\n", self.count)
    }
}

#[derive(Serialize)]
struct Decoded {
    text: String,
}
impl Render for Decoded {
    fn human(&self, _: &Printer) -> String {
        format!("{}\n", self.text)
    }
}

#[derive(Serialize)]
struct FileCount {
    count: u64,
    lines: u64,
    bytes: u64,
    seconds: f64,
    threads: usize,
}
impl Render for FileCount {
    fn human(&self, _: &Printer) -> String {
        format!("{}\n", self.count)
    }
}

pub(crate) async fn load(ctx: &Context, model: &str, gguf_file: Option<&str>) -> anyhow::Result<LoadedTokenizer> {
    let files = super::resolve_model(ctx, model, gguf_file, Purpose::Tokenizer).await?;
    Ok(match files {
        ModelFiles::Dir(d) => LoadedTokenizer::from_dir(&d)?,
        ModelFiles::Gguf(f) => LoadedTokenizer::from_gguf(&f)?,
        ModelFiles::TokenizerJson(f) => LoadedTokenizer::from_json_file(&f)?,
    })
}

pub(crate) async fn run(ctx: &Context, args: TokenizeArgs) -> anyhow::Result<ExitCode> {
    let tok = load(ctx, &args.model, args.gguf_file.as_deref()).await?;
    let p = &ctx.printer;
    let mode = if args.ids {
        Mode::Ids
    } else if args.tokens {
        Mode::Tokens
    } else if args.offsets {
        Mode::Offsets
    } else {
        Mode::Table
    };

    if let Some(dest) = &args.save_tokenizer {
        tok.save_json(dest)?;
        p.data_line(&dest.display().to_string())?;
        return Ok(ExitCode::SUCCESS);
    }

    if !args.decode.is_empty() {
        let vocab = tok.vocab_size();
        if let Some(&id) = args.decode.iter().find(|&&id| id as usize >= vocab) {
            return Err(ModelError::UnknownId { id, vocab }.into());
        }
        let text = tok.tokenizer.decode(&args.decode, false).map_err(|e| ModelError::Tokenize(e.to_string()))?;
        p.emit(&Decoded { text })?;
        return Ok(ExitCode::SUCCESS);
    }

    if let Some(file) = &args.file {
        return tokenize_file(ctx, &tok, file, &args, mode);
    }

    let (text, rendered, add_special) = if let Some(chat) = &args.chat {
        let bytes = fs_err::read(chat).with_context(|| format!("cannot read `{}`", chat.display()))?;
        let messages =
            parse_messages(&bytes).map_err(|reason| ModelError::BadMessages { path: chat.clone(), reason })?;
        let template = ChatTemplate::new(tok.chat_template.as_deref().ok_or(ModelError::NoChatTemplate)?)?;
        let opts = RenderOptions {
            add_generation_prompt: !args.no_generation_prompt,
            bos_token: tok.specials.bos.clone(),
            eos_token: tok.specials.eos.clone(),
            ..RenderOptions::default()
        };
        let rendered = template.render(&messages, &opts)?;
        // The template already wrote every special token (transformers encodes it the same way).
        (rendered.clone(), Some(rendered), false)
    } else if let Some(t) = &args.text {
        (t.clone(), None, !args.no_special_tokens)
    } else if !std::io::stdin().is_terminal() {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("stdin is not valid UTF-8 text")?;
        // `echo text | hfx tokenize` should not count echo's newline.
        if s.ends_with('\n') {
            s.pop();
            if s.ends_with('\r') {
                s.pop();
            }
        }
        (s, None, !args.no_special_tokens)
    } else {
        return Err(super::usage("give the TEXT to tokenize, `--file`, `--chat`, `--decode`, or pipe text on stdin"));
    };

    let enc = tok
        .tokenizer
        .encode_char_offsets(text.as_str(), add_special)
        .map_err(|e| ModelError::Tokenize(e.to_string()))?;
    if args.count {
        p.emit(&Count { count: enc.len() })?;
        return Ok(ExitCode::SUCCESS);
    }
    let ids = enc.get_ids().to_vec();
    let pieces = ids.iter().map(|&id| tok.piece_bytes(id).unwrap_or_default()).collect();
    p.emit(&Encoded {
        rendered: rendered.filter(|_| mode == Mode::Table || p.is_json()),
        count: ids.len(),
        tokens: enc.get_tokens().to_vec(),
        offsets: enc.get_offsets().to_vec(),
        ids,
        pieces,
        mode,
    })?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct LineJson<'a> {
    line: u64,
    ids: &'a [u32],
    tokens: &'a [String],
    offsets: &'a [(usize, usize)],
    count: usize,
}

fn tokenize_file(
    ctx: &Context,
    tok: &LoadedTokenizer,
    file: &Path,
    args: &TokenizeArgs,
    mode: Mode,
) -> anyhow::Result<ExitCode> {
    let p = &ctx.printer;
    let (input, total, name): (Box<dyn Read + Send>, Option<u64>, PathBuf) = if file == Path::new("-") {
        (Box::new(std::io::stdin()), None, PathBuf::from("<stdin>"))
    } else {
        let f = fs_err::File::open(file)?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len, file.to_path_buf())
    };
    let pool = encode::pool(args.threads)?;
    let progress = BytesProgress::new(p.progress);
    let add_special = !args.no_special_tokens;
    let want = if args.count { Want::Count } else { Want::Full };
    let mut out = p.stdout();
    let json = p.is_json();
    let lines = encode::Lines { reader: input, path: &name, total_bytes: total };
    let options = encode::EncodeOptions { add_special, want, pool: &pool, progress: &progress };
    let stats = encode::encode_lines(&tok.tokenizer, lines, &options, |e| {
        if json {
            let line =
                LineJson { line: e.line, ids: &e.ids, tokens: &e.tokens, offsets: &e.offsets, count: e.ids.len() };
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n")
        } else {
            let text = match mode {
                Mode::Tokens => e.tokens.join(" "),
                Mode::Offsets => offsets_line(&e.offsets),
                Mode::Ids | Mode::Table => ids_line(&e.ids),
            };
            writeln!(out, "{text}")
        }
    })?;
    out.flush()?;
    drop(out);
    if args.count {
        p.emit(&FileCount {
            count: stats.tokens,
            lines: stats.lines,
            bytes: stats.bytes,
            seconds: stats.seconds,
            threads: stats.threads,
        })?;
    }
    let secs = stats.seconds.max(1e-9);
    #[allow(clippy::cast_precision_loss)]
    p.info(&format!(
        "{} line(s), {} token(s) from {} in {:.2} s: {:.1} MB/s, {:.0} tokens/s on {} thread(s)",
        stats.lines,
        stats.tokens,
        crate::output::human_bytes(stats.bytes),
        stats.seconds,
        stats.bytes as f64 / secs / 1e6,
        stats.tokens as f64 / secs,
        stats.threads
    ));
    Ok(ExitCode::SUCCESS)
}
