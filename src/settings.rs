//! Every environment variable hfx reads, resolved exactly as `huggingface_hub` does
//! (hub-protocol.md 1.6), merged with the global command-line flags.
//!
//! Precedence is always: command-line flag, then the `HF_*` variable, then its legacy name,
//! then the default. Nothing here touches the network or the terminal.

use std::path::{Path, PathBuf};

/// The default Hub endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Names of the environment variables hfx honours, documented in one place.
pub mod vars {
    pub const HF_HOME: &str = "HF_HOME";
    pub const HF_HUB_CACHE: &str = "HF_HUB_CACHE";
    pub const HUGGINGFACE_HUB_CACHE: &str = "HUGGINGFACE_HUB_CACHE";
    pub const HF_TOKEN: &str = "HF_TOKEN";
    pub const HUGGING_FACE_HUB_TOKEN: &str = "HUGGING_FACE_HUB_TOKEN";
    pub const HF_TOKEN_PATH: &str = "HF_TOKEN_PATH";
    pub const HF_ENDPOINT: &str = "HF_ENDPOINT";
    pub const HF_HUB_OFFLINE: &str = "HF_HUB_OFFLINE";
    pub const TRANSFORMERS_OFFLINE: &str = "TRANSFORMERS_OFFLINE";
    pub const HF_HUB_DISABLE_PROGRESS_BARS: &str = "HF_HUB_DISABLE_PROGRESS_BARS";
    pub const HF_HUB_DISABLE_IMPLICIT_TOKEN: &str = "HF_HUB_DISABLE_IMPLICIT_TOKEN";
    pub const HF_HUB_DISABLE_SYMLINKS: &str = "HF_HUB_DISABLE_SYMLINKS";
    pub const HF_HUB_DISABLE_XET: &str = "HF_HUB_DISABLE_XET";
    pub const HF_HUB_ETAG_TIMEOUT: &str = "HF_HUB_ETAG_TIMEOUT";
    pub const HF_HUB_DOWNLOAD_TIMEOUT: &str = "HF_HUB_DOWNLOAD_TIMEOUT";
    pub const HF_HUB_USER_AGENT_ORIGIN: &str = "HF_HUB_USER_AGENT_ORIGIN";
    pub const HF_DEBUG: &str = "HF_DEBUG";
    pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
    pub const NO_COLOR: &str = "NO_COLOR";
    pub const FORCE_COLOR: &str = "FORCE_COLOR";
    pub const CLICOLOR_FORCE: &str = "CLICOLOR_FORCE";
    /// hfx-only: disable progress bars (same effect as `HF_HUB_DISABLE_PROGRESS_BARS=1`).
    pub const HFX_NO_PROGRESS: &str = "HFX_NO_PROGRESS";
    /// hfx-only: base delay in milliseconds of the retry backoff (default 1000).
    pub const HFX_RETRY_BASE_MS: &str = "HFX_RETRY_BASE_MS";
    /// hfx-only: files at least this large are fetched as parallel Range chunks.
    pub const HFX_CHUNK_THRESHOLD: &str = "HFX_CHUNK_THRESHOLD";
    /// hfx-only: size in bytes of one Range chunk.
    pub const HFX_CHUNK_SIZE: &str = "HFX_CHUNK_SIZE";
    /// hfx-only: parallel connections for one large file.
    pub const HFX_CONNECTIONS_PER_FILE: &str = "HFX_CONNECTIONS_PER_FILE";
    /// hfx-only: prompts on Intel AMX tiles where the CPU has them (off by default).
    pub const HFX_AMX: &str = "HFX_AMX";
}

/// Where a token came from; reported by `hfx env` and `hfx whoami`, never the token itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    Flag,
    EnvHfToken,
    EnvLegacy,
    File,
}

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The raw value, for the `Authorization` header and the token file only.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// `hf_****abcd`, as `hf auth list` shows tokens.
    pub fn masked(&self) -> String {
        let s = &self.0;
        let tail: String = s.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        let head: String = s.chars().take(3).collect();
        if s.chars().count() <= 8 { "****".to_string() } else { format!("{head}****{tail}") }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Global flags that override the environment (filled by `commands` from the CLI).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub endpoint: Option<String>,
    pub token: Option<String>,
    pub cache_dir: Option<PathBuf>,
    pub offline: bool,
}

