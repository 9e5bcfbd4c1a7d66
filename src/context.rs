//! Built once per invocation: resolved settings, the printer, and factories for the cache,
//! the Hub client and the token store.

use std::time::Duration;

use crate::cache::Cache;
use crate::cli::GlobalArgs;
use crate::hub::auth::TokenStore;
use crate::hub::download::DownloadOptions;
use crate::hub::{ClientOptions, HubClient};
use crate::output::Printer;
use crate::settings::{Settings, vars};

pub struct Context {
    pub settings: Settings,
    pub printer: Printer,
    pub global: GlobalArgs,
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

impl Context {
    pub fn cache(&self) -> Cache {
        Cache::new(&self.settings.hub_cache).with_symlinks(!self.settings.disable_symlinks)
    }

    pub fn token_store(&self) -> TokenStore {
        TokenStore::new(self.settings.token_path.clone(), self.settings.stored_tokens_path.clone())
    }

    pub fn client_options(&self) -> ClientOptions {
        let mut o = ClientOptions::new(self.settings.endpoint.clone());
        o.token = self.settings.token.clone();
        o.offline = self.settings.offline;
        o.user_agent_origin = self.settings.user_agent_origin.clone();
        o.etag_timeout = Duration::from_secs_f64(self.settings.etag_timeout_secs);
        o.read_timeout = Duration::from_secs_f64(self.settings.download_timeout_secs);
        if let Some(ms) = env_u64(vars::HFX_RETRY_BASE_MS) {
            o.retry_base = Duration::from_millis(ms);
        }
        o
    }

    pub fn client(&self) -> anyhow::Result<HubClient> {
        Ok(HubClient::new(self.client_options())?)
    }

    pub fn download_options(&self, max_workers: usize, force: bool) -> DownloadOptions {
        let mut o = DownloadOptions { max_workers, force, ..DownloadOptions::default() };
        if let Some(v) = env_u64(vars::HFX_CHUNK_THRESHOLD) {
            o.chunk_threshold = v;
        }
        if let Some(v) = env_u64(vars::HFX_CHUNK_SIZE) {
            o.chunk_size = v;
        }
        if let Some(v) = env_u64(vars::HFX_CONNECTIONS_PER_FILE) {
            o.connections_per_file = usize::try_from(v).unwrap_or(8).max(1);
        }
        o
    }
}
