//! OpenAI routes: `/v1/chat/completions`, `/v1/completions`, `/v1/models`. Unknown fields are
//! ignored (clients send vendor extras); a known field with a wrong type, or one hfx does not
//! implement yet, is a 400 that names it.

use std::collections::{HashMap, VecDeque};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::sse::Event as SseEvent;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::engine::{Event, Usage};
use super::error::{ApiError, ApiResult, Flavor, parse_body};
use super::messages::{ChatMessage, messages};
use super::sse;
use super::text::{Choice, Knobs, TextModel};
use super::tools;
use super::{Shared, body};
use crate::data::format::json_kind;
use crate::models::generate::FinishReason;
use crate::models::grammar::GrammarSpec;
use crate::models::sequence::{SequenceOptions, TokenLogprob};
use crate::models::tokenizer::LoadedTokenizer;
use crate::models::tools::CallStream;

const F: Flavor = Flavor::OpenAi;
/// OpenAI's limit on `top_logprobs`.
const MAX_TOP_LOGPROBS: u64 = 20;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Stop {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// The fields chat and completions share (each route parses the body once more for its own).
#[derive(Debug, Deserialize)]
struct Common {
    model: Option<String>,
    max_tokens: Option<u64>,
    max_completion_tokens: Option<u64>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<i64>,
    min_p: Option<f64>,
    frequency_penalty: Option<f32>,
    presence_penalty: Option<f32>,
    repetition_penalty: Option<f32>,
    stop: Option<Stop>,
    seed: Option<u64>,
    n: Option<u64>,
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
    logit_bias: Option<HashMap<String, f32>>,
    ignore_eos: Option<bool>,
    response_format: Option<Value>,
    tools: Option<Vec<Value>>,
    tool_choice: Option<Value>,
    parallel_tool_calls: Option<bool>,
    best_of: Option<u64>,
    suffix: Option<String>,
    echo: Option<bool>,
}

impl Common {
    /// Fields hfx refuses rather than ignores.
    fn refuse_unsupported(&self) -> ApiResult<()> {
        if self.best_of.is_some_and(|b| b != 1) {
            return Err(ApiError::unsupported("best_of", "other than 1"));
        }
        if self.suffix.as_ref().is_some_and(|s| !s.is_empty()) {
            return Err(ApiError::unsupported("suffix", "(fill-in-the-middle)"));
        }
        Ok(())
    }

    /// `response_format`: `text`, `json_object`, or `json_schema` with its `schema`.
    fn grammar(&self) -> ApiResult<Option<GrammarSpec>> {
        let Some(rf) = self.response_format.as_ref().filter(|v| !v.is_null()) else { return Ok(None) };
        let bad = |m: &str| ApiError::field("response_format", format!("`response_format` {m}"));
        match rf.get("type").and_then(Value::as_str) {
            Some("text") => Ok(None),
            Some("json_object") => Ok(Some(GrammarSpec::JsonObject)),
            Some("json_schema") => {
                let Some(js) = rf.get("json_schema").filter(|v| v.is_object()) else {
                    return Err(bad("of type `json_schema` needs a `json_schema` object with a `schema`"));
                };
                match js.get("schema") {
                    // OpenAI makes the schema optional: any JSON value then.
                    None | Some(Value::Null) => Ok(Some(GrammarSpec::JsonSchema(json!({})))),
                    Some(s @ (Value::Object(_) | Value::Bool(_))) => Ok(Some(GrammarSpec::JsonSchema(s.clone()))),
                    Some(other) => {
                        Err(bad(&format!("`json_schema.schema` must be an object, not {}", json_kind(other))))
                    }
                }
            }
            Some(other) => {
                Err(bad(&format!("of type `{other}` is not known; use `text`, `json_object` or `json_schema`")))
            }
            None => Err(bad("needs a `type`: `text`, `json_object` or `json_schema`")),
        }
    }

    fn knobs(&self, logprobs: Option<usize>) -> ApiResult<Knobs> {
        Ok(Knobs {
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            min_p: self.min_p,
            frequency_penalty: self.frequency_penalty,
            presence_penalty: self.presence_penalty,
            repetition_penalty: self.repetition_penalty,
            seed: self.seed,
            stop: match &self.stop {
                None => Vec::new(),
                Some(Stop::One(s)) => vec![s.clone()],
                Some(Stop::Many(v)) => v.clone(),
            },
            logit_bias: self.logit_bias.clone(),
            ignore_eos: self.ignore_eos.unwrap_or(false),
            logprobs,
            grammar: self.grammar()?,
        })
    }

    fn n(&self, model: &TextModel) -> ApiResult<usize> {
        let n = self.n.unwrap_or(1);
        if n == 0 || n as usize > model.limits.max_batch {
            return Err(ApiError::field("n", format!("`n` must be between 1 and {}", model.limits.max_batch)));
        }
        Ok(n as usize)
    }

    /// One sequence per choice; choices differ by seed when a seed is given.
    fn sequences(&self, prompt: &[u32], options: &SequenceOptions, n: usize) -> Vec<(Vec<u32>, SequenceOptions)> {
        (0..n)
            .map(|i| {
                let mut o = options.clone();
                o.sampling.seed = o.sampling.seed.map(|s| s.wrapping_add(i as u64));
                (prompt.to_vec(), o)
            })
            .collect()
    }
}

#[derive(Debug, Deserialize)]
struct ChatRequest {
    messages: Vec<ChatMessage>,
    logprobs: Option<bool>,
    top_logprobs: Option<u64>,
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn request_id(prefix: &str) -> String {
    format!("{prefix}-{:016x}{:08x}", rand::random::<u64>(), rand::random::<u32>())
}

fn finish_name(f: Option<FinishReason>) -> &'static str {
    match f {
        Some(FinishReason::Length) => "length",
        _ => "stop",
    }
}

fn usage_json(u: Usage) -> Value {
    json!({
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.prompt_tokens + u.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens},
    })
}

