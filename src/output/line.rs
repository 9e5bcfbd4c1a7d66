//! Reading the chat's lines: a line editor on a terminal (arrow keys move through the line and
//! through the session's earlier inputs, as in ollama or a shell), plain lines otherwise.

use std::io::BufRead;

use rustyline::error::ReadlineError;

/// One read from the user.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Text(String),
    /// Ctrl-C at the prompt: the line being typed was dropped.
    Interrupted,
    /// Ctrl-D on an empty line, or the end of input.
    End,
}

pub struct LineReader {
    /// `None` when stdin is not a terminal or the terminal cannot be driven (`TERM=dumb`).
    editor: Option<rustyline::DefaultEditor>,
    printer: super::Printer,
}

impl LineReader {
    pub(super) fn new(printer: &super::Printer) -> Self {
        let editor = if printer.stdin_tty {
            // Prompt and echo on the terminal itself, never on stdout (which may be a file:
            // stdout carries only the answers). History stays in memory for the session.
            let config = rustyline::Config::builder()
                .behavior(rustyline::Behavior::PreferTerm)
                .auto_add_history(true)
                .max_history_size(1000)
                .ok()
                .map(|b| b.build());
            config.and_then(|c| rustyline::DefaultEditor::with_config(c).ok())
        } else {
            None
        };
        Self { editor, printer: printer.clone() }
    }

    /// Show `prompt` and read one line (without its line ending).
    pub fn read(&mut self, prompt: &str) -> std::io::Result<Line> {
        let Some(editor) = &mut self.editor else {
            self.printer.prompt(prompt);
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line)? == 0 {
                // Leave the shell's prompt on a line of its own.
                self.printer.info("");
                return Ok(Line::End);
            }
            let len = line.trim_end_matches(['\n', '\r']).len();
            line.truncate(len);
            return Ok(Line::Text(line));
        };
        match editor.readline(prompt) {
            Ok(line) => Ok(Line::Text(line)),
            Err(ReadlineError::Interrupted) => Ok(Line::Interrupted),
            Err(ReadlineError::Eof) => Ok(Line::End),
            Err(ReadlineError::Io(e)) => Err(e),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}
