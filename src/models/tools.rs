//! Tool calling: which syntax a model's chat template asks for, the grammar that makes a call
//! valid (the function's name and its arguments' JSON Schema), and parsing the model's output
//! back into calls. Formats: Hermes/Qwen `<tool_call>{"name", "arguments"}</tool_call>`, Llama
//! 3.x `{"name", "parameters"}` (after `<|python_tag|>` or alone), Mistral
//! `[TOOL_CALLS][{"name", "arguments"}, ...]`.

use serde_json::{Map, Value, json};

use super::grammar::GrammarSpec;
use super::tokenizer::LoadedTokenizer;

/// A function the model may call (OpenAI's `tools[].function`).
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    /// The arguments' JSON Schema (`{"type": "object"}` when the tool gives none).
    pub parameters: Value,
}

/// OpenAI's `tools` list (`[{"type": "function", "function": {"name", "description",
/// "parameters"}}]`) checked: an error names the entry (`tools[2]`) and what is wrong.
pub fn parse_tools(list: &[Value]) -> Result<Vec<Tool>, (String, String)> {
    let mut parsed: Vec<Tool> = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let at = format!("tools[{i}]");
        let bad = |m: String| Err((at.clone(), format!("`{at}` {m}")));
        if t.get("type").and_then(Value::as_str) != Some("function") {
            return bad("must be {\"type\": \"function\", \"function\": {...}}".into());
        }
        let Some(f) = t.get("function").filter(|f| f.is_object()) else {
            return bad("has no `function` object".into());
        };
        let name = f.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty()
            || name.len() > 64
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return bad("needs a `function.name` of letters, digits, `_` and `-` (64 at most)".into());
        }
        if parsed.iter().any(|p| p.name == name) {
            return bad(format!("repeats the function name `{name}`"));
        }
        let parameters = match f.get("parameters") {
            None | Some(Value::Null) => json!({"type": "object"}),
            Some(p @ Value::Object(_)) => p.clone(),
            Some(_) => return bad("`function.parameters` must be a JSON Schema object".into()),
        };
        parsed.push(Tool { name: name.to_string(), parameters });
    }
    Ok(parsed)
}

/// What the request lets the model do (OpenAI's `tool_choice`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    /// Answer in text or call tools, as the model likes.
    Auto,
    /// Call at least one tool.
    Required,
    /// Call this one.
    Named(String),
}

/// One call parsed from the output; `arguments` is the JSON object the model wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub name: String,
    pub arguments: Value,
}

/// A model's tool-call syntax, from its chat template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolFormat {
    /// `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>` (Hermes, Qwen 2/2.5/3).
    /// `open`: the id of `<tool_call>` when the tokenizer has it as one token.
    Hermes { open: Option<u32> },
    /// `{"name": ..., "parameters": {...}}`, optionally after `<|python_tag|>` (Llama 3.1-3.3).
    Llama3,
    /// `[TOOL_CALLS][{"name": ..., "arguments": {...}}]` (Mistral). `open`: the id of
    /// `[TOOL_CALLS]` when it is one (special) token.
    Mistral { open: Option<u32> },
}

impl ToolFormat {
    /// The syntax a template teaches, or `None` when it renders no tools.
    pub fn detect(template: &str, tok: &LoadedTokenizer) -> Option<Self> {
        if !template.contains("tools") {
            return None;
        }
        if template.contains("<tool_call>") {
            return Some(ToolFormat::Hermes { open: tok.tokenizer.token_to_id("<tool_call>") });
        }
        if template.contains("[TOOL_CALLS]") {
            return Some(ToolFormat::Mistral { open: tok.tokenizer.token_to_id("[TOOL_CALLS]") });
        }
        if template.contains("<|python_tag|>") || template.contains("\"parameters\"") {
            return Some(ToolFormat::Llama3);
        }
        None
    }