/// Usage over all choices: the prompt once.
fn total_usage(choices: &[Choice]) -> Usage {
    Usage {
        prompt_tokens: choices.first().map_or(0, |c| c.usage.prompt_tokens),
        completion_tokens: choices.iter().map(|c| c.usage.completion_tokens).sum(),
        cached_tokens: choices.first().map_or(0, |c| c.usage.cached_tokens),
    }
}

/// One token's entry of chat `logprobs.content`: the token, its bytes, and the alternatives.
fn logprob_entry(tok: &LoadedTokenizer, id: u32, lp: &TokenLogprob) -> Value {
    let entry = |id: u32, l: f32| {
        let bytes = tok.piece_bytes(id).unwrap_or_default();
        json!({"token": String::from_utf8_lossy(&bytes), "logprob": l, "bytes": bytes})
    };
    let mut e = entry(id, lp.logprob);
    e["top_logprobs"] = lp.top.iter().map(|&(t, l)| entry(t, l)).collect();
    e
}

fn logprobs_json(tok: &LoadedTokenizer, tokens: &[(Option<u32>, Option<TokenLogprob>)]) -> Value {
    let content: Vec<Value> =
        tokens.iter().filter_map(|(id, lp)| Some(logprob_entry(tok, (*id)?, lp.as_ref()?))).collect();
    json!({"content": content})
}

