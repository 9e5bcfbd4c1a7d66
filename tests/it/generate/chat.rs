//! Chat sessions, the REPL on a pseudo-terminal, and a sequence's held-back text.

use super::*;

/// The chat's core: history kept between turns, the KV cache reused for the shared prefix
/// (giving exactly what a fresh computation of the whole conversation gives), /clear, and a
/// cancelled answer.
#[test]
fn chat_session_keeps_history_reuses_the_cache_and_clears() {
    use hfx::models::generate::{Request, SamplingParams, generate};
    use hfx::models::session::{Session, Settings};
    use hfx::models::tokenizer::LoadedTokenizer;
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let m = q4_1();
    let tok = LoadedTokenizer::from_gguf(&gguf).unwrap();
    let settings = Settings {
        system: Some("You are a geography assistant. Answer in one short sentence.".into()),
        raw: false,
        max_new_tokens: 40,
        stops: Vec::new(),
        params: SamplingParams::default(),
        grammar: None,
        tools: None,
    };
    let mut s = Session::new(&m, &tok, settings).unwrap();
    assert!(s.templated());
    let mut shown = String::new();
    let first = s
        .say("What is the capital of France?", &|| false, &mut |t| {
            shown.push_str(t);
            Ok(())
        })
        .unwrap();
    assert!(first.text.contains("Paris"), "{}", first.text);
    assert_eq!(shown, first.text);
    let cached = s.cached_tokens();
    // Prompt and answer, less the last token when it was never fed back (length or stop string).
    let all = first.timings.prompt_tokens + first.token_ids.len();
    assert!(cached == all || cached == all - 1, "{cached} of {all}");
    // The second turn sees the first: its prompt starts with everything cached.
    let follow = "And of Germany?";
    let prompt = s.prompt_ids(follow).unwrap();
    let second = s.say(follow, &|| false, &mut |_| Ok(())).unwrap();
    assert!(second.text.contains("Berlin"), "{}", second.text);
    assert_eq!(second.timings.prompt_tokens, prompt.len());
    assert_eq!(s.messages().len(), 5); // system + 2 turns
    // Reusing the cache changes nothing: a fresh computation of the same prompt agrees.
    let mut eos = m.eos_ids.clone();
    eos.extend(tok.specials.eos.as_deref().and_then(|e| tok.tokenizer.token_to_id(e)));
    let req = Request {
        prompt: &prompt,
        max_new_tokens: 40,
        eos: &eos,
        stops: Vec::new(),
        params: SamplingParams::default(),
        grammar: None,
    };
    let fresh =
        generate(&m, &tok.tokenizer, &req, &mut KvCache::new(m.layers.len()), &|| false, &mut |_| Ok(())).unwrap();
    assert_eq!(fresh.token_ids, second.token_ids);
    // Ctrl-C (the cancel flag) ends the answer after the current token; the session goes on.
    let cut = s.say("Name three rivers.", &|| true, &mut |_| Ok(())).unwrap();
    assert_eq!(cut.token_ids.len(), 1);
    s.clear();
    assert_eq!(s.messages().len(), 1);
    assert_eq!(s.cached_tokens(), 0);
    let again = s.say("What is the capital of France?", &|| false, &mut |_| Ok(())).unwrap();
    assert_eq!(again.token_ids, first.token_ids);
}

/// Terminal output without its CSI escape sequences (cursor moves, modes).
fn without_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // `ESC [` parameters, then one final byte in `@`..`~`.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a child's output on a thread; `wait_for` polls what has arrived so far.
struct Transcript(std::sync::Arc<std::sync::Mutex<String>>);