/// Fully resolved settings shared by every command.
#[derive(Debug, Clone)]
pub struct Settings {
    pub hf_home: PathBuf,
    pub hub_cache: PathBuf,
    pub token_path: PathBuf,
    pub stored_tokens_path: PathBuf,
    pub endpoint: String,
    pub offline: bool,
    pub token: Option<Secret>,
    pub token_source: Option<TokenSource>,
    pub disable_progress_bars: Option<bool>,
    pub disable_implicit_token: bool,
    pub disable_symlinks: bool,
    /// Never offer the Xet transfer on upload (only matters in builds with the `xet` feature).
    pub disable_xet: bool,
    pub etag_timeout_secs: f64,
    pub download_timeout_secs: f64,
    pub user_agent_origin: Option<String>,
}

/// Python's truthiness for env flags: `1`, `ON`, `YES`, `TRUE`, case-insensitive.
pub fn is_truthy(value: &str) -> bool {
    matches!(value.trim().to_ascii_uppercase().as_str(), "1" | "ON" | "YES" | "TRUE")
}

/// Reads the environment through a function so tests can inject a map.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

fn non_empty(env: &dyn Env, name: &str) -> Option<String> {
    env.var(name).filter(|v| !v.is_empty())
}

/// `os.path.expanduser(os.path.expandvars(p))`, as huggingface_hub applies to every path variable.
fn expand_path(raw: &str, env: &dyn Env) -> PathBuf {
    let home = || user_home(env);
    let context = |name: &str| -> Result<Option<String>, std::convert::Infallible> { Ok(env.var(name)) };
    match shellexpand::full_with_context(raw, home, context) {
        Ok(expanded) => PathBuf::from(expanded.as_ref()),
        Err(_) => PathBuf::from(raw),
    }
}

fn home_dir(env: &dyn Env) -> PathBuf {
    user_home(env).map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// The home directory as Python's `os.path.expanduser("~")` finds it: `HOME`, else (Windows sets
/// no `HOME`) `USERPROFILE`.
fn user_home(env: &dyn Env) -> Option<String> {
    env.var("HOME").or_else(|| env.var("USERPROFILE"))
}

/// Make a path absolute against the current directory without touching the file system,
/// like Python's `os.path.abspath` (the cache may not exist yet).
fn absolute(path: PathBuf) -> PathBuf {
    if path.is_absolute() { path } else { std::path::absolute(&path).unwrap_or(path) }
}

fn parse_secs(env: &dyn Env, name: &str, default: f64) -> f64 {
    env.var(name).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| *v > 0.0).unwrap_or(default)
}

impl Settings {
    /// Resolve from the process environment.
    pub fn from_env(overrides: &Overrides) -> Self {
        Self::resolve(overrides, &ProcessEnv)
    }