pub(super) async fn chat(State(st): State<Shared>, b: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let bytes = body(b, F)?;
    let common: Common = parse_body(&bytes, F)?;
    let req: ChatRequest = parse_body(&bytes, F)?;
    let adapter = st.check_model(common.model.as_deref())?;
    let model = st.text(F)?;
    common.refuse_unsupported()?;
    let logprobs = match (req.logprobs.unwrap_or(false), req.top_logprobs) {
        (_, Some(k)) if k > MAX_TOP_LOGPROBS => {
            return Err(ApiError::field("top_logprobs", format!("`top_logprobs` must be at most {MAX_TOP_LOGPROBS}")));
        }
        (false, Some(k)) if k > 0 => {
            return Err(ApiError::field("top_logprobs", "`top_logprobs` needs `logprobs: true`"));
        }
        (true, k) => Some(k.unwrap_or(0) as usize),
        (false, _) => None,
    };
    let tools = tools::check(model, common.tools.as_deref(), common.tool_choice.as_ref(), common.parallel_tool_calls)?;
    if let Some(t) = &tools {
        if logprobs.is_some() {
            return Err(ApiError::unsupported("logprobs", "together with `tools`"));
        }
        if common.grammar()?.is_some() {
            return Err(ApiError::field(
                "response_format",
                "`response_format` applies to text answers: with `tools`, send `tool_choice: \"none\"` or drop one",
            ));
        }
        tracing::debug!(format = t.format.name(), choice = ?t.choice, "tool calling");
    }
    let prompt = model.render_chat(&messages(&req.messages)?, tools.as_ref().map(|t| t.template_tools.clone()))?;
    let asked = common.max_completion_tokens.or(common.max_tokens);
    let param = if common.max_completion_tokens.is_some() { "max_completion_tokens" } else { "max_tokens" };
    let max_new = model.budget(prompt.len(), asked, param, F)?;
    let mut knobs = common.knobs(logprobs)?;
    if let Some(t) = &tools {
        knobs.grammar = t.grammar.clone();
    }
    let options = knobs.options(model, max_new, 1.0, F)?;
    let n = common.n(model)?;
    let rx = model.launch(common.sequences(&prompt, &options, n), adapter, false, F)?;
    let (id, created) = (request_id("chatcmpl"), now());
    let name = common.model.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| st.options.model_name.clone());
    let head = json!({"id": id, "object": "chat.completion", "created": created, "model": name,
        "system_fingerprint": fingerprint()});
    if !common.stream.unwrap_or(false) {
        let choices = rx.collect(F).await?;
        let mut out = head;
        out["choices"] = choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (message, called) = match &tools {
                    Some(t) => tools::message(&t.format, &c.text),
                    None => (json!({"role": "assistant", "content": c.text, "refusal": null}), false),
                };
                json!({
                    "index": i,
                    "message": message,
                    "logprobs": if logprobs.is_some() { logprobs_json(&model.tok, &c.tokens) } else { Value::Null },
                    "finish_reason": if called { "tool_calls" } else { finish_name(c.finish) },
                })
            })
            .collect();
        out["usage"] = usage_json(total_usage(&choices));
        return Ok(Json(out).into_response());
    }
    let include_usage = common.stream_options.is_some_and(|o| o.include_usage);
    let mut head = head;
    head["object"] = "chat.completion.chunk".into();
    let with = chunker(head, include_usage);
    let first: Vec<SseEvent> = (0..n)
        .map(|i| sse::json(&with(json!({"index": i, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}))))
        .collect();
    let tok = model.tok.clone();
    let mut usage = Usage::default();
    let mut done = 0;
    // Per choice: the text held while it may be a tool call.
    let mut calls: Vec<Option<CallStream>> =
        (0..n).map(|_| tools.as_ref().map(|t| CallStream::new(t.format.clone()))).collect();
    let convert: sse::Convert = Box::new(move |ev, out: &mut VecDeque<SseEvent>| match ev {
        Event::Token { index, text, .. } if calls.get(index).is_some_and(Option::is_some) => {
            let stream = calls[index].as_mut().expect("checked");
            for delta in tools::deltas(stream, Some(&text)) {
                out.push_back(sse::json(&with(
                    json!({"index": index, "delta": delta, "logprobs": null, "finish_reason": null}),
                )));
            }
            false
        }
        Event::Token { index, token, text, logprob } => {
            if text.is_empty() && logprob.is_none() {
                return false;
            }
            let lp = match (token, logprob) {
                (Some(id), Some(lp)) => json!({"content": [logprob_entry(&tok, id, &lp)]}),
                _ => Value::Null,
            };
            out.push_back(sse::json(&with(
                json!({"index": index, "delta": {"content": text}, "logprobs": lp, "finish_reason": null}),
            )));
            false
        }
        Event::Done { index, finish, usage: u, .. } => {
            let mut reason = finish_name(Some(finish));
            if let Some(stream) = calls.get_mut(index).and_then(Option::as_mut) {
                for delta in tools::deltas(stream, None) {
                    out.push_back(sse::json(&with(
                        json!({"index": index, "delta": delta, "logprobs": null, "finish_reason": null}),
                    )));
                }
                if stream.calls > 0 {
                    reason = "tool_calls";
                }
            }
            out.push_back(sse::json(&with(
                json!({"index": index, "delta": {}, "logprobs": null, "finish_reason": reason}),
            )));
            usage.prompt_tokens = u.prompt_tokens;
            usage.cached_tokens = u.cached_tokens;
            usage.completion_tokens += u.completion_tokens;
            done += 1;
            if done < n {
                return false;
            }
            end_stream(out, include_usage.then(|| with(Value::Null)), usage);
            true
        }
        Event::Error { message, .. } => {
            out.push_back(sse::json(&super::text::server_error(&message, F).body()));
            true
        }
    });
    Ok(sse::stream(rx, first, convert))
}

