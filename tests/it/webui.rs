//! The chat page in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven by selenium against `hfx serve` on the SmolLM2 fixture, with an API
//! key. The screenshot is kept as `target/test-artifacts/webui.png`.

use crate::common::*;
use crate::serve::{Server, gguf, python};

#[test]
fn the_chat_page_streams_stops_and_keeps_the_conversation_in_a_real_browser() {
    assert!(
        std::path::Path::new("/usr/bin/chromedriver").is_file(),
        "no chromedriver: install Debian's chromium and chromium-driver (.ci/run does)"
    );
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &["--served-model-name", "smollm2", "--api-key", "k"]);
    let dir = repo_root().join("target/test-artifacts");
    fs_err::create_dir_all(&dir).unwrap();
    let shot = dir.join("webui.png");
    let _ = fs_err::remove_file(&shot);
    let out = std::process::Command::new(python())
        .arg(repo_root().join("tests/data/webui_check.py"))
        .args([s.url.as_str(), "k", shot.to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}\nserver:\n{}", s.stderr.lock().unwrap());
    assert!(stdout.contains("all checks passed"), "{stdout}");
    // A PNG of the page with both answers.
    let png = fs_err::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{} bytes", png.len());
}