    /// A short name for `/info` and `hfx run -v`.
    pub fn name(&self) -> &'static str {
        match self {
            ToolFormat::Hermes { .. } => "hermes",
            ToolFormat::Llama3 => "llama3-json",
            ToolFormat::Mistral { .. } => "mistral",
        }
    }

    /// The key the format puts the arguments under.
    fn arguments_key(&self) -> &'static str {
        if *self == ToolFormat::Llama3 { "parameters" } else { "arguments" }
    }

    /// The grammar for `choice` over `tools`: one call (or several when `parallel`) of a listed
    /// function with arguments valid against its schema. Under `Auto` the model may answer in
    /// text instead; where the format opens calls with one token (Qwen's `<tool_call>`), a call
    /// it starts is held to the same grammar.
    pub fn grammar(&self, tools: &[Tool], choice: &ToolChoice, parallel: bool) -> Option<GrammarSpec> {
        let chosen: Vec<&Tool> = match choice {
            ToolChoice::Named(n) => tools.iter().filter(|t| &t.name == n).collect(),
            _ => tools.iter().collect(),
        };
        let key = self.arguments_key();
        let variants: Vec<Value> = chosen
            .iter()
            .map(|t| {
                let mut props = Map::new();
                props.insert("name".into(), json!({"const": t.name}));
                props.insert(key.into(), t.parameters.clone());
                json!({"type": "object", "properties": props, "required": ["name", key], "additionalProperties": false})
            })
            .collect();
        let call_schema = if variants.len() == 1 { variants[0].clone() } else { json!({"anyOf": variants}) };
        let schema = crate::models::grammar::compact_schema(call_schema);
        let one = format!("%json {schema}");
        let repeat = if parallel { "+" } else { "" };
        let lark = match self {
            ToolFormat::Hermes { open } => {
                let open_tok = open.map_or_else(|| "\"<tool_call>\"".to_string(), |id| format!("<[{id}]>"));
                let calls =
                    format!("call{repeat}\ncall: {open_tok} \"\\n\" body \"\\n</tool_call>\" \"\\n\"?\nbody: {one}\n");
                match (choice, open) {
                    // Text (which cannot produce the `<tool_call>` token), calls after it, or
                    // a bare call object (what small Qwen models often answer with).
                    (ToolChoice::Auto, Some(_)) => {
                        format!("start: TEXT | TEXT? calls | body\nTEXT: /(?s:\\s*[^{{\\s].*)/\ncalls: {calls}")
                    }
                    (ToolChoice::Auto, None) => return None,
                    _ => format!("start: {calls}"),
                }
            }
            ToolFormat::Llama3 => match choice {
                ToolChoice::Auto => return None,
                _ if parallel => format!("start: call (\";\" \" \"? call)*\ncall: {one}\n"),
                _ => format!("start: {one}\n"),
            },
            ToolFormat::Mistral { open } => match choice {
                ToolChoice::Auto => return None,
                _ => format!(
                    "start: {} \"[\" call{} \"]\"\ncall: {one}\n",
                    open.map_or_else(|| "\"[TOOL_CALLS]\"".to_string(), |id| format!("<[{id}]>")),
                    if parallel { " (\", \" call)*" } else { "" }
                ),
            },
        };
        Some(GrammarSpec::Lark(lark))
    }

    /// Split an answer into its text and the calls it makes. Text that only looks like a call
    /// (unparseable JSON, an unknown shape) stays text.
    pub fn parse(&self, output: &str) -> (String, Vec<ToolCall>) {
        match self {
            ToolFormat::Hermes { .. } => match bare_call(output) {
                Some(call) => (String::new(), vec![call]),
                None => parse_hermes(output),
            },
            ToolFormat::Llama3 => {
                let body = output.trim().strip_prefix("<|python_tag|>").unwrap_or(output.trim());
                let calls: Option<Vec<ToolCall>> = json_values(body, ';')
                    .and_then(|values| values.iter().map(|v| call_from(v, "parameters")).collect());
                match calls {
                    Some(c) if !c.is_empty() => (String::new(), c),
                    _ => (output.to_string(), Vec::new()),
                }
            }
            ToolFormat::Mistral { .. } => {
                // `[TOOL_CALLS]` is a special token in most Mistral vocabularies, and decoding
                // drops special tokens: a bare list of calls is the same answer.
                let (at, list) = match output.find("[TOOL_CALLS]") {
                    Some(at) => (at, &output[at + "[TOOL_CALLS]".len()..]),
                    None if output.trim_start().starts_with('[') => (0, output),
                    None => return (output.to_string(), Vec::new()),
                };
                let calls: Option<Vec<ToolCall>> = serde_json::from_str::<Value>(list.trim())
                    .ok()
                    .and_then(|v| v.as_array().cloned())
                    .and_then(|a| a.iter().map(|c| call_from(c, "arguments")).collect());
                match calls {
                    Some(c) if !c.is_empty() => (output[..at].trim_end().to_string(), c),
                    _ => (output.to_string(), Vec::new()),
                }
            }
        }
    }

    /// Where the text of a streamed answer may turn into a call: from here on, the server holds
    /// the text back until the answer ends. `whole`: `text` is the answer from its start.
    pub fn call_start(&self, text: &str, whole: bool) -> Option<usize> {
        match self {
            // A bare call object is a whole answer too.
            ToolFormat::Hermes { .. } => text.find("<tool_call>").or_else(|| {
                let t = text.trim_start();
                (whole && (t.starts_with('{') || t.starts_with(JSON_FENCE))).then_some(text.len() - t.len())
            }),
            ToolFormat::Mistral { .. } => text.find("[TOOL_CALLS]").or_else(|| {
                let t = text.trim_start();
                (whole && t.starts_with('[')).then_some(text.len() - t.len())
            }),
            // A Llama 3 call is the whole answer: a JSON object from the first character.
            ToolFormat::Llama3 => {
                let t = text.trim_start();
                (whole && (t.starts_with('{') || t.starts_with("<|python_tag|>"))).then_some(text.len() - t.len())
            }
        }
    }
}

