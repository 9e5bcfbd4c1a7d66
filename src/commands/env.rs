//! `hfx env`: resolved settings for bug reports and scripts. Never prints the token.

use std::process::ExitCode;

use serde::Serialize;

use crate::context::Context;
use crate::output::{Printer, Render};
use crate::settings::TokenSource;

#[derive(Serialize)]
struct EnvOutput {
    version: &'static str,
    os: &'static str,
    arch: &'static str,
    endpoint: String,
    hf_home: std::path::PathBuf,
    hub_cache: std::path::PathBuf,
    token_path: std::path::PathBuf,
    stored_tokens_path: std::path::PathBuf,
    has_token: bool,
    token_source: Option<TokenSource>,
    has_saved_token: bool,
    offline: bool,
    disable_progress_bars: Option<bool>,
    disable_implicit_token: bool,
    disable_symlinks: bool,
    disable_xet: bool,
    etag_timeout_secs: f64,
    download_timeout_secs: f64,
    features: Vec<&'static str>,
    devices: Vec<String>,
}

impl Render for EnvOutput {
    fn human(&self, _p: &Printer) -> String {
        let v = serde_json::to_value(self).unwrap_or_default();
        let mut s = String::new();
        if let serde_json::Value::Object(map) = v {
            for (k, val) in map {
                let text = match val {
                    serde_json::Value::String(x) => x,
                    serde_json::Value::Null => "-".into(),
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                s.push_str(&format!("{k}: {text}\n"));
            }
        }
        s
    }
}

/// Compiled-in optional Cargo features (the CLI surface never changes with them).
fn features() -> Vec<&'static str> {
    [("xet", cfg!(feature = "xet")), ("cuda", cfg!(feature = "cuda")), ("metal", cfg!(feature = "metal"))]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
}

pub(crate) fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let s = &ctx.settings;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    ctx.printer.emit(&EnvOutput {
        version: env!("CARGO_PKG_VERSION"),
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        endpoint: s.endpoint.clone(),
        hf_home: s.hf_home.clone(),
        hub_cache: s.hub_cache.clone(),
        token_path: s.token_path.clone(),
        stored_tokens_path: s.stored_tokens_path.clone(),
        has_token: s.token.is_some(),
        token_source: s.token_source,
        has_saved_token: ctx.token_store().active().is_some(),
        offline: s.offline,
        disable_progress_bars: s.disable_progress_bars,
        disable_implicit_token: s.disable_implicit_token,
        disable_symlinks: s.disable_symlinks,
        disable_xet: s.disable_xet,
        etag_timeout_secs: s.etag_timeout_secs,
        download_timeout_secs: s.download_timeout_secs,
        features: features(),
        devices: vec![format!("cpu ({cpus} threads)")],
    })?;
    Ok(ExitCode::SUCCESS)
}
