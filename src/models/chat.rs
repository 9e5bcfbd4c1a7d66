//! Chat templates rendered the way transformers renders them (`apply_chat_template`): Jinja with
//! `trim_blocks`, `lstrip_blocks`, loop controls, `raise_exception`, `strftime_now`, a `tojson`
//! that writes Python's `json.dumps`, and Python string methods. `tokenize`, `run`, `finetune`
//! and `serve` all render through this one type.

use minijinja::{Environment, Error, ErrorKind, Value as JinjaValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ModelError, Result};
use crate::pyjson;

/// One chat message; extra fields (tool calls, names) pass through to the template.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub role: String,
    #[serde(default)]
    pub content: Value,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

impl Message {
    pub fn new(role: &str, content: &str) -> Self {
        Self { role: role.into(), content: Value::String(content.into()), extra: serde_json::Map::new() }
    }
}

/// What a template sees besides the messages.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub add_generation_prompt: bool,
    pub bos_token: Option<String>,
    pub eos_token: Option<String>,
    pub tools: Option<Value>,
    /// Extra template variables (transformers' `**kwargs`), e.g. `enable_thinking`.
    pub extra: serde_json::Map<String, Value>,
}

pub struct ChatTemplate {
    env: Environment<'static>,
}

fn tojson(value: JinjaValue, kwargs: minijinja::value::Kwargs) -> std::result::Result<JinjaValue, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    let ensure_ascii: Option<bool> = kwargs.get("ensure_ascii")?;
    let separators: Option<Vec<String>> = kwargs.get("separators")?;
    kwargs.assert_all_used()?;
    let json = serde_json::to_value(&value).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let mut style = pyjson::Style {
        ensure_ascii: ensure_ascii.unwrap_or(false),
        sort_keys: sort_keys.unwrap_or(false),
        ..pyjson::Style::default()
    }
    .with_indent(indent);
    if let Some([item, key]) = separators.as_deref() {
        style.item_separator = item;
        style.key_separator = key;
    }
    Ok(JinjaValue::from_safe_string(pyjson::dumps(&json, &style)))
}

impl ChatTemplate {
    pub fn new(source: &str) -> Result<Self> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| ModelError::BadTemplate(e.to_string()))?;
        env.set_syntax(syntax);
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", |msg: String| -> std::result::Result<JinjaValue, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, msg))
        });
        env.add_function("strftime_now", |fmt: String| chrono::Local::now().format(&fmt).to_string());
        env.add_filter("tojson", tojson);
        env.add_template_owned("chat", source.to_string()).map_err(|e| ModelError::BadTemplate(describe(&e)))?;
        Ok(Self { env })
    }

    pub fn render(&self, messages: &[Message], opts: &RenderOptions) -> Result<String> {
        let tmpl = self.env.get_template("chat").map_err(|e| ModelError::BadTemplate(describe(&e)))?;
        let mut ctx = opts.extra.clone();
        ctx.insert("messages".into(), serde_json::to_value(messages).unwrap_or_default());
        ctx.insert("add_generation_prompt".into(), Value::Bool(opts.add_generation_prompt));
        ctx.insert("bos_token".into(), opts.bos_token.clone().map_or(Value::String(String::new()), Value::String));
        ctx.insert("eos_token".into(), opts.eos_token.clone().map_or(Value::String(String::new()), Value::String));
        if let Some(t) = &opts.tools {
            ctx.insert("tools".into(), t.clone());
        }
        tmpl.render(JinjaValue::from(minijinja::value::Serde(&ctx))).map_err(|e| ModelError::Render(describe(&e)))
    }
}

/// minijinja's message plus the template line, and the `raise_exception` text as is.
fn describe(e: &Error) -> String {
    let mut s = e.detail().map_or_else(|| e.kind().to_string(), str::to_string);
    if let Some(line) = e.line() {
        s.push_str(&format!(" (template line {line})"));
    }
    s
}

/// Parse a messages file: a JSON list of `{role, content}`, or `{"messages": [...]}`.
pub fn parse_messages(bytes: &[u8]) -> std::result::Result<Vec<Message>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let list = match v {
        Value::Object(mut o) if o.contains_key("messages") => o.remove("messages").unwrap_or_default(),
        other => other,
    };
    let msgs: Vec<Message> = serde_json::from_value(list).map_err(|e| e.to_string())?;
    if msgs.is_empty() {
        return Err("the list of messages is empty".into());
    }
    Ok(msgs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_methods_tojson_and_exceptions() {
        let t = ChatTemplate::new(
            "{% for m in messages %}{{ m.role.upper() }}:{{ m.content.strip() }}|{% endfor %}{{ tools | tojson }}",
        )
        .unwrap();
        let opts = RenderOptions {
            tools: Some(serde_json::json!([{"name": "f", "x": 1.0, "s": "<é>"}])),
            ..RenderOptions::default()
        };
        let out = t.render(&[Message::new("user", "  hi ")], &opts).unwrap();
        assert_eq!(out, r#"USER:hi|[{"name": "f", "x": 1.0, "s": "<é>"}]"#);

        let t = ChatTemplate::new("{{ raise_exception('roles must alternate') }}").unwrap();
        let err = t.render(&[Message::new("user", "x")], &RenderOptions::default()).unwrap_err();
        assert!(err.to_string().contains("roles must alternate"), "{err}");
        assert!(ChatTemplate::new("{% for %}").is_err());
    }

    #[test]
    fn trim_and_lstrip_blocks_like_transformers() {
        let t = ChatTemplate::new("  {% if true %}\nA\n  {% endif %}\nB").unwrap();
        assert_eq!(t.render(&[Message::new("user", "x")], &RenderOptions::default()).unwrap(), "A\nB");
    }

    #[test]
    fn strftime_now_formats_today() {
        let t = ChatTemplate::new("{{ strftime_now('%Y') }}").unwrap();
        let year = t.render(&[Message::new("user", "x")], &RenderOptions::default()).unwrap();
        assert_eq!(year, chrono::Local::now().format("%Y").to_string());
    }
}
