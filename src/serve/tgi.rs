//! TGI routes: `/generate`, `/generate_stream`, `/info`, `/tokenize`, with TGI's request and
//! response shapes and its `{"error", "error_type"}` errors (validation is 422, as in TGI).

use std::collections::VecDeque;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::sse::Event as SseEvent;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::engine::Event;
use super::error::{ApiError, ApiResult, Flavor, parse_body};
use super::text::{Knobs, TextModel};
use super::{Backend, Shared, body, sse};
use crate::data::format::json_kind;
use crate::models::generate::FinishReason;
use crate::models::grammar::GrammarSpec;

const F: Flavor = Flavor::Tgi;

#[derive(Debug, Default, Deserialize)]
struct Parameters {
    do_sample: Option<bool>,
    temperature: Option<f64>,
    top_k: Option<i64>,
    top_p: Option<f64>,
    repetition_penalty: Option<f32>,
    frequency_penalty: Option<f32>,
    max_new_tokens: Option<u64>,
    stop: Option<Vec<String>>,
    seed: Option<u64>,
    details: Option<bool>,
    return_full_text: Option<bool>,
    top_n_tokens: Option<u64>,
    truncate: Option<u64>,
    watermark: Option<bool>,
    best_of: Option<u64>,
    grammar: Option<Value>,
    adapter_id: Option<String>,
    decoder_input_details: Option<bool>,
    typical_p: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct GenerateRequest {
    inputs: String,
    #[serde(default)]
    parameters: Parameters,
}

fn tgi_err(param: &str, message: String) -> ApiError {
    ApiError::field(param, message).flavor(F)
}

fn finish_name(f: Option<FinishReason>, stop_string: bool) -> &'static str {
    match f {
        Some(FinishReason::Length) => "length",
        _ if stop_string => "stop_sequence",
        _ => "eos_token",
    }
}

/// TGI's `grammar`: `{"type": "json", "value": SCHEMA}` (the schema as an object or a JSON
/// string), `{"type": "json_schema", "value": {"name", "schema"}}` or `{"type": "regex", "value": RE}`.
fn grammar(g: &Value) -> ApiResult<Option<GrammarSpec>> {
    let bad = |m: String| tgi_err("grammar", format!("`grammar` {m}"));
    if g.is_null() {
        return Ok(None);
    }
    let value = g.get("value").ok_or_else(|| bad("needs a `value`".into()))?;
    let schema = |v: &Value| match v {
        Value::String(s) => serde_json::from_str(s).map_err(|e| bad(format!("`value` is not a JSON schema: {e}"))),
        Value::Object(_) | Value::Bool(_) => Ok(v.clone()),
        other => Err(bad(format!("`value` must be a JSON schema, not {}", json_kind(other)))),
    };
    match g.get("type").and_then(Value::as_str) {
        Some("json") => Ok(Some(GrammarSpec::JsonSchema(schema(value)?))),
        Some("json_schema") => {
            let s = value.get("schema").ok_or_else(|| bad("of type `json_schema` needs `value.schema`".into()))?;
            Ok(Some(GrammarSpec::JsonSchema(schema(s)?)))
        }
        Some("regex") => match value.as_str() {
            Some(rx) => Ok(Some(GrammarSpec::Regex(rx.to_string()))),
            None => Err(bad("of type `regex` needs a string `value`".into())),
        },
        Some(other) => Err(bad(format!("of type `{other}` is not known; use `json`, `json_schema` or `regex`"))),
        None => Err(bad("needs a `type`: `json`, `json_schema` or `regex`".into())),
    }
}

/// The request checked and queued: the receiver and what the response needs.
struct Started {
    rx: super::text::Receiver,
    details: bool,
    /// The prompt's ids, kept for `decoder_input_details`.
    prefill: Option<Vec<u32>>,
    full_text: Option<String>,
    top_n: usize,
    seed: Option<u64>,
    prompt_tokens: usize,
}

