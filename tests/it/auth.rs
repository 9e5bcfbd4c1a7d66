//! login / logout / whoami / auth list|switch against the fake Hub, and token hygiene.

use std::io::Write;
use std::process::Stdio;

use crate::common::*;

#[test]
fn login_with_flag_stores_token_like_huggingface_hub() {
    let env = TestEnv::new();
    let (code, out, err) = env.run(&["login", "--token", TOKEN]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "login prints nothing on stdout: {out}");
    assert!(err.contains("logged in as `alice`"), "{err}");
    let home = env.hf_home();
    assert_eq!(fs_err::read_to_string(home.join("token")).unwrap(), TOKEN);
    assert_eq!(
        fs_err::read_to_string(home.join("stored_tokens")).unwrap(),
        format!("[laptop]\nhf_token = {TOKEN}\n\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: std::path::PathBuf| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(home.join("token")), 0o600);
        assert_eq!(mode(home.join("stored_tokens")), 0o600);
        assert_eq!(mode(home.clone()), 0o700);
    }
    // The Hub saw exactly one whoami-v2 call, with the token.
    let calls: Vec<_> = env.hub.log().into_iter().filter(|r| r.path.starts_with("/api/whoami-v2")).collect();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].has_authorization);
}

#[test]
fn login_reads_stdin_when_not_a_terminal() {
    let env = TestEnv::new();
    let mut child =
        env.hfx_std().arg("login").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{TOKEN}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs_err::read_to_string(env.hf_home().join("token")).unwrap(), TOKEN);
}

#[test]
fn invalid_token_is_rejected_and_nothing_is_stored() {
    let env = TestEnv::new();
    let (code, out, err) = env.run(&["login", "--token", "hf_wrong_token_123456"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("error: the Hub rejected the token"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!err.contains("hf_wrong_token_123456"));
    assert!(!env.hf_home().join("token").exists());
    let (code, _, err) = env.run(&["login", "--token", "api_org_abcdef"]);
    assert_eq!(code, 1);
    assert!(err.contains("organization tokens"), "{err}");
}

#[test]
fn whoami_human_json_and_not_logged_in() {
    let env = TestEnv::new();
    let (code, out, err) = env.run(&["whoami"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("error: not logged in") && err.contains("hint: run `hfx login`"), "{err}");

    env.ok(&["login", "--token", TOKEN]);
    let out = env.ok(&["whoami"]);
    assert!(out.contains("user: alice"), "{out}");
    assert!(out.contains("orgs: acme"), "{out}");
    assert!(out.contains(&format!("endpoint: {}", env.hub.url())), "{out}");
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["whoami", "--json"])).unwrap();
    assert_eq!(v["user"], "alice");
    assert_eq!(v["orgs"], serde_json::json!(["acme"]));
    assert_eq!(v["token_name"], "laptop");
    assert_eq!(v["token_source"], "file");

    // HF_TOKEN wins over the stored token; a bad one is a clear error.
    let out = env.hfx().args(["whoami"]).env("HF_TOKEN", "hf_bogus_but_long_enough").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn auth_list_switch_and_logout() {
    let env = TestEnv::new();
    let second = "hf_secondtokenZyXwV987654321";
    env.hub.add_user(
        second,
        UserSpec {
            name: "alice".into(),
            fullname: "Alice".into(),
            orgs: vec![],
            token_name: "ci".into(),
            role: "read".into(),
        },
    );
    env.ok(&["login", "--token", TOKEN]);
    env.ok(&["login", "--token", second]);
    let list = env.ok(&["auth", "list"]);
    assert!(!list.contains(TOKEN) && !list.contains(second), "tokens must be masked: {list}");
    assert!(list.contains("*  ci"), "{list}");
    assert!(list.contains("hf_****4321"), "{list}");
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["auth", "list", "--json"])).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);

    env.ok(&["auth", "switch", "--token-name", "laptop"]);
    assert_eq!(fs_err::read_to_string(env.hf_home().join("token")).unwrap(), TOKEN);
    let (code, _, err) = env.run(&["auth", "switch"]);
    assert_eq!(code, 2, "no terminal and no name is a usage error: {err}");

    env.ok(&["logout", "--token-name", "ci"]);
    assert_eq!(
        fs_err::read_to_string(env.hf_home().join("stored_tokens")).unwrap(),
        format!("[laptop]\nhf_token = {TOKEN}\n\n")
    );
    env.ok(&["logout"]);
    assert!(!env.hf_home().join("token").exists() && !env.hf_home().join("stored_tokens").exists());
}

/// The token never appears in any output, even at the highest verbosity, on success or error.
#[test]
fn token_never_printed_even_with_vv() {
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/secret-model").private(true));
    let runs: Vec<Vec<&str>> = vec![
        vec!["login", "--token", TOKEN, "-vv"],
        vec!["whoami", "-vv"],
        vec!["whoami", "--json", "-vv"],
        vec!["env", "-vv"],
        vec!["env", "--json"],
        vec!["auth", "list", "-vv"],
        vec!["download", "acme/secret-model", "-vv"],
        vec!["download", "acme/secret-model", "config.json", "--json", "-vv", "--force"],
        vec!["download", "acme/missing", "-vv"],
        vec!["search", "secret", "-vv"],
        vec!["cache", "ls", "-vv"],
    ];
    for args in runs {
        let out = env.hfx().args(&args).env("RUST_LOG", "trace").output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains(TOKEN), "token leaked by {args:?}:\n{all}");
        assert!(!all.contains("testtokenAbCdEf"), "token fragment leaked by {args:?}");
    }
    // ...and it was really used: the private repo downloaded.
    assert!(env.cache_dir().join("models--acme--secret-model").is_dir());
    // The CDN never receives the Authorization header.
    assert!(env.hub.log().iter().filter(|r| matches!(r.server, Server::Cdn)).all(|r| !r.has_authorization));
}

#[test]
fn token_path_env_moves_both_token_files() {
    let env = TestEnv::new();
    let custom = env.dir.path().join("secrets/hf-token");
    let out = env.hfx().args(["login", "--token", TOKEN]).env("HF_TOKEN_PATH", &custom).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs_err::read_to_string(&custom).unwrap(), TOKEN);
    assert!(env.dir.path().join("secrets/stored_tokens").is_file());
    assert!(!env.hf_home().join("token").exists());
    let out = env.hfx().args(["whoami", "--json"]).env("HF_TOKEN_PATH", &custom).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["user"], USER);
    // HF_HUB_DISABLE_IMPLICIT_TOKEN keeps the stored token from being sent.
    let out = env
        .hfx()
        .args(["whoami"])
        .env("HF_TOKEN_PATH", &custom)
        .env("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// A file-system error says the path once, with the call that failed and the OS's reason (it
/// used to read "I/O error on P", then "Caused by: failed to open file `P`").
#[test]
fn a_file_system_error_names_its_path_once() {
    let env = TestEnv::new();
    let blocker = env.dir.path().join("a-file");
    fs_err::write(&blocker, "not a folder").unwrap();
    let out = env.hfx().args(["login", "--token", TOKEN]).env("HF_TOKEN_PATH", blocker.join("token")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let path = blocker.display().to_string();
    let expected = format!("error: failed to open file `{}`: Not a directory", blocker.join("stored_tokens").display());
    assert!(err.starts_with(&expected), "{err}");
    assert_eq!(err.matches(&path).count(), 1, "{err}");
    assert!(!err.contains("I/O error on"), "{err}");
}
