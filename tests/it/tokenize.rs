//! `hfx tokenize` on the real fixtures against the transformers/tokenizers reference figures
//! (copied from `../shared/reference/` into `tests/data/reference/`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;
use crate::fixtures::serve_fixtures;

fn reference(name: &str) -> Value {
    let path = repo_root().join("tests/data/reference").join(name);
    serde_json::from_slice(&fs_err::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn gguf() -> PathBuf {
    fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
}

fn json_out(env: &TestEnv, args: &[&str]) -> Value {
    let out = env.ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect()
}

#[test]
fn smollm2_tokenizer_built_from_gguf_matches_reference() {
    let env = TestEnv::new();
    let r = reference("smollm2/tokenization.json");
    let g = gguf();
    let g = g.to_str().unwrap();
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 22);
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let got = json_out(&env, &["tokenize", g, text, "--no-special-tokens", "--json"]);
        assert_eq!(ids(&got["ids"]), ids(&case["ids"]), "ids of {text:?}");
        assert_eq!(got["tokens"], case["tokens"], "tokens of {text:?}");
        assert_eq!(got["count"].as_u64().unwrap() as usize, case["ids"].as_array().unwrap().len());
        let id_list: Vec<String> = ids(&case["ids"]).iter().map(u64::to_string).collect();
        let decoded = json_out(&env, &["tokenize", g, "--decode", &id_list.join(","), "--json"]);
        assert_eq!(decoded["text"], case["decoded"], "decode of {text:?}");
    }
}

#[test]
fn a_gguf_tokenizer_saves_as_tokenizer_json_that_loads_the_same() {
    let env = TestEnv::new();
    let out = env.dir.path().join("tokenizer.json");
    env.ok(&["tokenize", gguf().to_str().unwrap(), "--save-tokenizer", out.to_str().unwrap()]);
    let text = "Pi is roughly 3.14159 🦀 <|im_start|>";
    let from_json = json_out(&env, &["tokenize", out.to_str().unwrap(), text, "--json"]);
    let from_gguf = json_out(&env, &["tokenize", gguf().to_str().unwrap(), text, "--json"]);
    assert_eq!(from_json, from_gguf);
    assert_eq!(from_json["count"], 16);
}

/// The compact BPE that hfx builds from GGUF metadata against tokenizers' own `BPE` (read back
/// from the `tokenizer.json` it saves) on all of HumanEval (prompts, solutions and tests: 164
/// rows of code and prose) and some scripts and emoji: the same ids, pieces and offsets.
#[test]
fn gguf_compact_bpe_encodes_like_tokenizers_bpe_on_humaneval() {
    use hfx::models::tokenizer::{LoadedTokenizer, TokenModel};
    use std::io::Read;
    let compact = LoadedTokenizer::from_gguf(&gguf()).unwrap();
    assert!(matches!(compact.tokenizer.get_model(), TokenModel::Gguf(_)));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("tokenizer.json");
    compact.save_json(&json).unwrap();
    let reference = LoadedTokenizer::from_json_file(&json).unwrap();
    assert!(matches!(reference.tokenizer.get_model(), TokenModel::Json(_)));
    assert_eq!(compact.vocab_size(), reference.vocab_size());

    let gz = fs_err::read(fixtures_dir().join("humaneval/HumanEval.jsonl.gz")).unwrap();
    let mut rows = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut rows).unwrap();
    let mut texts: Vec<String> = Vec::new();
    for line in rows.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        for key in ["prompt", "canonical_solution", "test"] {
            texts.push(row[key].as_str().unwrap().to_string());
        }
    }
    assert_eq!(texts.len(), 3 * 164);
    texts.extend(
        [
            "naïve café, Größe",
            "日本語のテキスト",
            "Привет, мир",
            "🦀🦀 crab\t\ttabs   spaces\r\n",
            "<|im_start|>user\nhi<|im_end|>",
            "",
        ]
        .map(str::to_string),
    );
    let mut tokens = 0;
    for text in &texts {
        let a = compact.tokenizer.encode(text.as_str(), true).unwrap();
        let b = reference.tokenizer.encode(text.as_str(), true).unwrap();
        assert_eq!(a.get_ids(), b.get_ids(), "{text:?}");
        assert_eq!(a.get_tokens(), b.get_tokens(), "{text:?}");
        assert_eq!(a.get_offsets(), b.get_offsets(), "{text:?}");
        assert_eq!(
            compact.tokenizer.decode(a.get_ids(), false).unwrap(),
            reference.tokenizer.decode(b.get_ids(), false).unwrap()
        );
        tokens += a.len();
    }
    assert!(tokens > 50_000, "{tokens} tokens");
}