fn start(st: &Shared, model: &TextModel, req: GenerateRequest, streaming: bool) -> ApiResult<Started> {
    let p = req.parameters;
    if p.truncate.is_some() {
        return Err(tgi_err(
            "truncate",
            "`truncate` is not supported: prompts are never cut; shorten the input".into(),
        ));
    }
    if p.watermark == Some(true) {
        return Err(ApiError::unsupported("watermark", "").flavor(F));
    }
    if p.best_of.is_some_and(|b| b != 1) {
        return Err(ApiError::unsupported("best_of", "other than 1").flavor(F));
    }
    if p.typical_p.is_some() {
        return Err(ApiError::unsupported("typical_p", "").flavor(F));
    }
    let input_details = p.decoder_input_details == Some(true);
    if input_details && streaming {
        // As TGI: the prompt's details come with the whole answer, not in a stream.
        return Err(tgi_err(
            "decoder_input_details",
            "`decoder_input_details` is not supported when streaming tokens; use /generate".into(),
        ));
    }
    let adapter = st.check_model(p.adapter_id.as_deref()).map_err(|mut e| {
        e.param = Some("adapter_id".into());
        e.flavor(F)
    })?;
    if p.temperature.is_some_and(|t| t <= 0.0) {
        return Err(tgi_err("temperature", "`temperature` must be strictly positive".into()));
    }
    let prompt = model.encode(&req.inputs).map_err(|e| e.flavor(F))?;
    if req.inputs.is_empty() {
        return Err(tgi_err("inputs", "`inputs` cannot be empty".into()));
    }
    let max_new = model.budget(prompt.len(), p.max_new_tokens, "max_new_tokens", F)?;
    // TGI samples when asked to, or when any sampling setting is given.
    let sample = p.do_sample.unwrap_or(false) || p.temperature.is_some() || p.top_k.is_some() || p.top_p.is_some();
    let top_n = p.top_n_tokens.unwrap_or(0) as usize;
    let knobs = Knobs {
        temperature: if sample { Some(p.temperature.unwrap_or(1.0)) } else { Some(0.0) },
        top_k: p.top_k,
        top_p: p.top_p,
        repetition_penalty: p.repetition_penalty,
        frequency_penalty: p.frequency_penalty,
        seed: p.seed,
        stop: p.stop.unwrap_or_default(),
        logprobs: Some(top_n),
        grammar: p.grammar.as_ref().map(grammar).transpose()?.flatten(),
        ..Knobs::default()
    };
    // TGI's temperature may exceed OpenAI's 2.
    let mut options = knobs.options(model, max_new, 0.0, F).or_else(|e| {
        if e.param.as_deref() == Some("temperature") {
            let mut k = knobs.clone();
            k.temperature = Some(2.0);
            k.options(model, max_new, 0.0, F)
        } else {
            Err(e)
        }
    })?;
    if let Some(t) = p.temperature.filter(|_| sample) {
        options.sampling.temperature = t;
    }
    let seed = options.sampling.seed;
    let prompt_tokens = prompt.len();
    let prefill = input_details.then(|| prompt.clone());
    let rx = model.launch(vec![(prompt, options)], adapter, input_details, F)?;
    let full_text = p.return_full_text.unwrap_or(false).then_some(req.inputs);
    Ok(Started { rx, details: p.details.unwrap_or(false), prefill, full_text, top_n, seed, prompt_tokens })
}

fn token_json(model: &TextModel, id: u32, logprob: f32) -> Value {
    let (text, _) = model.piece(id);
    let special = model.tok.tokenizer.get_added_tokens_decoder().get(&id).is_some_and(|t| t.special);
    json!({"id": id, "text": text, "logprob": logprob, "special": special})
}

/// TGI's `details.prefill`: each prompt token, with its log-probability given those before it
/// (none for the first); empty unless `decoder_input_details` asked for it.
fn prefill_json(model: &TextModel, prompt: Option<&[u32]>, logprobs: Option<&[f32]>) -> Value {
    let (Some(prompt), Some(logprobs)) = (prompt, logprobs) else { return json!([]) };
    prompt
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let mut t = token_json(model, id, 0.0);
            t["logprob"] = i.checked_sub(1).and_then(|j| logprobs.get(j)).map_or(Value::Null, |&l| json!(l));
            t.as_object_mut().map(|o| o.remove("special"));
            t
        })
        .collect()
}

fn tops_json(model: &TextModel, top: &[(u32, f32)]) -> Value {
    top.iter().map(|&(id, l)| token_json(model, id, l)).collect()
}

fn text_model(st: &Shared) -> ApiResult<&TextModel> {
    st.text(F)
}

pub(super) async fn generate(State(st): State<Shared>, b: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let req: GenerateRequest = parse_body(&body(b, F)?, F)?;
    let model = text_model(&st)?;
    let s = start(&st, model, req, false)?;
    let mut choices = s.rx.collect(F).await?;
    let c = choices.remove(0);
    let text = format!("{}{}", s.full_text.unwrap_or_default(), c.text);
    let mut out = json!({"generated_text": text});
    if s.details {
        let tokens: Vec<Value> = c
            .tokens
            .iter()
            .filter_map(|(id, lp)| Some(token_json(model, (*id)?, lp.as_ref().map_or(0.0, |l| l.logprob))))
            .collect();
        let mut details = json!({
            "finish_reason": finish_name(c.finish, c.stop_string),
            "generated_tokens": c.usage.completion_tokens,
            "seed": s.seed,
            "prefill": prefill_json(model, s.prefill.as_deref(), c.prompt_logprobs.as_deref()),
            "tokens": tokens,
        });
        if s.top_n > 0 {
            details["top_tokens"] =
                c.tokens.iter().filter_map(|(_, lp)| lp.as_ref()).map(|l| tops_json(model, &l.top)).collect();
        }
        out["details"] = details;
    }
    let mut res = Json(out).into_response();
    let h = res.headers_mut();
    h.insert("x-prompt-tokens", c.usage.prompt_tokens.into());
    h.insert("x-generated-tokens", c.usage.completion_tokens.into());
    Ok(res)
}