/// What a streamed answer becomes, piece by piece: text to pass on, or a whole call.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Call(ToolCall),
}

/// Splits a streamed answer into text and calls as it arrives: text is passed on until it may
/// be the start of a call, which is held until it is complete (Hermes: at `</tool_call>`; the
/// other formats: at the end of the answer).
#[derive(Debug)]
pub struct CallStream {
    format: ToolFormat,
    held: String,
    in_call: bool,
    /// Whether text was passed on (a bare call can only be a whole answer).
    passed: bool,
    /// Calls already handed out (the text after them is checked for more).
    pub calls: usize,
}

const HERMES_CLOSE: &str = "</tool_call>";

impl CallStream {
    pub fn new(format: ToolFormat) -> Self {
        Self { format, held: String::new(), in_call: false, passed: false, calls: 0 }
    }

    pub fn push(&mut self, text: &str) -> Vec<Piece> {
        self.held.push_str(text);
        let mut out = Vec::new();
        loop {
            if !self.in_call {
                let whole = !self.passed && self.calls == 0;
                match self.format.call_start(&self.held, whole) {
                    Some(at) => {
                        let before: String = self.held.drain(..at).collect();
                        if !before.trim().is_empty() || (self.calls == 0 && !before.is_empty()) {
                            self.passed = true;
                            out.push(Piece::Text(before));
                        }
                        self.in_call = true;
                    }
                    None => {
                        // Keep back what could still become the opening marker.
                        let keep = self.marker_prefix_len();
                        let ready: String = self.held.drain(..self.held.len() - keep).collect();
                        if !ready.is_empty() && (self.calls == 0 || !ready.trim().is_empty()) {
                            self.passed = true;
                            out.push(Piece::Text(ready));
                        }
                        return out;
                    }
                }
            }
            // Hermes calls end with a marker: each one leaves as soon as it is complete.
            let ToolFormat::Hermes { .. } = self.format else { return out };
            let Some(end) = self.held.find(HERMES_CLOSE) else { return out };
            let block: String = self.held.drain(..end + HERMES_CLOSE.len()).collect();
            match parse_hermes(&block).1.pop() {
                Some(call) => {
                    self.calls += 1;
                    out.push(Piece::Call(call));
                }
                None => out.push(Piece::Text(block)),
            }
            self.in_call = false;
        }
    }

    /// The answer ended: what is held becomes calls, or text when it does not parse.
    pub fn finish(&mut self) -> Vec<Piece> {
        let held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return Vec::new();
        }
        let (text, calls) = if self.in_call { self.format.parse(&held) } else { (held.clone(), Vec::new()) };
        let mut out = Vec::new();
        if !text.is_empty() && (calls.is_empty() || !text.trim().is_empty()) {
            out.push(Piece::Text(if calls.is_empty() { held } else { text }));
        }
        self.calls += calls.len();
        out.extend(calls.into_iter().map(Piece::Call));
        out
    }

    /// The length of the longest end of the held text that begins the call marker.
    fn marker_prefix_len(&self) -> usize {
        // Leading whitespace or the start of a fence may still open a bare call.
        let t = self.held.trim_start();
        if !self.passed && self.calls == 0 && JSON_FENCE.starts_with(t) {
            return self.held.len();
        }
        let marker = match self.format {
            ToolFormat::Hermes { .. } => "<tool_call>",
            ToolFormat::Mistral { .. } => "[TOOL_CALLS]",
            ToolFormat::Llama3 => return 0,
        };
        (1..marker.len().min(self.held.len() + 1))
            .rev()
            .find(|&n| {
                self.held.is_char_boundary(self.held.len() - n) && marker.starts_with(&self.held[self.held.len() - n..])
            })
            .unwrap_or(0)
    }
}

