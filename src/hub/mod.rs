//! Talking to the Hub: HTTP client, metadata API, token storage and the download engine.
//! Knows nothing of clap or terminals; progress goes through [`download::DownloadReporter`].

pub mod api;
pub mod auth;
pub mod client;
pub mod download;
mod error;
pub mod upload;

pub use client::{ClientOptions, HubClient, Notifier, Silent};
pub use error::{HubError, Result};