    /// Resolve from any environment (used by tests).
    pub fn resolve(overrides: &Overrides, env: &dyn Env) -> Self {
        let hf_home = absolute(match non_empty(env, vars::HF_HOME) {
            Some(home) => expand_path(&home, env),
            None => {
                let base = non_empty(env, vars::XDG_CACHE_HOME)
                    .map_or_else(|| home_dir(env).join(".cache"), |x| expand_path(&x, env));
                base.join("huggingface")
            }
        });
        let hub_cache = absolute(if let Some(dir) = &overrides.cache_dir {
            dir.clone()
        } else if let Some(dir) =
            non_empty(env, vars::HF_HUB_CACHE).or_else(|| non_empty(env, vars::HUGGINGFACE_HUB_CACHE))
        {
            expand_path(&dir, env)
        } else {
            hf_home.join("hub")
        });
        let token_path = absolute(
            non_empty(env, vars::HF_TOKEN_PATH).map_or_else(|| hf_home.join("token"), |p| expand_path(&p, env)),
        );
        let stored_tokens_path = token_path.parent().unwrap_or(Path::new(".")).join("stored_tokens");
        let endpoint = overrides
            .endpoint
            .clone()
            .or_else(|| non_empty(env, vars::HF_ENDPOINT))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
            .trim_end_matches('/')
            .to_string();
        let offline = overrides.offline
            || env.var(vars::HF_HUB_OFFLINE).is_some_and(|v| is_truthy(&v))
            || env.var(vars::TRANSFORMERS_OFFLINE).is_some_and(|v| is_truthy(&v));
        let disable_implicit_token = env.var(vars::HF_HUB_DISABLE_IMPLICIT_TOKEN).is_some_and(|v| is_truthy(&v));

        let (token, token_source) = resolve_token(overrides, env, &token_path, disable_implicit_token);
        let disable_progress_bars = env
            .var(vars::HF_HUB_DISABLE_PROGRESS_BARS)
            .map(|v| is_truthy(&v))
            .or_else(|| env.var(vars::HFX_NO_PROGRESS).map(|v| is_truthy(&v)).filter(|v| *v));
        Settings {
            hf_home,
            hub_cache,
            token_path,
            stored_tokens_path,
            endpoint,
            offline,
            token,
            token_source,
            disable_progress_bars,
            disable_implicit_token,
            disable_symlinks: env.var(vars::HF_HUB_DISABLE_SYMLINKS).is_some_and(|v| is_truthy(&v)),
            disable_xet: env.var(vars::HF_HUB_DISABLE_XET).is_some_and(|v| is_truthy(&v)),
            etag_timeout_secs: parse_secs(env, vars::HF_HUB_ETAG_TIMEOUT, 10.0),
            download_timeout_secs: parse_secs(env, vars::HF_HUB_DOWNLOAD_TIMEOUT, 10.0),
            user_agent_origin: non_empty(env, vars::HF_HUB_USER_AGENT_ORIGIN),
        }
    }

    /// Whether the endpoint is the public Hub (whoami only names non-default endpoints).
    pub fn is_default_endpoint(&self) -> bool {
        self.endpoint == DEFAULT_ENDPOINT
    }
}

fn clean_token(raw: &str) -> Option<Secret> {
    let t = raw.trim();
    (!t.is_empty()).then(|| Secret::new(t))
}