#[test]
fn minilm_tokenizer_json_matches_reference_input_ids() {
    let env = TestEnv::new();
    let r = reference("minilm/embeddings.json");
    let dir = fixtures_dir().join("minilm");
    for case in r["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        // tokenizer.json pads to 128; like transformers, hfx pads only when asked.
        let got = json_out(&env, &["tokenize", dir.to_str().unwrap(), text, "--json"]);
        assert_eq!(ids(&got["ids"]), ids(&case["input_ids"]), "ids of {text:?}");
    }
}

fn write_messages(dir: &Path, name: &str, messages: &Value) -> PathBuf {
    let p = dir.join(format!("{name}.json"));
    fs_err::write(&p, serde_json::to_vec(messages).unwrap()).unwrap();
    p
}

#[test]
fn chat_template_from_gguf_renders_and_tokenizes_like_transformers() {
    let env = TestEnv::new();
    let r = reference("smollm2/chat_template.json");
    let g = gguf();
    for case in r["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let m = write_messages(env.dir.path(), name, &case["messages"]);
        let got = json_out(&env, &["tokenize", g.to_str().unwrap(), "--chat", m.to_str().unwrap(), "--json"]);
        assert_eq!(got["rendered"], case["rendered"], "rendered {name}");
        assert_eq!(ids(&got["ids"]), ids(&case["ids"]), "ids {name}");
    }
}

#[test]
fn tokenize_a_hub_repo_fetches_only_what_it_needs() {
    let env = TestEnv::new();
    serve_fixtures(&env);
    // A GGUF-only repo: the GGUF carries the tokenizer.
    let got = json_out(&env, &["tokenize", "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", "Hello, world!", "--json"]);
    assert_eq!(ids(&got["ids"]), [19556, 28, 905, 17]);
    // A tokenizer.json repo: the weights (model.safetensors, 90 MB) are not downloaded.
    let got =
        json_out(&env, &["tokenize", "sentence-transformers/all-MiniLM-L6-v2", "A man is playing a guitar.", "--json"]);
    assert_eq!(ids(&got["ids"]), [101, 1037, 2158, 2003, 2652, 1037, 2858, 1012, 102]);
    let repo = env.cache_dir().join("models--sentence-transformers--all-MiniLM-L6-v2/snapshots");
    let snap = fs_err::read_dir(&repo).unwrap().next().unwrap().unwrap().path();
    assert!(snap.join("tokenizer.json").is_file());
    assert!(!snap.join("model.safetensors").exists(), "weights were downloaded for tokenize");
    // And offline, from the cache, with no request.
    let before = env.hub.requests("").len();
    let out = env
        .hfx()
        .env("HF_HUB_OFFLINE", "1")
        .args(["tokenize", "sentence-transformers/all-MiniLM-L6-v2", "hello", "--ids"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "101 7592 102");
    assert_eq!(env.hub.requests("").len(), before);
}

/// A varied corpus: code, emoji (with ZWJ and skin tones), CJK, RTL scripts, whitespace runs.
const CORPUS: &[&str] = &[
    "fn main() {\n    println!(\"héllo {}\", 42);\n}\n",
    "\tdef f(x):\r\n\t\treturn x ** 2  # square\n",
    "👩‍👩‍👧‍👦 family, 👍🏽 ok, 🏳️‍🌈 flag, 🦀🐍",
    "日本語のテキストと中文文本，还有한국어 텍스트。",
    "مرحبا بالعالم — שלום עולם",
    "   leading, trailing   \n\n\n   \t  ",
    "Ünïcödé àçcents, ß, ﬁ ligature, ½ ⅓, Ω≈ç√∫",
    "<|im_start|>user\nspecial tokens inline<|im_end|>",
    "",
    " ",
    "a\u{0}b\u{7f}c",
];

#[test]
fn decode_of_encode_round_trips_on_a_varied_corpus() {
    let tok = hfx::models::tokenizer::LoadedTokenizer::from_gguf(&gguf()).unwrap();
    for text in CORPUS {
        let enc = tok.tokenizer.encode(*text, false).unwrap();
        let back = tok.tokenizer.decode(enc.get_ids(), false).unwrap();
        assert_eq!(&back, text, "round trip of {text:?}");
        // Every token's bytes concatenate to the text (no byte lost at token boundaries).
        let bytes: Vec<u8> = enc.get_ids().iter().flat_map(|&id| tok.piece_bytes(id).unwrap()).collect();
        assert_eq!(bytes, text.as_bytes(), "pieces of {text:?}");
    }
}

#[test]
fn file_mode_encodes_lines_in_parallel_in_order() {
    let env = TestEnv::new();
    let g = gguf();
    let g = g.to_str().unwrap();
    let path = env.dir.path().join("lines.txt");
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(CORPUS[i % CORPUS.len()].replace(['\n', '\r'], " ").as_str());
        text.push_str(&format!(" line {i}\n"));
    }
    fs_err::write(&path, &text).unwrap();
    let p = path.to_str().unwrap();
    let one = env.ok(&["tokenize", g, "--file", p, "--ids", "--threads", "1"]);
    let two = env.ok(&["tokenize", g, "--file", p, "--ids", "--threads", "2"]);
    assert_eq!(one, two);
    let lines: Vec<&str> = one.lines().collect();
    assert_eq!(lines.len(), 3000);
    // Line 7 is the same as tokenizing it alone.
    let seventh = text.lines().nth(7).unwrap();
    assert_eq!(lines[7], env.ok(&["tokenize", g, seventh, "--ids"]));
    let total: usize = lines.iter().map(|l| l.split_whitespace().count()).sum();
    let count = json_out(&env, &["tokenize", g, "--file", p, "--count", "--json"]);
    assert_eq!(count["count"].as_u64().unwrap() as usize, total);
    assert_eq!(count["lines"], 3000);
    assert_eq!(count["bytes"].as_u64().unwrap() as usize, text.len());
    // stdin: one text (echo's newline dropped), or lines with `--file -`.
    let out = env.hfx().args(["tokenize", g, "--ids"]).write_stdin("Hello, world!\n").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "19556 28 905 17");
    let out =
        env.hfx().args(["tokenize", g, "--file", "-", "--ids"]).write_stdin("Hello\n, world!\n").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "19556\n28 905 17\n");
    // JSON lines: one object per input line.
    let jl = env.ok(&["tokenize", g, "--file", p, "--json"]);
    let first: Value = serde_json::from_str(jl.lines().next().unwrap()).unwrap();
    assert_eq!(first["line"], 1);
    assert_eq!(jl.lines().count(), 3000);
}