/// Stream chunks: `head` around one choice, with `usage: null` when a usage chunk will follow.
fn chunker(mut head: Value, include_usage: bool) -> impl Fn(Value) -> Value + Send + 'static {
    if include_usage {
        head["usage"] = Value::Null;
    }
    move |choice| {
        let mut c = head.clone();
        c["choices"] = json!([choice]);
        c
    }
}

/// A stream's last events: the usage chunk (`chunk` with no choices) when asked for, `[DONE]`.
fn end_stream(out: &mut VecDeque<SseEvent>, chunk: Option<Value>, usage: Usage) {
    if let Some(mut last) = chunk {
        last["choices"] = json!([]);
        last["usage"] = usage_json(usage);
        out.push_back(sse::json(&last));
    }
    out.push_back(SseEvent::default().data("[DONE]"));
}

fn fingerprint() -> String {
    format!("hfx-{}", env!("CARGO_PKG_VERSION"))
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Prompt {
    Text(String),
    Texts(Vec<String>),
    Ids(Vec<u32>),
    IdLists(Vec<Vec<u32>>),
}

#[derive(Debug, Deserialize)]
struct CompletionRequest {
    prompt: Prompt,
    logprobs: Option<u64>,
}

pub(super) async fn completions(State(st): State<Shared>, b: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let bytes = body(b, F)?;
    let common: Common = parse_body(&bytes, F)?;
    let req: CompletionRequest = parse_body(&bytes, F)?;
    let adapter = st.check_model(common.model.as_deref())?;
    let model = st.text(F)?;
    common.refuse_unsupported()?;
    if common.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::field("tools", "`tools` work on /v1/chat/completions, not on /v1/completions"));
    }
    if let Some(k) = req.logprobs.filter(|k| *k > 5) {
        return Err(ApiError::field("logprobs", format!("`logprobs` must be at most 5, not {k}")));
    }
    let prompts: Vec<Vec<u32>> = match &req.prompt {
        Prompt::Text(t) => vec![model.encode(t)?],
        Prompt::Texts(ts) => ts.iter().map(|t| model.encode(t)).collect::<ApiResult<_>>()?,
        Prompt::Ids(ids) => vec![ids.clone()],
        Prompt::IdLists(l) => l.clone(),
    };
    if prompts.is_empty() {
        return Err(ApiError::field("prompt", "`prompt` is empty"));
    }
    if let Some(bad) = prompts.iter().flatten().find(|&&id| id as usize >= model.vocab) {
        return Err(ApiError::field("prompt", format!("token id {bad} is outside the vocabulary of {}", model.vocab)));
    }
    let n = common.n(model)?;
    let echo = common.echo.unwrap_or(false);
    // The legacy endpoint's default completion length is 16 tokens.
    let asked = Some(common.max_tokens.unwrap_or(16));
    let logprobs = req.logprobs.map(|k| k as usize);
    let mut seqs = Vec::new();
    let mut echoes = Vec::new();
    for p in &prompts {
        let max_new = model.budget(p.len(), asked, "max_tokens", F)?;
        let options = common.knobs(logprobs)?.options(model, max_new, 1.0, F)?;
        seqs.extend(common.sequences(p, &options, n));
        let text = if echo { model.tok.tokenizer.decode(p, true).unwrap_or_default() } else { String::new() };
        echoes.extend(std::iter::repeat_n(text, n));
    }
    if seqs.len() > model.limits.max_batch {
        return Err(ApiError::field(
            "prompt",
            format!(
                "{} prompts x n = {} sequences, over this server's batch of {}",
                prompts.len(),
                seqs.len(),
                model.limits.max_batch
            ),
        ));
    }
    let total = seqs.len();
    let rx = model.launch(seqs, adapter, false, F)?;
    let (id, created) = (request_id("cmpl"), now());
    let name = common.model.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| st.options.model_name.clone());
    let head = json!({"id": id, "object": "text_completion", "created": created, "model": name,
        "system_fingerprint": fingerprint()});
    if !common.stream.unwrap_or(false) {
        let choices = rx.collect(F).await?;
        let mut out = head;
        out["choices"] = choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({
                    "index": i,
                    "text": format!("{}{}", echoes[i], c.text),
                    "logprobs": if logprobs.is_some() { legacy_logprobs(model, &c.tokens) } else { Value::Null },
                    "finish_reason": finish_name(c.finish),
                })
            })
            .collect();
        let usage = Usage {
            prompt_tokens: prompts.iter().map(Vec::len).sum(),
            completion_tokens: choices.iter().map(|c| c.usage.completion_tokens).sum(),
            cached_tokens: choices.iter().step_by(n).map(|c| c.usage.cached_tokens).sum(),
        };
        out["usage"] = usage_json(usage);
        return Ok(Json(out).into_response());
    }
    let include_usage = common.stream_options.is_some_and(|o| o.include_usage);
    let with = chunker(head, include_usage);
    let first: Vec<SseEvent> = echoes
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.is_empty())
        .map(|(i, e)| sse::json(&with(json!({"index": i, "text": e, "logprobs": null, "finish_reason": null}))))
        .collect();
    let mut usage = Usage { prompt_tokens: prompts.iter().map(Vec::len).sum(), ..Usage::default() };
    let mut done = 0;
    let convert: sse::Convert = Box::new(move |ev, out: &mut VecDeque<SseEvent>| match ev {
        Event::Token { index, text, .. } => {
            if !text.is_empty() {
                out.push_back(sse::json(&with(
                    json!({"index": index, "text": text, "logprobs": null, "finish_reason": null}),
                )));
            }
            false
        }
        Event::Done { index, finish, usage: u, .. } => {
            out.push_back(sse::json(&with(
                json!({"index": index, "text": "", "logprobs": null, "finish_reason": finish_name(Some(finish))}),
            )));
            usage.completion_tokens += u.completion_tokens;
            done += 1;
            if done < total {
                return false;
            }
            end_stream(out, include_usage.then(|| with(Value::Null)), usage);
            true
        }
        Event::Error { message, .. } => {
            out.push_back(sse::json(&super::text::server_error(&message, F).body()));
            true
        }
    });
    Ok(sse::stream(rx, first, convert))
}