/// huggingface_hub's `get_token`: flag, `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, then the token file.
/// `HF_HUB_DISABLE_IMPLICIT_TOKEN` keeps everything but an explicit `--token` from being sent.
fn resolve_token(
    overrides: &Overrides,
    env: &dyn Env,
    token_path: &Path,
    disable_implicit: bool,
) -> (Option<Secret>, Option<TokenSource>) {
    if let Some(t) = overrides.token.as_deref().and_then(clean_token) {
        return (Some(t), Some(TokenSource::Flag));
    }
    if disable_implicit {
        return (None, None);
    }
    if let Some(t) = env.var(vars::HF_TOKEN).as_deref().and_then(clean_token) {
        return (Some(t), Some(TokenSource::EnvHfToken));
    }
    if let Some(t) = env.var(vars::HUGGING_FACE_HUB_TOKEN).as_deref().and_then(clean_token) {
        return (Some(t), Some(TokenSource::EnvLegacy));
    }
    if let Ok(content) = fs_err::read_to_string(token_path)
        && let Some(t) = clean_token(&content)
    {
        return (Some(t), Some(TokenSource::File));
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        move |name: &str| map.get(name).cloned()
    }

    #[test]
    fn defaults_follow_xdg_and_home() {
        let s = Settings::resolve(&Overrides::default(), &env(&[("HOME", "/home/u")]));
        assert_eq!(s.hf_home, PathBuf::from("/home/u/.cache/huggingface"));
        assert_eq!(s.hub_cache, PathBuf::from("/home/u/.cache/huggingface/hub"));
        assert_eq!(s.token_path, PathBuf::from("/home/u/.cache/huggingface/token"));
        assert_eq!(s.stored_tokens_path, PathBuf::from("/home/u/.cache/huggingface/stored_tokens"));
        assert_eq!(s.endpoint, DEFAULT_ENDPOINT);
        assert!(!s.offline);

        let s = Settings::resolve(&Overrides::default(), &env(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")]));
        assert_eq!(s.hub_cache, PathBuf::from("/x/huggingface/hub"));

        // Windows has no HOME: the profile folder stands in, as for Python's expanduser.
        let s =
            Settings::resolve(&Overrides::default(), &env(&[("USERPROFILE", "/users/u"), ("HF_TOKEN_PATH", "~/t")]));
        assert_eq!(s.hub_cache, PathBuf::from("/users/u/.cache/huggingface/hub"));
        assert_eq!(s.token_path, PathBuf::from("/users/u/t"));
    }

    #[test]
    fn precedence_flag_env_legacy() {
        let e = env(&[
            ("HF_HOME", "~/hf"),
            ("HOME", "/h"),
            ("HUGGINGFACE_HUB_CACHE", "/legacy"),
            ("HF_ENDPOINT", "http://localhost:1/"),
            ("HF_HUB_OFFLINE", "yes"),
        ]);
        let s = Settings::resolve(&Overrides::default(), &e);
        assert_eq!(s.hf_home, PathBuf::from("/h/hf"));
        assert_eq!(s.hub_cache, PathBuf::from("/legacy"));
        assert_eq!(s.endpoint, "http://localhost:1");
        assert!(s.offline);
        let o = Overrides { cache_dir: Some("/flag".into()), endpoint: Some("http://e".into()), ..Default::default() };
        let s = Settings::resolve(&o, &e);
        assert_eq!(s.hub_cache, PathBuf::from("/flag"));
        assert_eq!(s.endpoint, "http://e");
    }

    #[test]
    fn expands_env_vars_in_paths() {
        let s = Settings::resolve(
            &Overrides::default(),
            &env(&[("BASE", "/data"), ("HF_HUB_CACHE", "$BASE/cache"), ("HOME", "/h")]),
        );
        assert_eq!(s.hub_cache, PathBuf::from("/data/cache"));
    }

    #[test]
    fn token_order_and_implicit_switch() {
        let e = env(&[("HF_TOKEN", " hf_env \n"), ("HUGGING_FACE_HUB_TOKEN", "hf_legacy"), ("HOME", "/nonexistent")]);
        let s = Settings::resolve(&Overrides::default(), &e);
        assert_eq!(s.token.as_ref().map(Secret::expose), Some("hf_env"));
        assert_eq!(s.token_source, Some(TokenSource::EnvHfToken));
        let o = Overrides { token: Some("hf_flag".into()), ..Default::default() };
        assert_eq!(Settings::resolve(&o, &e).token_source, Some(TokenSource::Flag));
        let e2 = env(&[("HF_TOKEN", "hf_env"), ("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1"), ("HOME", "/x")]);
        assert!(Settings::resolve(&Overrides::default(), &e2).token.is_none());
        let e3 = env(&[("HF_TOKEN", "  "), ("HUGGING_FACE_HUB_TOKEN", "hf_legacy"), ("HOME", "/x")]);
        assert_eq!(Settings::resolve(&Overrides::default(), &e3).token_source, Some(TokenSource::EnvLegacy));
    }

    #[test]
    fn secret_never_debugs() {
        let s = Secret::new("hf_abcdefghijklmnop");
        assert!(!format!("{s:?}").contains("abcdef"));
        assert_eq!(s.masked(), "hf_****mnop");
    }

    #[test]
    fn truthy_values() {
        for v in ["1", "on", "YES", "True"] {
            assert!(is_truthy(v));
        }
        for v in ["0", "no", "", "false"] {
            assert!(!is_truthy(v));
        }
    }
}
