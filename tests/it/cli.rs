//! The binary's conventions: help, usage errors, exit codes, env, completions and man drift.

use crate::common::*;

#[test]
fn help_lists_every_command() {
    let env = TestEnv::new();
    let out = env.ok(&["--help"]);
    for cmd in [
        "login",
        "logout",
        "whoami",
        "search",
        "download",
        "upload",
        "repo",
        "cache",
        "dataset",
        "tokenize",
        "run",
        "finetune",
        "serve",
        "env",
        "completions",
    ] {
        assert!(out.contains(&format!("  {cmd} ")), "missing `{cmd}` in help:\n{out}");
    }
    assert!(env.ok(&["--version"]).starts_with("hfx "));
}

#[test]
fn usage_errors_exit_2_and_known_failures_exit_1() {
    let env = TestEnv::new();
    let (code, _, err) = env.run(&["download"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = env.run(&["frobnicate"]);
    assert_eq!(code, 2, "{err}");
    // finetune: missing --data/--output is a usage error; without --lora a known failure.
    let (code, _, err) = env.run(&["finetune", "org/m", "--lora"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = env.run(&["finetune", "org/m", "--data", "d.jsonl", "--output", "out"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("full fine-tuning is not supported") && err.contains("hint: pass --lora"), "{err}");
    // serve: a model that does not exist is a known failure with a reason, not a server without one.
    let (code, out, err) = env.run(&["serve", "org/m", "--port", "0"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("error: model `org/m` not found"), "{err}");
    let (code, _, err) = env.run(&["serve", "org/m", "--port", "0", "--lora", "nodir"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("expected NAME=DIR"), "{err}");
    // A device hfx does not know is a usage error that names the choices, before any loading.
    let (code, _, err) = env.run(&["run", "org/m", "hi", "--device", "tpu"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown device `tpu` (cpu, cuda, cuda:N or metal)"), "{err}");
    // One this build does not include names the Cargo feature (a known failure).
    if !cfg!(feature = "cuda") {
        let fixture = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
        let (code, _, err) = env.run(&["run", fixture.to_str().unwrap(), "hi", "--device", "cuda:1"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("`cuda:1`") && err.contains("--features cuda"), "{err}");
    }
}

#[test]
fn env_reports_settings_without_the_token() {
    let env = TestEnv::new();
    let out = env.hfx().args(["env", "--json"]).env("HF_TOKEN", TOKEN).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(TOKEN));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["has_token"], true);
    assert_eq!(v["token_source"], "env_hf_token");
    assert_eq!(v["endpoint"], env.hub.url());
    assert_eq!(v["hub_cache"], env.cache_dir().to_str().unwrap());
    assert_eq!(v["token_path"], env.hf_home().join("token").to_str().unwrap());
    assert_eq!(v["offline"], false);

    let out = env
        .hfx()
        .args(["env", "--json", "--offline", "--cache-dir", "/tmp/elsewhere", "--endpoint", "http://mirror.invalid/"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["offline"], true);
    assert_eq!(v["hub_cache"], "/tmp/elsewhere");
    assert_eq!(v["endpoint"], "http://mirror.invalid");
    assert_eq!(v["has_token"], false);

    let out = env.hfx().args(["env"]).env("HF_HUB_OFFLINE", "1").env("HF_HUB_CACHE", "/x/y").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("offline: true") && text.contains("hub_cache: /x/y"), "{text}");
}

/// The committed completions and man pages are exactly what the CLI generates.
/// `HFX_BLESS=1 cargo test` rewrites them.
#[test]
fn completions_and_man_pages_do_not_drift() {
    use hfx::commands::completions::{COMPLETION_FILES, completion_script, man_pages};
    let root = repo_root();
    let bless = std::env::var_os("HFX_BLESS").is_some();
    let mut stale = Vec::new();
    let mut expected_files = Vec::new();
    for (shell, name) in COMPLETION_FILES {
        let path = root.join("completions").join(name);
        let want = completion_script(shell);
        expected_files.push(path.clone());
        if bless {
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, &want).unwrap();
        } else if fs_err::read(&path).ok().as_deref() != Some(&want[..]) {
            stale.push(path);
        }
    }
    let pages = man_pages().unwrap();
    assert!(pages.iter().any(|(n, _)| n == "hfx-download.1"));
    assert!(pages.iter().any(|(n, _)| n == "hfx-cache-verify.1"));
    for (name, text) in &pages {
        let path = root.join("man").join(name);
        expected_files.push(path.clone());
        if bless {
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, text).unwrap();
        } else if fs_err::read(&path).ok().as_deref() != Some(&text[..]) {
            stale.push(path);
        }
    }
    // No leftover pages for commands that no longer exist.
    for dir in ["completions", "man"] {
        for e in fs_err::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if !expected_files.contains(&p) {
                if bless {
                    fs_err::remove_file(&p).unwrap();
                } else {
                    stale.push(p);
                }
            }
        }
    }
    assert!(stale.is_empty(), "stale generated files (run `HFX_BLESS=1 cargo test completions`): {stale:?}");
}

#[test]
fn completion_scripts_mention_subcommands() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = env.ok(&["completions", shell]);
        assert!(out.contains("download") && out.contains("cache"), "{shell}");
    }
}

#[test]
fn verbose_logs_are_coloured_only_when_asked() {
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/tiny"));
    // stderr is a pipe here: plain text, with or without NO_COLOR.
    for no_color in [false, true] {
        let mut cmd = env.hfx();
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.args(["-vv", "download", "acme/tiny", "config.json", "--force"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.contains("DEBUG"), "{err}");
        assert!(!err.contains('\x1b'), "escape codes in piped logs (NO_COLOR={no_color}): {err:?}");
    }
    // `--color always` colours them, as it does the rest of the output.
    let out = env.hfx().env_remove("NO_COLOR").args(["-vv", "--color", "always", "whoami"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("\x1b["), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `-q` hides info lines, warnings and success messages on stderr but leaves the data on stdout
/// untouched; errors still show (their hints go only with `-qq`).
#[test]
fn quiet_hides_messages_but_not_data_or_errors() {
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/tiny"));
    let cases: [(&[&str], &str); 3] = [
        // An info line.
        (&["download", "acme/tiny", "--dry-run"], "will download 5 file(s)"),
        // A warning.
        (
            &["download", "acme/tiny", "config.json", "--include", "*.md"],
            "warning: `--include`/`--exclude` are ignored",
        ),
        // A success message, and the new repository's URL as data.
        (&["repo", "create", "alice/made", "--exist-ok", "--token", TOKEN], "model `alice/made` is ready"),
    ];
    for (args, message) in cases {
        let (code, loud_out, loud_err) = env.run(args);
        assert_eq!(code, 0, "{args:?}: {loud_err}");
        assert!(loud_err.contains(message), "{args:?} without -q: {loud_err}");
        for quiet in ["-q", "--quiet"] {
            let mut quiet_args = vec![quiet];
            quiet_args.extend_from_slice(args);
            let (code, out, err) = env.run(&quiet_args);
            assert_eq!(code, 0, "{quiet_args:?}: {err}");
            assert_eq!(err, "", "{quiet_args:?} wrote to stderr");
            assert_eq!(out, loud_out, "{quiet_args:?} changed stdout");
        }
        assert!(!loud_out.trim().is_empty(), "{args:?} printed no data");
    }
    // Errors are not messages: `-q` keeps them, `-qq` drops the hint.
    let (code, out, err) = env.run(&["-q", "download", "nobody/missing"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("error:") && err.contains("nobody/missing") && err.contains("hint:"), "{err}");
    let (code, _, err) = env.run(&["-qq", "download", "nobody/missing"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error:") && !err.contains("hint:"), "{err}");
}

/// `HF_DEBUG` (truthy values as in huggingface_hub) turns on the debug logs `-v` gives, on
/// stderr (here the retry of a 503), without trace lines and without touching stdout.
#[test]
fn hf_debug_turns_on_debug_logs_like_verbose() {
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/tiny"));
    // (stdout, the level and message of each log line on stderr, without their timestamps)
    let run = |flags: &[&str], debug: Option<&str>| -> (String, Vec<String>) {
        env.hub.add_fault(Fault {
            method: Some("HEAD"),
            path_contains: "/resolve/main/config.json".into(),
            kind: FaultKind::Status { status: 503, retry_after: None },
            times: 1,
        });
        let mut cmd = env.hfx();
        if let Some(v) = debug {
            cmd.env("HF_DEBUG", v);
        }
        let out = cmd.args(flags).args(["download", "acme/tiny", "config.json", "--force"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        assert!(err.contains("warning: HTTP 503"), "the retry notice is shown either way: {err}");
        let logs = err
            .lines()
            .filter_map(|l| {
                let at = ["TRACE ", "DEBUG ", " INFO ", " WARN ", "ERROR "].iter().filter_map(|lv| l.find(lv)).min()?;
                // Timings differ run to run: each number is compared as `N`.
                let line = l[at..].trim();
                let mut out = String::with_capacity(line.len());
                for c in line.chars() {
                    if !c.is_ascii_digit() {
                        out.push(c);
                    } else if !out.ends_with('N') {
                        out.push('N');
                    }
                }
                Some(out)
            })
            .collect();
        (String::from_utf8(out.stdout).unwrap(), logs)
    };
    let (plain_out, plain) = run(&[], None);
    assert!(plain.is_empty(), "logs without -v or HF_DEBUG: {plain:?}");
    let (_, verbose) = run(&["-v"], None);
    assert!(verbose.iter().any(|l| l.starts_with("DEBUG") && l.contains("retrying request")), "-v: {verbose:?}");
    // What a user debugging a download needs: the settings in use, each request with its
    // answer and time, and what happened to the file.
    let has = |needle: &str| verbose.iter().any(|l| l.starts_with("DEBUG") && l.contains(needle));
    assert!(has("| endpoint http://N.N.N.N:N | cache ") && has("| offline false | token none"), "{verbose:?}");
    assert!(has("HEAD http://N.N.N.N:N/acme/tiny/resolve/main/config.json -> N in N ms"), "{verbose:?}");
    let statuses: Vec<&String> = verbose.iter().filter(|l| l.contains("HEAD http://")).collect();
    assert_eq!(statuses.len(), 2, "the 503 and its retry: {verbose:?}");
    assert!(
        has("config.json: downloading N bytes into ") && has("config.json: checksum verified, stored as "),
        "{verbose:?}"
    );
    assert!(verbose.iter().all(|l| !l.starts_with("TRACE")), "{verbose:?}");
    for value in ["1", "true", "YES", "On"] {
        let (out, debug) = run(&[], Some(value));
        assert_eq!(out, plain_out, "HF_DEBUG={value} changed stdout");
        assert_eq!(debug, verbose, "HF_DEBUG={value} does not log what -v logs");
    }
    for value in ["0", "false", ""] {
        let (_, none) = run(&[], Some(value));
        assert!(none.is_empty(), "HF_DEBUG={value:?} is not truthy, yet: {none:?}");
    }
}
