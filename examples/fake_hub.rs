//! A standalone fake Hugging Face Hub serving local directories, for demos and benchmarks
//! (the same server the integration tests use).
//!
//!   cargo run --release --example fake_hub -- --repo [model:|dataset:|space:]ORG/NAME=DIR ...
//!       [--token TOKEN=USER] [--bandwidth BYTES_PER_SEC] [--page-size N] [--port P]
//!
//! `--private-repo` is the same for a private repo (visible to a token whose user is ORG).
//! Each `--repo` serves every file under DIR as the `main` branch of that repo (LFS for files
//! over 10 MiB or with an LFS extension). `--token` adds a user (repeatable). Prints exactly one
//! line, `http://127.0.0.1:PORT`, on stdout once listening, then serves until killed.

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/it/common/fake_hub/mod.rs"]
mod fake_hub;

use std::io::Write;

use fake_hub::{FakeHub, RepoSpec, RepoType, UserSpec};

const USAGE: &str = "usage: fake_hub --repo [model:|dataset:|space:]ORG/NAME=DIR ... [--private-repo (same)] [--token TOKEN=USERNAME ...] \
[--bandwidth BYTES_PER_SEC] [--page-size N] [--port P]";

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("fake_hub: {msg}");
    }
    eprintln!("{USAGE}");
    std::process::exit(2)
}

fn main() {
    let mut repos: Vec<(RepoType, String, String, bool)> = Vec::new();
    let mut tokens: Vec<(String, String)> = Vec::new();
    let mut bandwidth = None;
    let mut page_size = None;
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value =
            || inline.clone().or_else(|| args.next()).unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--repo" | "--private-repo" => {
                let v = value();
                let (repo, dir) = v.split_once('=').unwrap_or_else(|| usage(&format!("bad --repo {v}")));
                let (kind, id) = match repo.split_once(':') {
                    Some(("model", id)) => (RepoType::Model, id),
                    Some(("dataset", id)) => (RepoType::Dataset, id),
                    Some(("space", id)) => (RepoType::Space, id),
                    Some(_) => usage(&format!("bad repo type in {repo}")),
                    None => (RepoType::Model, repo),
                };
                if !id.contains('/') {
                    usage(&format!("repo id must be ORG/NAME: {id}"));
                }
                repos.push((kind, id.to_string(), dir.to_string(), flag == "--private-repo"));
            }
            "--token" => {
                let v = value();
                let (t, u) = v.split_once('=').unwrap_or_else(|| usage(&format!("bad --token {v}")));
                tokens.push((t.to_string(), u.to_string()));
            }
            "--bandwidth" => bandwidth = Some(value().parse::<u64>().unwrap_or_else(|_| usage("bad --bandwidth"))),
            "--page-size" => page_size = Some(value().parse::<usize>().unwrap_or_else(|_| usage("bad --page-size"))),
            "--port" => port = value().parse().unwrap_or_else(|_| usage("bad --port")),
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                std::process::exit(0)
            }
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let hub_l =
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| usage(&format!("bind port {port}: {e}")));
    let cdn_l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind CDN port");
    let workers = std::thread::available_parallelism().map_or(4, |n| n.get()).clamp(2, 16);
    let hub = FakeHub::start_on(hub_l, cdn_l, workers);
    for (kind, id, dir, private) in repos {
        if !std::path::Path::new(&dir).is_dir() {
            usage(&format!("not a directory: {dir}"));
        }
        let commit = hub.add_repo(RepoSpec::new(kind, &id).dir(&dir).private(private));
        eprintln!("fake_hub: serving {} {id} (main = {commit}) from {dir}", kind.singular());
    }
    for (token, user) in tokens {
        hub.add_user(
            &token,
            UserSpec {
                name: user.clone(),
                fullname: user,
                orgs: vec![],
                token_name: "fake-hub".into(),
                role: "write".into(),
            },
        );
    }
    hub.set_bandwidth_limit(bandwidth);
    if let Some(n) = page_size {
        hub.set_page_size(n);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", hub.url());
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}