/// JSON values one after another, `sep` (and whitespace) between them; `None` when something
/// else is in the way.
fn json_values(text: &str, sep: char) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let mut it = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        out.push(it.next()?.ok()?);
        rest = rest[it.byte_offset()..].trim_start();
        rest = rest.strip_prefix(sep).unwrap_or(rest).trim_start();
    }
    Some(out)
}

fn call_from(v: &Value, key: &str) -> Option<ToolCall> {
    let name = v.get("name")?.as_str()?.to_string();
    let arguments = v.get(key).or_else(|| v.get("arguments")).cloned().unwrap_or(json!({}));
    arguments.is_object().then_some(ToolCall { name, arguments })
}

/// A whole answer that is one `{"name", "arguments"}` object without the `<tool_call>` tags, bare
/// or in a ```json fence (small Qwen models answer both ways, as llama.cpp's parser also knows).
fn bare_call(output: &str) -> Option<ToolCall> {
    let t = output.trim();
    let t = match t.strip_prefix(JSON_FENCE) {
        Some(fenced) => fenced.strip_suffix("```")?.trim(),
        None => t,
    };
    if !t.starts_with('{') {
        return None;
    }
    call_from(&serde_json::from_str(t).ok()?, "arguments")
}

const JSON_FENCE: &str = "```json";