impl Transcript {
    fn start(mut r: impl std::io::Read + Send + 'static) -> Self {
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let t = text.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                t.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self(text)
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    /// Wait until `pred` holds for the text after `from`; returns that text.
    fn wait_for(&self, from: usize, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let all = self.text();
            let tail = all.get(from..).unwrap_or_default().to_string();
            if pred(&tail) {
                return tail;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}; transcript:\n{all}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

#[test]
fn chat_repl_through_a_pseudo_terminal() {
    use std::io::Write;
    // `script` (util-linux, Essential on Debian) runs hfx on a real pseudo-terminal: stdin and
    // stderr are terminals, so `hfx run` with no prompt opens the chat, and a \x03 written to
    // the terminal is a real Ctrl-C (SIGINT from the line discipline).
    let env = TestEnv::new();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let cmd = format!(
        "exec '{}' run '{}' --system 'You are a geography assistant. Answer in one short sentence.' \
         --temperature 0 --max-new-tokens 300",
        hfx_bin().display(),
        g.display()
    );
    let base = env.hfx_std();
    let mut c = std::process::Command::new("script");
    c.env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    let mut child = c
        .args(["-qfec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let out = Transcript::start(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    // Waiting at the prompt: the text ends with `>>> ` (and the line editor's cursor moves). A
    // `>>> ` elsewhere is the editor redrawing a line being typed, not the next prompt.
    let idle = |s: &str| without_escapes(s).trim_end_matches('\r').ends_with(">>> ");
    let mut say = |line: &str| {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    };

    let start = out.wait_for(0, "the banner and prompt", idle);
    assert!(start.contains("/help"), "{start}");
    let mark = out.text().len();
    say("What is the capital of France?\n");
    let first = out.wait_for(mark, "the first answer", |s| idle(s) && s.contains("Paris"));
    assert!(first.contains("Paris"), "{first}");
    // History: the follow-up only makes sense with the first turn in context.
    let mark = out.text().len();
    say("And of Germany?\n");
    let second = out.wait_for(mark, "the second answer", idle);
    assert!(second.contains("Berlin"), "{second}");

    let mark = out.text().len();
    say("/help\n");
    let help = out.wait_for(mark, "the help", idle);
    assert!(help.contains("/clear") && help.contains("/exit"), "{help}");
    let mark = out.text().len();
    say("/clear\n");
    out.wait_for(mark, "the clear", |s| s.contains("conversation cleared") && idle(s));

    // Ctrl-C while an answer streams stops that answer, not the session.
    let mark = out.text().len();
    // Shorter than the terminal's 80 columns: the editor's echo of a longer line wraps.
    say("Forget geography. Write a long story about a dragon.\n");
    out.wait_for(mark, "the story to start", |s| {
        let s = without_escapes(s);
        s.rsplit_once("about a dragon.").is_some_and(|(_, story)| story.trim().len() > 40)
    });
    say("\x03");
    let cut = out.wait_for(mark, "the prompt after Ctrl-C", idle);
    assert!(child.try_wait().unwrap().is_none(), "the session survives Ctrl-C: {cut}");
    // The story was cut, not finished before the signal (300 tokens take seconds).
    assert!(cut.contains("(answer stopped)"), "{cut}");
    let mark = out.text().len();
    say("What is the capital of Italy?\n");
    let after = out.wait_for(mark, "an answer after Ctrl-C", idle);
    assert!(after.contains("Rome"), "{after}");

    // The line editor: the up arrow brings back the last input ...
    let mark = out.text().len();
    say("\x1b[A");
    out.wait_for(mark, "the last input recalled", |s| s.contains("capital of Italy?"));
    // ... Ctrl-C at the prompt drops it with a hint ...
    let mark = out.text().len();
    say("\x03");
    let dropped = out.wait_for(mark, "the hint after Ctrl-C at the prompt", |s| idle(s) && s.contains("/exit leaves"));
    assert!(!dropped.contains("Rome"), "a dropped line is not sent: {dropped}");
    // ... and Ctrl-D on an empty line leaves the chat with success.
    say("\x04");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}; transcript:\n{}", out.text());
}

#[test]
fn a_sequence_releases_held_back_text_at_eos_and_reports_cancellation() {
    use hfx::models::generate::FinishReason;
    use hfx::models::sequence::{Sequence, SequenceOptions};
    use hfx::models::tokenizer::LoadedTokenizer;
    let tok = LoadedTokenizer::from_gguf(&fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")).unwrap();
    let ids = tok.tokenizer.encode("Hello wor", false).unwrap().get_ids().to_vec();
    let onehot = |id: u32| {
        let mut l = vec![0f32; tok.vocab_size()];
        l[id as usize] = 10.0;
        l
    };
    let opts = SequenceOptions { max_new_tokens: 10, eos: vec![2], stops: vec!["world".into()], ..Default::default() };
    let mut seq = Sequence::new(vec![1], opts.clone(), 100).unwrap();
    let mut text = String::new();
    for &id in &ids {
        text += &seq.accept(&mut onehot(id), &tok.tokenizer).unwrap().text;
    }
    // "wor" may start the stop string "world": held back...
    assert_eq!(text, "Hello ");
    // ...and released when the model ends the answer instead (it used to be dropped).
    let end = seq.accept(&mut onehot(2), &tok.tokenizer).unwrap();
    assert_eq!((end.token, end.finish), (None, Some(FinishReason::Stop)));
    assert_eq!(text + &end.text, "Hello wor");
    assert_eq!(seq.text(), "Hello wor");
    assert!(!seq.stopped_by_string());
    // Stopped from outside: reported as cancelled, not as a length stop; the held text comes out.
    let mut seq = Sequence::new(vec![1], opts, 100).unwrap();
    for &id in &ids {
        seq.accept(&mut onehot(id), &tok.tokenizer).unwrap();
    }
    let c = seq.cancel();
    assert_eq!((c.text.as_str(), c.finish), ("wor", Some(FinishReason::Cancelled)));
    assert_eq!(seq.generated(), &ids[..]);
}
