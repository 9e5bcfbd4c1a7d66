//! OpenAI tool calling on `/v1/chat/completions`: `tools`, `tool_choice` and
//! `parallel_tool_calls` checked against the model's template, the grammar that holds calls to
//! the tools' schemas, and answers turned into `tool_calls` (whole, or streamed as
//! `delta.tool_calls` pieces: index, id and name first, then the arguments).

use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::text::TextModel;
use crate::data::format::json_kind;
use crate::models::grammar::GrammarSpec;
use crate::models::tools::{CallStream, Piece, ToolCall, ToolChoice, ToolFormat, parse_tools};

/// A request's tools, checked.
pub(super) struct ToolRequest {
    pub format: ToolFormat,
    /// The `tools` list as sent, for the chat template (transformers passes the same shape).
    pub template_tools: Value,
    pub choice: ToolChoice,
    pub grammar: Option<GrammarSpec>,
}

/// `None` when the request sends no tools or `tool_choice: "none"` (then the model answers in
/// text and the tools are not shown to it).
pub(super) fn check(
    model: &TextModel,
    tools: Option<&[Value]>,
    choice: Option<&Value>,
    parallel: Option<bool>,
) -> ApiResult<Option<ToolRequest>> {
    let tools = tools.unwrap_or_default();
    let choice = match choice.filter(|c| !c.is_null()) {
        None => (!tools.is_empty()).then_some(ToolChoice::Auto),
        Some(Value::String(s)) => match s.as_str() {
            "none" => None,
            "auto" => Some(ToolChoice::Auto),
            "required" => Some(ToolChoice::Required),
            other => {
                return Err(ApiError::field(
                    "tool_choice",
                    format!("`tool_choice` `{other}` is not known; use none, auto, required or a function"),
                ));
            }
        },
        Some(v @ Value::Object(_)) => match v.pointer("/function/name").and_then(Value::as_str) {
            Some(name) => Some(ToolChoice::Named(name.to_string())),
            None => {
                return Err(ApiError::field(
                    "tool_choice",
                    "`tool_choice` must name a function: {\"type\": \"function\", \"function\": {\"name\": ...}}",
                ));
            }
        },
        Some(other) => {
            return Err(ApiError::field(
                "tool_choice",
                format!("`tool_choice` must be a string or an object, not {}", json_kind(other)),
            ));
        }
    };
    let Some(choice) = choice else { return Ok(None) };
    if tools.is_empty() {
        return Err(ApiError::field("tool_choice", "`tool_choice` needs `tools`"));
    }
    let Some(format) = model.tool_format.clone() else {
        return Err(ApiError::field(
            "tools",
            "this model's chat template has no tool support; send the request without `tools`",
        ));
    };
    let parsed = parse_tools(tools).map_err(|(param, message)| ApiError::field(&param, message))?;
    if let ToolChoice::Named(n) = &choice
        && !parsed.iter().any(|t| &t.name == n)
    {
        return Err(ApiError::field("tool_choice", format!("`tool_choice` names `{n}`, which is not in `tools`")));
    }
    let grammar = format.grammar(&parsed, &choice, parallel.unwrap_or(true));
    Ok(Some(ToolRequest { format, template_tools: Value::Array(tools.to_vec()), choice, grammar }))
}

fn call_id() -> String {
    format!("call_{:016x}{:08x}", rand::random::<u64>(), rand::random::<u32>())
}

/// OpenAI's `tool_calls` entry for a call.
pub(super) fn call_json(call: &ToolCall) -> Value {
    json!({"id": call_id(), "type": "function",
        "function": {"name": call.name, "arguments": call.arguments.to_string()}})
}

/// A whole answer's message: text and calls.
pub(super) fn message(format: &ToolFormat, text: &str) -> (Value, bool) {
    let (content, calls) = format.parse(text);
    if calls.is_empty() {
        return (json!({"role": "assistant", "content": text, "refusal": null}), false);
    }
    let content = if content.is_empty() { Value::Null } else { Value::String(content) };
    let calls: Vec<Value> = calls.iter().map(call_json).collect();
    (json!({"role": "assistant", "content": content, "refusal": null, "tool_calls": calls}), true)
}

/// Streamed deltas of one choice: text as `content`, each call as two `tool_calls` pieces.
pub(super) fn deltas(stream: &mut CallStream, text: Option<&str>) -> Vec<Value> {
    let pieces = match text {
        Some(t) => stream.push(t),
        None => stream.finish(),
    };
    let first = stream.calls - pieces.iter().filter(|p| matches!(p, Piece::Call(_))).count();
    let mut index = first;
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push(json!({"content": t})),
            Piece::Call(c) => {
                out.push(json!({"tool_calls": [{"index": index, "id": call_id(), "type": "function",
                    "function": {"name": c.name, "arguments": ""}}]}));
                out.push(json!({"tool_calls": [{"index": index, "function": {"arguments": c.arguments.to_string()}}]}));
                index += 1;
            }
        }
    }
    out
}

/// OpenAI clients send an assistant turn's calls back with `arguments` as a JSON string;
/// templates (transformers' convention) expect the object, so it is parsed here.
pub(super) fn template_calls(calls: &Value, at: &str) -> ApiResult<Value> {
    let Value::Array(list) = calls else {
        return Err(ApiError::field(at, format!("`{at}` must be a list of calls")));
    };
    let mut out = Vec::with_capacity(list.len());
    for (j, c) in list.iter().enumerate() {
        let mut c = c.clone();
        if let Some(Value::String(args)) = c.pointer("/function/arguments") {
            let parsed: Value = serde_json::from_str(args).map_err(|e| {
                ApiError::field(
                    &format!("{at}[{j}].function.arguments"),
                    format!("`{at}[{j}].function.arguments` is not JSON: {e}"),
                )
            })?;
            c["function"]["arguments"] = parsed;
        }
        out.push(c);
    }
    Ok(Value::Array(out))
}
