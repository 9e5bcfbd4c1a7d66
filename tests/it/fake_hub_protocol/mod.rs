//! The fake Hub speaks the protocol of `shared/docs/hub-protocol.md` (checked with plain HTTP).

use std::time::{Duration, Instant};

use crate::common::fake_hub::*;

mod access;
mod api;
mod basics;
mod faults;
mod resolve;

const TOKEN: &str = "hf_protoTestToken0123456789";
const OTHER: &str = "hf_otherUserToken0123456789";

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().unwrap()
}

fn h(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

fn user(name: &str, orgs: &[&str]) -> UserSpec {
    UserSpec {
        name: name.into(),
        fullname: format!("{name} Example"),
        orgs: orgs.iter().map(|o| o.to_string()).collect(),
        token_name: "laptop".into(),
        role: "write".into(),
    }
}

/// A hub with user `alice` (org `acme`) behind TOKEN and user `bob` behind OTHER.
fn hub() -> FakeHub {
    let hub = FakeHub::start();
    hub.add_user(TOKEN, user("alice", &["acme"]));
    hub.add_user(OTHER, user("bob", &[]));
    hub
}

fn big(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn model(id: &str) -> RepoSpec {
    RepoSpec::new(RepoType::Model, id)
        .gitattributes()
        .file("config.json", "{\"a\": 1}\n")
        .file("README.md", "# hi\n")
        .file("sub/notes.txt", "notes\n")
        .file("sub/deeper/z.txt", "z\n")
        .file("model.safetensors", big(300_000))
}