#[test]
fn bad_input_is_a_clear_error() {
    let env = TestEnv::new();
    serve_fixtures(&env);
    let g = gguf();
    let g = g.to_str().unwrap();

    let (code, _, err) = env.run(&["tokenize", "nobody/missing-model", "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error:") && err.contains("nobody/missing-model") && err.contains("hint:"), "{err}");

    let bad = env.dir.path().join("bad.txt");
    fs_err::write(&bad, b"fine\nalso fine\nbroken \xff\xfe here\n").unwrap();
    let (code, _, err) = env.run(&["tokenize", g, "--file", bad.to_str().unwrap(), "--count"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line 3") && err.contains("UTF-8"), "{err}");

    let (code, _, err) = env.run(&["tokenize", g, "--decode", "1,999999"]);
    assert_eq!(code, 1);
    assert!(err.contains("999999") && err.contains("hint:"), "{err}");

    let truncated = env.dir.path().join("trunc.gguf");
    fs_err::write(&truncated, &fs_err::read(g).unwrap()[..100_000]).unwrap();
    let (code, _, err) = env.run(&["tokenize", truncated.to_str().unwrap(), "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a valid GGUF") && err.contains("hint:"), "{err}");

    let msgs = env.dir.path().join("m.json");
    fs_err::write(&msgs, "{\"role\": \"user\"}").unwrap();
    let (code, _, err) = env.run(&["tokenize", g, "--chat", msgs.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid chat messages") && err.contains("hint:"), "{err}");

    // BERT has no chat template.
    let m = write_messages(env.dir.path(), "ok", &serde_json::json!([{"role": "user", "content": "hi"}]));
    let (code, _, err) =
        env.run(&["tokenize", fixtures_dir().join("minilm").to_str().unwrap(), "--chat", m.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("no chat template"), "{err}");
}

#[test]
fn sentencepiece_gguf_vocabulary_builds_a_llama_style_tokenizer() {
    use candle_core::quantized::gguf_file::{Value as G, write};
    let tokens = [
        "<unk>",
        "<s>",
        "</s>",
        "<0xC3>",
        "<0xA9>",
        "\u{2581}",
        "h",
        "e",
        "l",
        "o",
        "w",
        "r",
        "d",
        "\u{2581}h",
        "he",
        "ll",
        "llo",
        "\u{2581}he",
        "\u{2581}hello",
        "\u{2581}w",
        "or",
        "\u{2581}wor",
        "ld",
        "\u{2581}world",
    ];
    let mut types = vec![2, 3, 3, 6, 6];
    types.resize(tokens.len(), 1);
    // Longer pieces score higher, so they merge last... as in real SentencePiece vocabularies, a
    // merged token's score ranks its merge.
    let scores: Vec<f32> = (0..tokens.len()).map(|i| -(i as f32)).collect();
    let md: Vec<(&str, G)> = vec![
        ("general.architecture", G::String("llama".into())),
        ("tokenizer.ggml.model", G::String("llama".into())),
        ("tokenizer.ggml.tokens", G::Array(tokens.iter().map(|t| G::String((*t).into())).collect())),
        ("tokenizer.ggml.scores", G::Array(scores.iter().map(|s| G::F32(*s)).collect())),
        ("tokenizer.ggml.token_type", G::Array(types.iter().map(|t| G::I32(*t)).collect())),
        ("tokenizer.ggml.bos_token_id", G::U32(1)),
        ("tokenizer.ggml.eos_token_id", G::U32(2)),
        ("tokenizer.ggml.unknown_token_id", G::U32(0)),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spm.gguf");
    let mut f = fs_err::File::create(&path).unwrap();
    let md_refs: Vec<(&str, &G)> = md.iter().map(|(k, v)| (*k, v)).collect();
    write(&mut f, &md_refs, &[]).unwrap();
    drop(f);

    let tok = hfx::models::tokenizer::LoadedTokenizer::from_gguf(&path).unwrap();
    let enc = tok.tokenizer.encode("hello world", true).unwrap();
    assert_eq!(enc.get_tokens(), ["<s>", "\u{2581}hello", "\u{2581}world"]);
    // Unknown characters fall back to bytes; decoding restores them and drops the prefix space.
    let enc = tok.tokenizer.encode("hé", false).unwrap();
    assert_eq!(enc.get_tokens(), ["\u{2581}h", "<0xC3>", "<0xA9>"]);
    assert_eq!(tok.tokenizer.decode(enc.get_ids(), false).unwrap(), "hé");
    assert_eq!(tok.piece_bytes(3).unwrap(), [0xC3]);
}

/// `--tokens` prints the pieces (as transformers' `convert_ids_to_tokens` spells them) and
/// `--offsets` the character span `start:end` of each token, one line per input; each span
/// slices the input back to that token's text.
#[test]
fn tokens_and_offsets_modes_print_pieces_and_spans_that_slice_the_input() {
    let env = TestEnv::new();
    let g = gguf();
    let g = g.to_str().unwrap();
    let tok = hfx::models::tokenizer::LoadedTokenizer::from_gguf(&gguf()).unwrap();
    let r = reference("smollm2/tokenization.json");
    let cases = [
        ("Hello, world!", "0:5 5:6 6:12 12:13"),
        (
            "Don't stop; we'll see. It's I'M HERE, isn't it?",
            "0:3 3:5 5:10 10:11 11:14 14:17 17:21 21:22 22:25 25:27 27:29 29:30 30:31 31:36 36:37 37:41 41:43 43:46 46:47",
        ),
        // Characters, not bytes: `è` is one character of two bytes; `Å` is split into two
        // byte-level tokens, each spanning the character it is part of.
        (
            "Crème brûlée, façade, Ångström, São Paulo, naïve",
            "0:2 2:3 3:5 5:8 8:9 9:10 10:12 12:13 13:20 20:21 21:23 22:23 23:25 25:28 28:30 30:31 31:35 35:41 41:42 42:45 45:48",
        ),
    ];
    for (text, want_offsets) in cases {
        let case = r["cases"].as_array().unwrap().iter().find(|c| c["text"] == text).unwrap();
        let want_tokens: Vec<&str> = case["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(env.ok(&["tokenize", g, text, "--tokens"]), want_tokens.join(" "), "tokens of {text:?}");
        let offsets = env.ok(&["tokenize", g, text, "--offsets"]);
        assert_eq!(offsets, want_offsets, "offsets of {text:?}");
        let spans: Vec<(usize, usize)> = offsets
            .split(' ')
            .map(|s| {
                let (a, b) = s.split_once(':').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        let token_ids = ids(&case["ids"]);
        assert_eq!(spans.len(), token_ids.len(), "one span per token of {text:?}");
        let chars: Vec<char> = text.chars().collect();
        for ((start, end), id) in spans.into_iter().zip(token_ids) {
            let slice: String = chars[start..end].iter().collect();
            let piece = tok.piece_bytes(id as u32).unwrap();
            match std::str::from_utf8(&piece) {
                Ok(piece) => assert_eq!(slice, piece, "span {start}:{end} of {text:?}"),
                // A byte-level piece of a character: the span is the character(s) it is part of.
                Err(_) => assert!(
                    slice.as_bytes().windows(piece.len()).any(|w| w == piece) && slice.chars().count() <= 2,
                    "span {start}:{end} ({slice:?}) of {text:?} does not hold the bytes {piece:?}"
                ),
            }
        }
        // The same as the JSON view's `offsets`.
        let json = json_out(&env, &["tokenize", g, text, "--json"]);
        let json_spans: Vec<String> = json["offsets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{}:{}", p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
            .collect();
        assert_eq!(json_spans.join(" "), want_offsets);
    }
}