fn parse_hermes(output: &str) -> (String, Vec<ToolCall>) {
    let mut calls = Vec::new();
    let mut text = String::new();
    let mut rest = output;
    while let Some(start) = rest.find("<tool_call>") {
        let after = &rest[start + "<tool_call>".len()..];
        let (body, next) = match after.find("</tool_call>") {
            Some(end) => (&after[..end], &after[end + "</tool_call>".len()..]),
            None => (after, ""),
        };
        match serde_json::from_str::<Value>(body.trim()).ok().and_then(|v| call_from(&v, "arguments")) {
            Some(call) => {
                text.push_str(&rest[..start]);
                calls.push(call);
            }
            None => text.push_str(&rest[..rest.len() - next.len()]),
        }
        rest = next;
    }
    text.push_str(rest);
    let text = if calls.is_empty() { text } else { text.trim().to_string() };
    (text, calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hermes_calls_are_parsed_and_the_text_around_them_kept() {
        let out = "Let me check.\n<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"time\", \"arguments\": {}}\n</tool_call>";
        let (text, calls) = ToolFormat::Hermes { open: None }.parse(out);
        assert_eq!(text, "Let me check.");
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0], ToolCall { name: "weather".into(), arguments: json!({"city": "Paris"}) });
        assert_eq!(calls[1].name, "time");
        // A bare call object (no tags) is a call; other JSON is text.
        let bare = ToolFormat::Hermes { open: None }.parse("{\"name\": \"f\", \"arguments\": {\"a\": 1}}");
        assert_eq!(bare, (String::new(), vec![ToolCall { name: "f".into(), arguments: json!({"a": 1}) }]));
        assert_eq!(ToolFormat::Hermes { open: None }.parse("{\"a\": 1}").1.len(), 0);
        let fenced = ToolFormat::Hermes { open: None }.parse("```json\n{\"name\": \"f\", \"arguments\": {}}\n```\n");
        assert_eq!(fenced.1, vec![ToolCall { name: "f".into(), arguments: json!({}) }]);
        // Not JSON: stays text.
        let (text, calls) = ToolFormat::Hermes { open: None }.parse("<tool_call>oops</tool_call> ok");
        assert_eq!((text.as_str(), calls.len()), ("<tool_call>oops</tool_call> ok", 0));
    }

    #[test]
    fn llama3_and_mistral_calls_are_parsed() {
        let (text, calls) = ToolFormat::Llama3.parse(
            "<|python_tag|>{\"name\": \"f\", \"parameters\": {\"x\": 1}}; {\"name\": \"g\", \"parameters\": {}}",
        );
        assert_eq!(text, "");
        assert_eq!(calls[0], ToolCall { name: "f".into(), arguments: json!({"x": 1}) });
        assert_eq!(calls[1].name, "g");
        assert_eq!(ToolFormat::Llama3.parse("Paris is the capital.").1.len(), 0);
        let (text, calls) =
            ToolFormat::Mistral { open: None }.parse("[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {\"a\": \"b\"}}]");
        assert_eq!((text.as_str(), calls[0].arguments.clone()), ("", json!({"a": "b"})));
        assert_eq!(ToolFormat::Mistral { open: None }.call_start("ok [TOOL_CALLS]", false), Some(3));
        // Decoding drops the special `[TOOL_CALLS]` token: the bare list is read the same.
        let (_, calls) = ToolFormat::Mistral { open: Some(5) }.parse("[{\"name\": \"f\", \"arguments\": {}}]");
        assert_eq!(calls.len(), 1);
        // A `;` inside an argument does not split Llama 3 calls.
        let (_, calls) = ToolFormat::Llama3.parse("{\"name\": \"sh\", \"parameters\": {\"cmd\": \"a; b\"}}");
        assert_eq!(calls[0].arguments, json!({"cmd": "a; b"}));
        assert_eq!(ToolFormat::Llama3.call_start("ok {", false), None);
    }

    #[test]
    fn a_stream_passes_text_on_and_hands_out_each_call_when_complete() {
        let mut s = CallStream::new(ToolFormat::Hermes { open: None });
        let mut got = Vec::new();
        for piece in [
            "Sure",
            ". <tool",
            "_call>\n{\"name\": \"f\", ",
            "\"arguments\": {}}\n</tool_call>",
            "\n<tool_call>\n{\"name\": \"g\", \"arguments\": {\"a\": 1}}\n</tool_call>",
        ] {
            got.extend(s.push(piece));
        }
        got.extend(s.finish());
        let f = ToolCall { name: "f".into(), arguments: json!({}) };
        let g = ToolCall { name: "g".into(), arguments: json!({"a": 1}) };
        assert_eq!(got, vec![Piece::Text("Sure".into()), Piece::Text(". ".into()), Piece::Call(f), Piece::Call(g)]);
        // A cut-off call is text at the end, not lost.
        let mut s = CallStream::new(ToolFormat::Hermes { open: None });
        let mut got = s.push("<tool_call>\n{\"name\": \"f\"");
        got.extend(s.finish());
        assert_eq!(got, vec![Piece::Text("<tool_call>\n{\"name\": \"f\"".into())]);
        // Plain text passes straight through; JSON after text is text.
        let mut s = CallStream::new(ToolFormat::Hermes { open: None });
        assert_eq!(s.push("Paris is <b>"), vec![Piece::Text("Paris is <b>".into())]);
        assert_eq!(s.push(" {\"name\": \"f\"}"), vec![Piece::Text(" {\"name\": \"f\"}".into())]);
        // A fenced bare call, arriving in pieces, is one call.
        let mut s = CallStream::new(ToolFormat::Hermes { open: None });
        let mut got = Vec::new();
        for piece in ["``", "`json\n{\"name\": \"f\", ", "\"arguments\": {}}\n```"] {
            got.extend(s.push(piece));
        }
        got.extend(s.finish());
        assert_eq!(got, vec![Piece::Call(ToolCall { name: "f".into(), arguments: json!({}) })]);
    }

    #[test]
    fn grammars_name_the_chosen_tools_and_their_schemas() {
        let tools = vec![
            Tool {
                name: "weather".into(),
                parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            },
            Tool { name: "time".into(), parameters: json!({"type": "object"}) },
        ];
        let hermes = ToolFormat::Hermes { open: Some(7) };
        let Some(GrammarSpec::Lark(g)) = hermes.grammar(&tools, &ToolChoice::Named("time".into()), false) else {
            panic!()
        };
        assert!(g.starts_with("start: call\n") && g.contains("<[7]>") && g.contains(r#""const":"time""#), "{g}");
        assert!(!g.contains("weather"), "{g}");
        let Some(GrammarSpec::Lark(g)) = hermes.grammar(&tools, &ToolChoice::Auto, true) else { panic!() };
        assert!(g.contains("TEXT: /") && g.contains("call+") && g.contains("| body") && g.contains("anyOf"), "{g}");
        assert_eq!(ToolFormat::Hermes { open: None }.grammar(&tools, &ToolChoice::Auto, true), None);
        let Some(GrammarSpec::Lark(g)) = ToolFormat::Llama3.grammar(&tools, &ToolChoice::Required, false) else {
            panic!()
        };
        assert!(g.contains(r#""parameters":{"type":"object","properties""#), "{g}");
    }
}
