//! Error rendering: `error: ...`, one `Caused by:` line per cause, then `hint:` lines, on stderr.

use crate::cache::CacheError;
use crate::hub::HubError;

/// Hints found anywhere in the error chain.
fn hints(err: &anyhow::Error) -> Vec<String> {
    let mut out = Vec::new();
    for cause in err.chain() {
        let hint = if let Some(e) = cause.downcast_ref::<HubError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<CacheError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<crate::models::ModelError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<crate::models::resolve::ResolveError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<crate::data::DataError>() {
            e.hint()
        } else if let Some(e) = cause.downcast_ref::<crate::train::TrainError>() {
            e.hint()
        } else {
            cause.downcast_ref::<crate::commands::Hinted>().map(|h| h.hint.clone())
        };
        if let Some(h) = hint
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
