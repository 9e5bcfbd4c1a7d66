//! A standalone fake Hugging Face Hub serving local directories, for demos and benchmarks
//! (the same server the integration tests use).
//!
//!   cargo run --release --example fake_hub -- --repo org/name=DIR [--repo dataset:org/d=DIR]
//!       [--token TOKEN=USER] [--bandwidth BYTES_PER_SEC] [--page-size N] [--port P]
//!
//! Prints the Hub URL on the first line of stdout, then serves until killed.

// A standalone program: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/it/common/fake_hub.rs"]
mod fake_hub;

use std::io::Write;

use fake_hub::{FakeHub, RepoSpec, RepoType, UserSpec};

fn usage() -> ! {
    eprintln!(
        "usage: fake_hub --repo [model:|dataset:|space:]ORG/NAME=DIR ... [--token TOKEN=USER] [--bandwidth BYTES_PER_SEC] [--page-size N] [--port P]"
    );
    std::process::exit(2)
}

fn main() {
    let mut repos = Vec::new();
    let mut tokens = Vec::new();
    let mut bandwidth = None;
    let mut page_size = None;
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--repo" => repos.push(value()),
            "--token" => tokens.push(value()),
            "--bandwidth" => bandwidth = Some(value().parse::<u64>().unwrap_or_else(|_| usage())),
            "--page-size" => page_size = Some(value().parse::<usize>().unwrap_or_else(|_| usage())),
            "--port" => port = value().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let hub_l = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
    let cdn_l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hub = FakeHub::start_on(hub_l, cdn_l);
    for spec in repos {
        let (repo, dir) = spec.split_once('=').unwrap_or_else(|| usage());
        let (kind, id) = match repo.split_once(':') {
            Some(("model", id)) => (RepoType::Model, id),
            Some(("dataset", id)) => (RepoType::Dataset, id),
            Some(("space", id)) => (RepoType::Space, id),
            Some(_) => usage(),
            None => (RepoType::Model, repo),
        };
        let commit = hub.add_repo(RepoSpec::new(kind, id).dir(dir));
        eprintln!("serving {id} ({commit}) from {dir}");
    }
    for t in tokens {
        let (token, user) = t.split_once('=').unwrap_or_else(|| usage());
        hub.add_user(
            token,
            UserSpec {
                name: user.into(),
                fullname: user.into(),
                orgs: vec![],
                token_name: "cli".into(),
                role: "write".into(),
            },
        );
    }
    hub.set_bandwidth_limit(bandwidth);
    if let Some(n) = page_size {
        hub.set_page_size(n);
    }
    println!("{}", hub.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
