//! hfx integration tests: one binary (one link step), the real `hfx` executable against the
//! in-process fake Hub, with a temporary `HF_HOME` per test.

mod common;

mod architectures;
mod auth;
mod cache_cmds;
mod cli;
mod conformance;
mod convert;
mod dataset;
mod download;
mod examples;
mod fake_hub_protocol;
mod finetune;
mod fixtures;
mod generate;
mod gguf_repos;
mod reliability;
mod repo;
mod run;
mod search;
mod serve;
mod structured;
mod symbol_order;
mod tgi_details;
mod tokenize;
mod upload;
mod webui;