/// The legacy completions `logprobs` object.
fn legacy_logprobs(model: &TextModel, tokens: &[(Option<u32>, Option<TokenLogprob>)]) -> Value {
    let (mut toks, mut lps, mut tops, mut offsets) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut offset = 0;
    for (id, lp) in tokens {
        let (Some(id), Some(lp)) = (id, lp) else { continue };
        let (text, _) = model.piece(*id);
        offsets.push(offset);
        offset += text.len();
        toks.push(text);
        lps.push(lp.logprob);
        let top: serde_json::Map<String, Value> = lp.top.iter().map(|&(t, l)| (model.piece(t).0, json!(l))).collect();
        tops.push(top);
    }
    json!({"tokens": toks, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offsets})
}

fn model_object(st: &Shared, id: &str) -> Value {
    let mut m = json!({"id": id, "object": "model", "created": st.created, "owned_by": "hfx"});
    if id != st.options.model_name {
        m["parent"] = st.options.model_name.clone().into();
    }
    m
}

pub(super) async fn models(State(st): State<Shared>) -> Response {
    let data: Vec<Value> = st.model_names().map(|n| model_object(&st, n)).collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

pub(super) async fn model(State(st): State<Shared>, Path(id): Path<String>) -> ApiResult<Response> {
    st.check_model(Some(&id))?;
    Ok(Json(model_object(&st, &id)).into_response())
}