pub(super) async fn generate_stream(State(st): State<Shared>, b: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let req: GenerateRequest = parse_body(&body(b, F)?, F)?;
    let model = text_model(&st)?;
    let s = start(&st, model, req, true)?;
    let st2 = st.clone();
    let mut text = s.full_text.clone().unwrap_or_default();
    let mut index = 0usize;
    let (details, seed, top_n, input_length) = (s.details, s.seed, s.top_n, s.prompt_tokens);
    let mut pending: Option<Value> = None;
    let convert: sse::Convert = Box::new(move |ev, out: &mut VecDeque<SseEvent>| {
        let Some(Backend::Text(model)) = st2.backend.get() else { return true };
        match ev {
            Event::Token { token: Some(id), text: piece, logprob, .. } => {
                // Events go out one token late, so the last one can carry the details.
                if let Some(p) = pending.take() {
                    out.push_back(sse::json(&p));
                }
                text.push_str(&piece);
                index += 1;
                let mut t = token_json(model, id, logprob.as_ref().map_or(0.0, |l| l.logprob));
                t["text"] = piece.into();
                let mut e = json!({"index": index, "token": t, "generated_text": null, "details": null});
                if top_n > 0 {
                    e["top_tokens"] = logprob.as_ref().map_or(json!([]), |l| tops_json(model, &l.top));
                }
                pending = Some(e);
                false
            }
            Event::Token { text: piece, .. } => {
                text.push_str(&piece);
                if let Some(p) = pending.as_mut() {
                    let t = format!("{}{piece}", p["token"]["text"].as_str().unwrap_or_default());
                    p["token"]["text"] = t.into();
                }
                false
            }
            Event::Done { finish, stop_string, usage, .. } => {
                let mut last =
                    pending.take().unwrap_or_else(|| json!({"index": index, "token": null, "details": null}));
                last["generated_text"] = text.clone().into();
                if details {
                    last["details"] = json!({
                        "finish_reason": finish_name(Some(finish), stop_string),
                        "generated_tokens": usage.completion_tokens,
                        "seed": seed,
                        "input_length": input_length,
                    });
                }
                out.push_back(sse::json(&last));
                true
            }
            Event::Error { message, .. } => {
                if let Some(p) = pending.take() {
                    out.push_back(sse::json(&p));
                }
                out.push_back(sse::json(&super::text::server_error(&message, F).body()));
                true
            }
        }
    });
    Ok(sse::stream(s.rx, Vec::new(), convert))
}

pub(super) async fn info(State(st): State<Shared>) -> Response {
    let mut v = json!({
        "model_id": st.options.model_name,
        "model_sha": null,
        "model_pipeline_tag": "text-generation",
        "max_concurrent_requests": st.options.max_queue,
        "max_best_of": 1,
        "max_stop_sequences": super::text::MAX_STOPS,
        "max_client_batch_size": st.options.max_batch_size,
        "router": "hfx",
        "version": env!("CARGO_PKG_VERSION"),
        "sha": null,
        "docker_label": null,
        "loaded": st.is_ready(),
        "adapters": st.options.loras.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
    });
    match st.backend.get() {
        Some(Backend::Text(t)) => {
            v["max_input_tokens"] = t.limits.max_input.into();
            v["max_total_tokens"] = t.limits.max_total.into();
            v["max_batch_size"] = t.limits.max_batch.into();
            v["tool_call_format"] = t.tool_format.as_ref().map(|f| f.name()).into();
        }
        Some(Backend::Embed(e)) => {
            v["model_pipeline_tag"] = "feature-extraction".into();
            v["max_input_tokens"] = e.max_tokens.into();
        }
        None => {}
    }
    Json(v).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenizeRequest {
    inputs: String,
}

pub(super) async fn tokenize(State(st): State<Shared>, b: Result<Bytes, BytesRejection>) -> ApiResult<Response> {
    let req: TokenizeRequest = parse_body(&body(b, F)?, F)?;
    let tok = match st.backend(F)? {
        Backend::Text(t) => t.tok.clone(),
        Backend::Embed(e) => e.tok.clone(),
    };
    let enc = tok
        .tokenizer
        .encode(req.inputs.as_str(), true)
        .map_err(|e| tgi_err("inputs", format!("cannot tokenize: {e}")))?;
    let out: Vec<Value> = enc
        .get_ids()
        .iter()
        .zip(enc.get_offsets())
        .map(|(&id, &(start, stop))| {
            json!({"id": id, "text": req.inputs.get(start..stop).unwrap_or_default(), "start": start, "stop": stop})
        })
        .collect();
    Ok(Json(out).into_response())
}
