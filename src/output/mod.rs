//! The only module that prints. stdout carries data (paths, tables, JSON); everything else
//! (progress, warnings, errors, prompts) goes to stderr, and only where it makes sense:
//! progress bars on a terminal, prompts when stdin is a terminal.

mod diagnostics;
mod line;
mod progress;
mod table;
mod tokens;
mod train;

use std::io::{IsTerminal, Write};

use serde::Serialize;

pub use diagnostics::{Hinted, UsageError, format_error, render_error};
pub(crate) use diagnostics::{hinted, usage};
pub use line::{Line, LineReader};
pub use progress::{BytesProgress, DownloadProgress, UploadProgress, VerifyProgress};
pub use table::Table;
pub use tokens::{escape_bytes, token_view};
pub use train::TrainBar;

use crate::cli::{ColorChoice, Format};

/// How loud to be, decided once from flags, environment and terminals.
#[derive(Debug, Clone)]
pub struct Printer {
    pub format: Format,
    pub quiet: u8,
    pub verbose: u8,
    pub color: bool,
    pub progress: bool,
    pub stdin_tty: bool,
    pub stdout_tty: bool,
}

/// Colour precedence (uv's): `--color`, then `NO_COLOR`, then `FORCE_COLOR`/`CLICOLOR_FORCE`,
/// then whether stderr is a terminal.
pub fn resolve_color(choice: ColorChoice, env: &dyn Fn(&str) -> Option<String>, tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if env("FORCE_COLOR").is_some_and(|v| !v.is_empty())
                || env("CLICOLOR_FORCE").is_some_and(|v| v != "0")
            {
                true
            } else {
                tty
            }
        }
    }
}

/// Data that can be shown to people as well as serialised to JSON.
pub trait Render: Serialize {
    /// Human form written to stdout (include the trailing newline).
    fn human(&self, p: &Printer) -> String;
}

impl Printer {
    pub fn new(
        format: Format,
        quiet: u8,
        verbose: u8,
        color_choice: ColorChoice,
        disable_progress: Option<bool>,
    ) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        let env = |k: &str| std::env::var(k).ok();
        let color = resolve_color(color_choice, &env, stderr_tty);
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        let progress = stderr_tty && quiet == 0 && verbose == 0 && disable_progress != Some(true);
        Self {
            format,
            quiet,
            verbose,
            color,
            progress,
            stdin_tty: std::io::stdin().is_terminal(),
            stdout_tty: std::io::stdout().is_terminal(),
        }
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Terminal width for tables: the terminal, else `COLUMNS`, else 80.
    pub fn width(&self) -> usize {
        if self.stdout_tty
            && let Some((_, w)) = console::Term::stdout().size_checked()
        {
            return w as usize;
        }
        std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w > 20).unwrap_or(80)
    }

    /// Emit a result: JSON (pretty on a terminal, compact otherwise) or its human form.
    pub fn emit<T: Render>(&self, value: &T) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        let r = if self.is_json() {
            let text = if self.stdout_tty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) };
            writeln!(out, "{}", text.map_err(std::io::Error::other)?)
        } else {
            out.write_all(value.human(self).as_bytes())
        };
        r.and_then(|()| out.flush())
    }

    /// Buffered stdout for streams of data lines (flush when done).
    pub fn stdout(&self) -> std::io::BufWriter<std::io::StdoutLock<'static>> {
        std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
    }

    /// One line of data on stdout (e.g. a path).
    pub fn data_line(&self, line: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()
    }

    /// An informational message on stderr (hidden with `-q`).
    pub fn info(&self, msg: &str) {
        if self.quiet == 0 {
            let _ = writeln!(std::io::stderr(), "{msg}");
        }
    }

    /// An interactive prompt on stderr, without a newline (the chat's `>>> `).
    pub fn prompt(&self, text: &str) {
        let shown = if self.color { console::style(text).bold().to_string() } else { text.to_string() };
        let mut err = std::io::stderr();
        let _ = err.write_all(shown.as_bytes());
        let _ = err.flush();
    }

    /// A warning on stderr (hidden with `-q`).
    pub fn warn(&self, msg: &str) {
        if self.quiet == 0 {
            let prefix =
                if self.color { console::style("warning").yellow().bold().to_string() } else { "warning".into() };
            let _ = writeln!(std::io::stderr(), "{prefix}: {msg}");
        }
    }

    /// A success message on stderr.
    pub fn success(&self, msg: &str) {
        if self.quiet == 0 {
            let mark = if self.color { console::style("✓").green().to_string() } else { "✓".into() };
            let _ = writeln!(std::io::stderr(), "{mark} {msg}");
        }
    }

    /// Bold text when colours are on.
    pub fn bold(&self, s: &str) -> String {
        if self.color { console::style(s).bold().to_string() } else { s.to_string() }
    }

    pub fn dim(&self, s: &str) -> String {
        if self.color { console::style(s).dim().to_string() } else { s.to_string() }
    }

    /// The chat's input: a line editor when stdin is a terminal.
    pub fn line_reader(&self) -> LineReader {
        LineReader::new(self)
    }

    /// Ask yes/no on the terminal; `None` when stdin is not a terminal (callers then require `--yes`).
    pub fn confirm(&self, prompt: &str) -> std::io::Result<Option<bool>> {
        if !self.stdin_tty {
            return Ok(None);
        }
        dialoguer::Confirm::new()
            .with_prompt(prompt)
            .default(false)
            .interact_opt()
            .map(|a| Some(a.unwrap_or(false)))
            .map_err(std::io::Error::other)
    }

    /// Read a secret with a hidden prompt; `None` when stdin is not a terminal.
    pub fn password(&self, prompt: &str) -> std::io::Result<Option<String>> {
        if !self.stdin_tty {
            return Ok(None);
        }
        dialoguer::Password::new().with_prompt(prompt).interact().map(Some).map_err(std::io::Error::other)
    }

    /// Pick one item on the terminal; `None` when stdin is not a terminal.
    pub fn select(&self, prompt: &str, items: &[String], default: usize) -> std::io::Result<Option<usize>> {
        if !self.stdin_tty {
            return Ok(None);
        }
        dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact_opt()
            .map_err(std::io::Error::other)
    }

    /// Read all of stdin (for `hfx login` when piped).
    pub fn read_stdin(&self) -> std::io::Result<String> {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        Ok(s)
    }
}

/// Sizes for people: `1.2 GiB`. JSON always carries bytes.
pub fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}

/// RFC 3339 at second precision.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// "3 days ago" style ages for tables.
pub fn age(t: Option<std::time::SystemTime>) -> String {
    let Some(t) = t else { return "-".into() };
    let Ok(d) = std::time::SystemTime::now().duration_since(t) else { return "just now".into() };
    let s = d.as_secs();
    match s {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", s / 60),
        3600..86_400 => format!("{} hours ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_precedence() {
        let none = |_: &str| None;
        let no_color = |k: &str| (k == "NO_COLOR").then(|| "1".to_string());
        let force = |k: &str| (k == "FORCE_COLOR").then(|| "1".to_string());
        assert!(resolve_color(ColorChoice::Auto, &none, true));
        assert!(!resolve_color(ColorChoice::Auto, &none, false));
        assert!(!resolve_color(ColorChoice::Auto, &no_color, true));
        assert!(resolve_color(ColorChoice::Auto, &force, false));
        assert!(resolve_color(ColorChoice::Always, &no_color, false));
        assert!(!resolve_color(ColorChoice::Never, &force, true));
    }
}
