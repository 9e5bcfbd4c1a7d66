//! Token storage, identical to huggingface_hub's: the active token in `$HF_TOKEN_PATH`
//! (default `$HF_HOME/token`) and every named token in the INI file `stored_tokens` beside it
//! (`[name]` / `hf_token = ...`), files 0600 in a 0700 directory.

use std::path::{Path, PathBuf};

use super::error::{HubError, Result};
use crate::settings::Secret;

/// The two files, from the resolved settings.
#[derive(Debug, Clone)]
pub struct TokenStore {
    pub token_path: PathBuf,
    pub stored_tokens_path: PathBuf,
}

/// A named token from `stored_tokens`.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub name: String,
    pub token: Secret,
    pub active: bool,
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| HubError::io(path, e))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// Write a secret file: private from the first byte (0600 temp file, then rename).
fn write_private(path: &Path, content: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(|e| HubError::io(dir, e))?;
        set_mode(dir, 0o700)?;
    }
    let tmp = crate::cache::tmp_sibling(path);
    {
        let mut opts = fs_err::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use fs_err::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(|e| HubError::io(&tmp, e))?;
        std::io::Write::write_all(&mut f, content.as_bytes()).map_err(|e| HubError::io(&tmp, e))?;
    }
    fs_err::rename(&tmp, path).map_err(|e| HubError::io(path, e))?;
    set_mode(path, 0o600)
}

impl TokenStore {
    pub fn new(token_path: PathBuf, stored_tokens_path: PathBuf) -> Self {
        Self { token_path, stored_tokens_path }
    }

    fn load_ini(&self) -> Result<ini::Ini> {
        match fs_err::read_to_string(&self.stored_tokens_path) {
            Ok(text) => ini::Ini::load_from_str(&text).map_err(|e| HubError::Io {
                path: self.stored_tokens_path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ini::Ini::new()),
            Err(e) => Err(HubError::io(&self.stored_tokens_path, e)),
        }
    }

    fn save_ini(&self, conf: &ini::Ini) -> Result<()> {
        // configparser's layout: `[name]`, `hf_token = value`, blank line between sections.
        let mut out = String::new();
        for (section, props) in conf {
            let Some(section) = section else { continue };
            out.push_str(&format!("[{section}]\n"));
            for (k, v) in props.iter() {
                out.push_str(&format!("{k} = {v}\n"));
            }
            out.push('\n');
        }
        write_private(&self.stored_tokens_path, &out)
    }

    /// The token file's content, if any.
    pub fn active(&self) -> Option<Secret> {
        let t = fs_err::read_to_string(&self.token_path).ok()?;
        let t = t.trim();
        (!t.is_empty()).then(|| Secret::new(t))
    }

    /// Every stored token, sorted by name.
    pub fn list(&self) -> Result<Vec<StoredToken>> {
        let conf = self.load_ini()?;
        let active = self.active();
        let mut out: Vec<StoredToken> = conf
            .iter()
            .filter_map(|(section, props)| {
                let name = section?.to_string();
                let token = Secret::new(props.get("hf_token")?.trim());
                Some(StoredToken { active: active.as_ref() == Some(&token), name, token })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Store `token` under `name` and make it active.
    pub fn save(&self, name: &str, token: &Secret) -> Result<()> {
        let mut conf = self.load_ini()?;
        conf.with_section(Some(name)).set("hf_token", token.expose());
        self.save_ini(&conf)?;
        write_private(&self.token_path, token.expose())
    }

    /// Make the stored token `name` active.
    pub fn switch(&self, name: &str) -> Result<()> {
        let token = self
            .list()?
            .into_iter()
            .find(|t| t.name == name)
            .ok_or_else(|| HubError::InvalidToken { message: format!("no stored token named `{name}`") })?;
        write_private(&self.token_path, token.token.expose())
    }

    /// Without a name: delete the active token and every stored token. With a name: remove
    /// that one (and deactivate it if it was active). Returns whether anything was removed.
    pub fn logout(&self, name: Option<&str>) -> Result<bool> {
        match name {
            None => {
                let mut removed = false;
                for p in [&self.token_path, &self.stored_tokens_path] {
                    match fs_err::remove_file(p) {
                        Ok(()) => removed = true,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(HubError::io(p, e)),
                    }
                }
                Ok(removed)
            }
            Some(name) => {
                let mut conf = self.load_ini()?;
                let Some(props) = conf.section(Some(name)) else {
                    return Err(HubError::InvalidToken { message: format!("no stored token named `{name}`") });
                };
                let token = props.get("hf_token").map(|t| Secret::new(t.trim()));
                conf.delete(Some(name));
                self.save_ini(&conf)?;
                if token.is_some() && self.active() == token {
                    let _ = fs_err::remove_file(&self.token_path);
                }
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_list_switch_logout() {
        let tmp = tempfile::tempdir().unwrap();
        let store = TokenStore::new(tmp.path().join("hf/token"), tmp.path().join("hf/stored_tokens"));
        store.save("laptop", &Secret::new("hf_aaaaaaaaaaaa")).unwrap();
        store.save("ci", &Secret::new("hf_bbbbbbbbbbbb")).unwrap();
        assert_eq!(store.active().unwrap().expose(), "hf_bbbbbbbbbbbb");
        let text = fs_err::read_to_string(&store.stored_tokens_path).unwrap();
        assert_eq!(text, "[laptop]\nhf_token = hf_aaaaaaaaaaaa\n\n[ci]\nhf_token = hf_bbbbbbbbbbbb\n\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&store.token_path), 0o600);
            assert_eq!(mode(&store.stored_tokens_path), 0o600);
            assert_eq!(mode(&tmp.path().join("hf")), 0o700);
        }
        let names: Vec<(String, bool)> = store.list().unwrap().into_iter().map(|t| (t.name, t.active)).collect();
        assert_eq!(names, vec![("ci".to_string(), true), ("laptop".to_string(), false)]);
        store.switch("laptop").unwrap();
        assert_eq!(store.active().unwrap().expose(), "hf_aaaaaaaaaaaa");
        assert!(store.switch("nope").is_err());
        store.logout(Some("laptop")).unwrap();
        assert!(store.active().is_none());
        assert_eq!(store.list().unwrap().len(), 1);
        assert!(store.logout(None).unwrap());
        assert!(!store.token_path.exists() && !store.stored_tokens_path.exists());
    }
}
