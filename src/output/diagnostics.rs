//! Error rendering: `error: ...`, one `Caused by:` line per cause, then `hint:` lines, on stderr.

use crate::report::Hint;

/// A command-level error with a hint (domain errors carry their own).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

/// Wrong use of the command line that clap cannot catch: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl crate::report::Hint for Hinted {
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }
}

pub(crate) fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Hinted { message: message.into(), hint: hint.into() }.into()
}

pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// Tries each listed type on a cause of the error chain (anyhow yields `dyn Error`, which
/// cannot be asked for a trait); `NAMES` is what the completeness test checks.
macro_rules! hint_types {
    ($($t:ty),* $(,)?) => {
        #[cfg(test)]
        const NAMES: &[&str] = &[$(stringify!($t)),*];
        fn hint_of(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
            $(if let Some(e) = cause.downcast_ref::<$t>() { return e.hint(); })*
            None
        }
    };
}

hint_types!(
    crate::hub::HubError,
    crate::cache::CacheError,
    crate::models::ModelError,
    crate::models::resolve::ResolveError,
    crate::data::DataError,
    crate::train::TrainError,
    Hinted,
);

/// Hints found anywhere in the error chain.
fn hints(err: &anyhow::Error) -> Vec<String> {
    let mut out = Vec::new();
    for cause in err.chain() {
        if let Some(h) = hint_of(cause)
            && !out.contains(&h)
        {
            out.push(h);
        }
    }
    out
}

/// The full text of an error report (also used by tests).
pub fn format_error(err: &anyhow::Error, color: bool, show_hints: bool) -> String {
    let style = |s: &str, f: fn(console::StyledObject<&str>) -> console::StyledObject<&str>| {
        if color { f(console::style(s)).to_string() } else { s.to_string() }
    };
    let mut out = format!("{}: {}\n", style("error", |s| s.red().bold()), err);
    let mut last = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        // Transparent wrappers repeat their source's message: show it once.
        if text == last {
            continue;
        }
        out.push_str(&format!("  {}: {}\n", style("Caused by", |s| s.bold()), text));
        last = text;
    }
    if show_hints {
        let hs = hints(err);
        if !hs.is_empty() {
            out.push('\n');
            for h in hs {
                out.push_str(&format!("{}: {h}\n", style("hint", |s| s.cyan().bold())));
            }
        }
    }
    out
}

/// Print an error report on stderr.
pub fn render_error(err: &anyhow::Error, color: bool, quiet: u8) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format_error(err, color, quiet < 2).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type the sources implement `Hint` for is in `hint_types!`: a type left out would
    /// have its hints silently never shown.
    #[test]
    fn every_type_with_hints_is_listed() {
        let mut found = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = dirs.pop() {
            for entry in fs_err::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = fs_err::read_to_string(&path).unwrap();
                    for rest in text.split("Hint for ").skip(1) {
                        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        let implemented = text.contains(&format!("impl crate::report::Hint for {name} "))
                            || text.contains(&format!("impl Hint for {name} "));
                        if !name.is_empty() && implemented {
                            found.push(name);
                        }
                    }
                }
            }
        }
        assert!(found.len() >= 7, "{found:?}");
        for name in found {
            assert!(
                NAMES.iter().any(|n| n.rsplit("::").next() == Some(name.as_str())),
                "`{name}` implements Hint but is not in hint_types!"
            );
        }
    }

    #[test]
    fn hints_come_from_every_level_of_the_chain_once() {
        let inner = crate::models::ModelError::NoChatTemplate;
        let err = anyhow::Error::new(inner).context("cannot render");
        let text = format_error(&err, false, true);
        assert!(text.starts_with("error: cannot render\n  Caused by: the model has no chat template\n"), "{text}");
        assert_eq!(text.matches("hint: ").count(), 1, "{text}");
    }
}
