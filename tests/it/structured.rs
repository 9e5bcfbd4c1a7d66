//! Structured output (llguidance): `hfx run --json-schema/--json-object/--regex/--grammar` and
//! `hfx serve`'s OpenAI `response_format` and TGI `grammar`, on the real Qwen2.5-Coder-0.5B and
//! SmolLM2 GGUF fixtures, sampling at temperature 0.8 so the constraint does the work. Answers
//! are checked with Python's `jsonschema` and the official `openai` client.

use serde_json::{Value, json};

use crate::common::*;
use crate::serve::{Server, block_on, gguf, post, python};

fn qwen() -> String {
    let path = fixtures_dir().join("qwen/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    assert!(path.is_file(), "no Qwen fixture: run `scripts/fetch-fixtures.sh --qwen` (scripts/test.sh does it)");
    path.to_string_lossy().into_owned()
}

/// `value` checked against `schema` by Python's jsonschema (an independent validator).
fn validates(value: &Value, schema: &Value) -> Result<(), String> {
    let code = "import json, sys, jsonschema; jsonschema.validate(json.loads(sys.argv[1]), json.loads(sys.argv[2]))";
    let out = std::process::Command::new(python())
        .args(["-c", code, &value.to_string(), &schema.to_string()])
        .output()
        .expect("run python (scripts/test.sh installs jsonschema in its venv)");
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

const PERSON: &str = r#"{
  "type": "object",
  "properties": {
    "name": {"type": "string", "maxLength": 24},
    "age": {"type": "integer", "minimum": 18, "maximum": 99},
    "languages": {"type": "array", "items": {"type": "string", "enum": ["python", "rust", "go", "c"]},
                  "minItems": 1, "maxItems": 3}
  },
  "required": ["name", "age", "languages"],
  "additionalProperties": false
}"#;

#[test]
fn run_constrains_answers_to_a_schema_a_regex_and_a_lark_grammar_and_refuses_bad_ones() {
    let env = TestEnv::new();
    let dir = env.dir.path();
    let schema_path = dir.join("person.json");
    fs_err::write(&schema_path, PERSON).unwrap();
    let schema: Value = serde_json::from_str(PERSON).unwrap();
    let (q, s) = (qwen(), gguf());
    let schema_arg = schema_path.to_str().unwrap();

    // Sampled answers on both models parse and validate, and end by themselves (not at the limit).
    for (model, seed) in [(&q, "1"), (&q, "2"), (&s, "3"), (&s, "4")] {
        let args = [
            "run",
            model,
            "Invent a programmer and describe them.",
            "--json-schema",
            schema_arg,
            "--temperature",
            "0.8",
            "--seed",
            seed,
            "--max-new-tokens",
            "120",
            "--json",
        ];
        let out: Value = serde_json::from_str(&env.ok(&args)).unwrap();
        let text = out["text"].as_str().unwrap();
        let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
        validates(&value, &schema).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(out["finish_reason"], "stop", "{out}");
    }

    // Any JSON object; a regex; a Lark grammar. `-v` says which constraint is in use.
    let (code, text, err) =
        env.run(&["run", &q, "Describe a cat as JSON.", "--json-object", "--temperature", "0.8", "--seed", "5", "-v"]);
    assert_eq!(code, 0, "{err}");
    assert!(serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{e}: {text}")).is_object());
    assert!(err.contains("structured output: json_object (llguidance)"), "{err}");
    for seed in ["1", "2", "3"] {
        let phone =
            env.ok(&["run", &s, "Give me a phone number.", "--regex", r"\(\d{3}\) \d{3}-\d{4}", "--seed", seed]);
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        assert!(
            phone.len() == 14 && digits == 10 && phone.starts_with('(') && phone[4..].starts_with(") "),
            "{phone:?}"
        );
    }
    let lark = dir.join("yesno.lark");
    fs_err::write(&lark, "start: answer \".\"\nanswer: \"yes\" | \"no\"\n").unwrap();
    let answer = env.ok(&["run", &s, "Is water wet?", "--grammar", lark.to_str().unwrap(), "--temperature", "0.8"]);
    assert!(answer == "yes." || answer == "no.", "{answer:?}");

    // Refused with the reason, exit 1; conflicting flags are a usage error (2).
    let bad = dir.join("bad.json");
    let refuse = |args: &[&str], needle: &str| {
        let (code, out, err) = env.run(args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains("error: invalid grammar") && err.contains(needle) && err.contains("hint:"), "{err}");
        assert!(out.is_empty(), "{out}");
    };
    fs_err::write(&bad, r#"{"type": "integer", "minimum": 5, "maximum": 1}"#).unwrap();
    refuse(&["run", &s, "x", "--json-schema", bad.to_str().unwrap()], "minimum (5) is greater than maximum (1)");
    fs_err::write(&bad, r##"{"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}"##).unwrap();
    refuse(&["run", &s, "x", "--json-schema", bad.to_str().unwrap()], "/nowhere");
    fs_err::write(&bad, r#"{"type": "#).unwrap();
    refuse(&["run", &s, "x", "--json-schema", bad.to_str().unwrap()], "is not JSON");
    refuse(&["run", &s, "x", "--regex", "(abc"], "unclosed group");
    let (code, _, err) = env.run(&["run", &s, "x", "--regex", "a", "--json-object"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_openai_client_gets_answers_that_validate_from_hfx_serve_on_qwen() {
    let env = TestEnv::new();
    let s = Server::start(&env, &qwen(), &["--served-model-name", "qwen", "--max-batch-size", "4"]);
    let out = std::process::Command::new(python())
        .arg(repo_root().join("tests/data/structured_client.py"))
        .arg(format!("{}/v1", s.url))
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}\nserver:\n{}", s.stderr.lock().unwrap());
    assert!(stdout.contains("all checks passed"), "{stdout}");
    // 3 schemas x 2 choices, json_object, one streamed; 4 tool-call answers and a streamed one.
    assert_eq!(stdout.lines().filter(|l| l.starts_with("{\"schema\"")).count(), 8, "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("{\"tool_choice\"")).count(), 4, "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("{\"streamed\"")).count(), 1, "{stdout}");
}

#[test]
fn tgi_grammar_constrains_generate_and_bad_grammars_get_tgi_errors() {
    let env = TestEnv::new();
    let s = Server::start(&env, &gguf(), &[]);
    block_on(async {
        let url = s.at("/generate");
        let body = |grammar: Value| {
            json!({"inputs": "The year the first moon landing happened:", "parameters": {
                "max_new_tokens": 20, "do_sample": true, "temperature": 0.8, "seed": 4, "grammar": grammar}})
        };
        let (status, v) = post(&url, &body(json!({"type": "regex", "value": "[0-9]{4}"}))).await;
        assert_eq!(status, 200, "{v}");
        let year = v["generated_text"].as_str().unwrap();
        assert!(year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()), "{year:?}");
        let schema = json!({"type": "object", "properties": {"year": {"type": "integer", "minimum": 1900, "maximum": 2100}},
                            "required": ["year"], "additionalProperties": false});
        // TGI takes the schema as an object or as a JSON string.
        for value in [schema.clone(), Value::String(schema.to_string())] {
            let (status, v) = post(&url, &body(json!({"type": "json", "value": value}))).await;
            assert_eq!(status, 200, "{v}");
            let answer: Value = serde_json::from_str(v["generated_text"].as_str().unwrap()).unwrap();
            validates(&answer, &schema).unwrap();
        }
        for (grammar, needle) in [
            (json!({"type": "yaml", "value": "x"}), "of type `yaml` is not known"),
            (json!({"type": "regex", "value": "(("}), "`grammar`"),
            (json!({"type": "json", "value": {"type": "integer", "minimum": 3, "maximum": 1}}), "greater than maximum"),
            (json!({"type": "json"}), "needs a `value`"),
        ] {
            let (status, v) = post(&url, &body(grammar.clone())).await;
            assert_eq!(status, 422, "{grammar}: {v}");
            assert_eq!(v["error_type"], "validation", "{v}");
            assert!(v["error"].as_str().unwrap().contains(needle), "{grammar}: {v}");
        }
        // The OpenAI route on the same server: a json_schema answer, and what constraints cost.
        let chat = json!({"messages": [{"role": "user", "content": "When was the first moon landing?"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "y", "schema": schema}},
            "temperature": 0.8, "seed": 2, "max_tokens": 30});
        let (status, v) = post(&s.at("/v1/chat/completions"), &chat).await;
        assert_eq!(status, 200, "{v}");
        let answer: Value = serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
        validates(&answer, &schema).unwrap();
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
        // SmolLM2's template renders no tools: refused, not ignored.
        let tools = json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]);
        let (status, v) = post(
            &s.at("/v1/chat/completions"),
            &json!({"messages": [{"role": "user", "content": "x"}], "tools": tools}),
        )
        .await;
        assert_eq!(status, 400, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("no tool support"), "{v}");
        assert_eq!(v["error"]["param"], "tools");
        let metrics = reqwest::get(s.at("/metrics")).await.unwrap().text().await.unwrap();
        let grammar_us = metrics.lines().find_map(|l| l.strip_prefix("hfx_grammar_microseconds_total ")).unwrap();
        assert!(grammar_us.parse::<u64>().unwrap() > 0, "{metrics}");
    });
}

/// What transformers 5.23's `apply_chat_template` renders for the conversation below with Qwen2.5's
/// template (tools passed as `tools=`, the call's arguments as an object).
const TOOL_TURN: &str = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Current weather in a city\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\nSunny, 18 degrees Celsius.\n</tool_response><|im_end|>\n<|im_start|>assistant\n";

#[test]
fn tool_turns_render_as_transformers_does_and_run_prints_calls_as_json() {
    let env = TestEnv::new();
    let q = qwen();
    let s = Server::start(&env, &q, &[]);
    let tok = hfx::models::tokenizer::LoadedTokenizer::from_gguf(std::path::Path::new(&q)).unwrap();
    let want = tok.tokenizer.encode(TOOL_TURN, false).unwrap().get_ids().len();
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
    block_on(async {
        let info: Value = reqwest::get(s.at("/info")).await.unwrap().json().await.unwrap();
        assert_eq!(info["tool_call_format"], "hermes");
        // The call comes back as OpenAI clients send it (arguments as a JSON string).
        let turn = json!({"messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 18 degrees Celsius."}],
            "tools": tools, "temperature": 0, "max_tokens": 8});
        let (status, v) = post(&s.at("/v1/chat/completions"), &turn).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["usage"]["prompt_tokens"].as_u64().unwrap() as usize, want, "{v}");
        // With `tool_choice: "none"` the answer to the tool result is text, never a call.
        let mut none = turn.clone();
        none["tool_choice"] = json!("none");
        none["max_tokens"] = json!(40);
        let (status, v) = post(&s.at("/v1/chat/completions"), &none).await;
        assert_eq!(status, 200, "{v}");
        let m = &v["choices"][0]["message"];
        assert!(m["content"].as_str().is_some_and(|c| !c.trim().is_empty()) && m.get("tool_calls").is_none(), "{v}");
        assert_ne!(v["choices"][0]["finish_reason"], "tool_calls");
        let mut bad = turn.clone();
        bad["messages"][1]["tool_calls"][0]["function"]["arguments"] = json!("{city");
        let (status, v) = post(&s.at("/v1/chat/completions"), &bad).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["error"]["param"], "messages[1].tool_calls[0].function.arguments");
    });

    let file = env.dir.path().join("tools.json");
    let two = json!([tools[0], {"type": "function", "function": {"name": "get_time", "description": "Current time in a timezone",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string", "maxLength": 40}}, "required": ["tz"],
        "additionalProperties": false}}}]);
    fs_err::write(&file, two.to_string()).unwrap();
    let f = file.to_str().unwrap();
    let (code, out, err) = env.run(&[
        "run",
        &q,
        "What time is it in Tokyo?",
        "--tools",
        f,
        "--tool-choice",
        "get_time",
        "--temperature",
        "0.8",
        "--seed",
        "2",
        "-v",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("tool calls: hermes format"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["tool_calls"][0]["name"], "get_time", "{v}");
    validates(&v["tool_calls"][0]["arguments"], &two[1]["function"]["parameters"]).unwrap();
    assert_eq!((v["content"].clone(), v["finish_reason"].clone()), (Value::Null, json!("tool_calls")), "{v}");
    // Errors: a model without tool support, a choice that is not a tool, a malformed list.
    let (code, _, err) = env.run(&["run", &gguf(), "x", "--tools", f]);
    assert!(code == 1 && err.contains("no tool support"), "{err}");
    let (code, _, err) = env.run(&["run", &q, "x", "--tools", f, "--tool-choice", "nope"]);
    assert!(code == 1 && err.contains("`--tool-choice nope` is not one of its functions"), "{err}");
    fs_err::write(&file, r#"[{"type": "function", "function": {"name": "a b"}}]"#).unwrap();
    let (code, _, err) = env.run(&["run", &q, "x", "--tools", f]);
    assert!(code == 1 && err.contains("`tools[0]` needs a `function.name`"), "{err}");
}
