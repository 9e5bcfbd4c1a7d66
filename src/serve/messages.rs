//! Chat messages as OpenAI clients send them, checked and turned into the messages a chat
//! template renders: roles (`developer` is `system`), text content parts, and an assistant
//! turn's `tool_calls` with their arguments parsed for the template.

use serde::Deserialize;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::tools;
use crate::data::format::json_kind;
use crate::models::chat::Message;

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ChatMessage {
    role: String,
    content: Option<Value>,
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

pub(super) fn messages(list: &[ChatMessage]) -> ApiResult<Vec<Message>> {
    if list.is_empty() {
        return Err(ApiError::field("messages", "`messages` is empty"));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let role = match m.role.as_str() {
            "developer" => "system",
            r @ ("system" | "user" | "assistant" | "tool") => r,
            other => {
                return Err(ApiError::field(
                    &format!("messages[{i}].role"),
                    format!("unknown role `{other}` (system, developer, user, assistant, tool)"),
                ));
            }
        };
        let param = format!("messages[{i}].content");
        let text = match &m.content {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(t)) => t.clone(),
            Some(parts @ Value::Array(_)) => {
                let parts: Vec<Part> = serde_json::from_value(parts.clone()).map_err(|e| {
                    ApiError::field(
                        &param,
                        format!("`{param}` parts must be {{\"type\": \"text\", \"text\": ...}}: {e}"),
                    )
                })?;
                let mut t = String::new();
                for p in &parts {
                    match (p.kind.as_str(), &p.text) {
                        ("text", Some(s)) => t.push_str(s),
                        (kind, _) => {
                            return Err(ApiError::field(
                                &param,
                                format!("content parts of type `{kind}` are not supported by this text model"),
                            ));
                        }
                    }
                }
                t
            }
            Some(other) => {
                return Err(ApiError::field(
                    &param,
                    format!("`{param}` must be a string or a list of content parts, not {}", json_kind(other)),
                ));
            }
        };
        let mut msg = Message::new(role, &text);
        msg.extra = m.extra.clone();
        if let Some(calls) = msg.extra.get_mut("tool_calls").filter(|c| !c.is_null()) {
            *calls = tools::template_calls(calls, &format!("messages[{i}].tool_calls"))?;
        }
        out.push(msg);
    }
    Ok(out)
}
