//! What the OpenAI and TGI routes share for text generation: the tokenizer and chat template,
//! the limits (a prompt over them is refused with both numbers, never truncated), request
//! sampling fields checked and turned into `SequenceOptions`, and collecting a request's events.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::ServeOptions;
use super::engine::{Engine, EngineOptions, Event, GenRequest, Refusal, Usage};
use super::error::{ApiError, ApiResult, Flavor};
use super::metrics::Metrics;
use crate::models::chat::{ChatTemplate, Message, RenderOptions};
use crate::models::decoder::Decoder;
use crate::models::error::{ModelError, Result};
use crate::models::generate::{FinishReason, SamplingParams};
use crate::models::grammar::{Constraint, GrammarSpec, Grammars};
use crate::models::sequence::{SequenceOptions, TokenLogprob};
use crate::models::session::eos_ids;
use crate::models::tokenizer::LoadedTokenizer;
use crate::models::tools::ToolFormat;
use serde_json::Value;

/// Prompt tokens per prefill step: long enough for the prompt kernels' tiles to pay off, short
/// enough that running streams wait well under a second for it on two cores.
const PREFILL_CHUNK: usize = 256;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Positions a sequence may use.
    pub context: usize,
    pub max_input: usize,
    pub max_total: usize,
    pub max_batch: usize,
    pub max_queue: usize,
}

pub struct TextModel {
    pub engine: Engine,
    pub tok: Arc<LoadedTokenizer>,
    template: Option<ChatTemplate>,
    pub eos: Vec<u32>,
    pub limits: Limits,
    pub vocab: usize,
    /// The template's tool-call syntax (`None`: the template renders no tools).
    pub tool_format: Option<ToolFormat>,
    /// The grammar compiler, built on the first constrained request (the token trie takes
    /// tens of milliseconds and a few MB for a 150k vocabulary).
    grammars: OnceLock<std::result::Result<Grammars, String>>,
}

impl TextModel {
    pub fn start(mut model: Decoder, tok: LoadedTokenizer, o: &ServeOptions, metrics: Arc<Metrics>) -> Result<Self> {
        for (slot, (_, dir)) in o.loras.iter().enumerate() {
            crate::models::lora::load_slot(&mut model, dir, slot)?;
        }
        let native = model.config.max_position;
        let over =
            |what: &str, value: usize, context: usize| ModelError::OverContext { what: what.into(), value, context };
        let context = match o.ctx {
            Some(c) if c > native => return Err(over("--ctx", c, native)),
            Some(c) => c,
            None => native,
        };
        let max_total = o.max_total_tokens.unwrap_or(context);
        if max_total > context {
            return Err(over("--max-total-tokens", max_total, context));
        }
        let max_input = o.max_input_tokens.unwrap_or(max_total - 1);
        if max_input >= max_total {
            return Err(over("--max-input-tokens", max_input, max_total));
        }
        let template = tok.chat_template.as_deref().map(ChatTemplate::new).transpose()?;
        let tool_format = tok.chat_template.as_deref().and_then(|t| ToolFormat::detect(t, &tok));
        let eos = eos_ids(&model, &tok);
        let vocab = model.config.vocab_size;
        let tok = Arc::new(tok);
        let kv_budget = o.max_batch_total_tokens.unwrap_or(o.max_batch_size * max_total).max(max_total);
        let options = EngineOptions {
            max_batch: o.max_batch_size,
            kv_budget,
            max_queue: o.max_queue,
            prefill_chunk: PREFILL_CHUNK,
            prefix_pool: o.max_batch_size.max(4),
            context,
        };
        let engine = Engine::start(Arc::new(model), tok.clone(), options, metrics)
            .map_err(|e| ModelError::Generation(format!("cannot start the scheduler thread: {e}")))?;
        let limits = Limits { context, max_input, max_total, max_batch: o.max_batch_size, max_queue: o.max_queue };
        Ok(Self { engine, tok, template, eos, limits, vocab, tool_format, grammars: OnceLock::new() })
    }

    /// `spec` compiled for this model; what llguidance cannot compile is a 400 naming the field.
    pub fn constrain(&self, spec: &GrammarSpec, flavor: Flavor) -> ApiResult<Constraint> {
        let param = if flavor == Flavor::Tgi { "grammar" } else { "response_format" };
        let grammars =
            self.grammars.get_or_init(|| Grammars::new(&self.tok, &self.eos, self.vocab).map_err(|e| e.to_string()));
        let compiled = match grammars {
            Ok(g) => g.compile(spec).map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        compiled.map_err(|e| ApiError::field(param, format!("`{param}`: {e}")).flavor(flavor))
    }

    /// The chat rendered through the model's template (with `tools` as transformers passes
    /// them), as prompt ids.
    pub fn render_chat(&self, messages: &[Message], tools: Option<Value>) -> ApiResult<Vec<u32>> {
        let Some(t) = &self.template else {
            return Err(ApiError::field(
                "messages",
                "this model has no chat template; send plain text to /v1/completions instead",
            ));
        };
        let opts = RenderOptions {
            add_generation_prompt: true,
            bos_token: self.tok.specials.bos.clone(),
            eos_token: self.tok.specials.eos.clone(),
            tools,
            ..RenderOptions::default()
        };
        let text = t.render(messages, &opts).map_err(|e| ApiError::field("messages", e.to_string()))?;
        // The template writes BOS itself where the model wants one (as `hfx run` does).
        self.encode_with(&text, false)
    }

    /// Plain text as prompt ids, with the tokenizer's special tokens (as `hfx run --raw`).
    pub fn encode(&self, text: &str) -> ApiResult<Vec<u32>> {
        self.encode_with(text, true)
    }

    fn encode_with(&self, text: &str, special: bool) -> ApiResult<Vec<u32>> {
        let enc = self
            .tok
            .tokenizer
            .encode(text, special)
            .map_err(|e| ApiError::bad_request(format!("cannot tokenize the prompt: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    /// The completion's token budget: asked for (checked against the limits) or what the
    /// limits leave. A prompt over them is refused with both numbers.
    pub fn budget(&self, prompt: usize, asked: Option<u64>, param: &str, flavor: Flavor) -> ApiResult<usize> {
        let l = &self.limits;
        let e = |msg: String, p: &str| ApiError::field(p, msg).code("context_length_exceeded").flavor(flavor);
        if prompt == 0 {
            return Err(ApiError::bad_request("the prompt is empty").flavor(flavor));
        }
        if prompt > l.max_input {
            return Err(e(
                format!("the prompt has {prompt} tokens; this server accepts at most {} input tokens", l.max_input),
                "messages",
            ));
        }
        match asked {
            Some(0) => Err(ApiError::field(param, format!("`{param}` must be at least 1")).flavor(flavor)),
            Some(n) if prompt + n as usize > l.max_total => Err(e(
                format!(
                    "the prompt has {prompt} tokens and `{param}` asks for {n}: {} in all, over this server's \
                     limit of {} tokens (prompt + completion)",
                    prompt + n as usize,
                    l.max_total
                ),
                param,
            )),
            Some(n) => Ok(n as usize),
            None => Ok(l.max_total - prompt),
        }
    }

    /// Queue one sequence per prompt, all through `adapter`; their events arrive on one channel,
    /// tagged by index.
    pub fn launch(
        &self,
        prompts: Vec<(Vec<u32>, SequenceOptions)>,
        adapter: Option<usize>,
        prompt_logprobs: bool,
        flavor: Flavor,
    ) -> ApiResult<Receiver> {
        let (tx, rx) = unbounded_channel();
        let n = prompts.len();
        let reqs = prompts
            .into_iter()
            .enumerate()
            .map(|(index, (prompt, options))| GenRequest {
                prompt,
                options,
                index,
                adapter,
                prompt_logprobs,
                events: tx.clone(),
            })
            .collect();
        self.engine.submit(reqs).map_err(|r| {
            match r {
                Refusal::QueueFull => ApiError::overloaded(format!(
                    "the queue is full ({} requests waiting); retry shortly",
                    self.limits.max_queue
                )),
                Refusal::ShuttingDown => ApiError::unavailable("the server is shutting down"),
            }
            .flavor(flavor)
        })?;
        Ok(Receiver { rx, n })
    }

    /// A token's text and bytes (logprobs).
    pub fn piece(&self, id: u32) -> (String, Vec<u8>) {
        let bytes = self.tok.piece_bytes(id).unwrap_or_default();
        (String::from_utf8_lossy(&bytes).into_owned(), bytes)
    }
}

/// A request's events: `n` sequences.
pub struct Receiver {
    pub rx: UnboundedReceiver<Event>,
    pub n: usize,
}

/// One finished sequence.
#[derive(Debug, Default)]
pub struct Choice {
    pub text: String,
    pub tokens: Vec<(Option<u32>, Option<TokenLogprob>)>,
    pub finish: Option<FinishReason>,
    pub stop_string: bool,
    pub usage: Usage,
    /// Each prompt token's log-probability after the first (when asked for).
    pub prompt_logprobs: Option<Vec<f32>>,
}

impl Receiver {
    /// Wait for every sequence to finish.
    pub async fn collect(mut self, flavor: Flavor) -> ApiResult<Vec<Choice>> {
        let mut choices: Vec<Choice> = (0..self.n).map(|_| Choice::default()).collect();
        let mut done = 0;
        while done < self.n {
            let Some(ev) = self.rx.recv().await else {
                return Err(server_error("the scheduler stopped", flavor));
            };
            match ev {
                Event::Token { index, token, text, logprob } => {
                    let c = &mut choices[index];
                    c.text.push_str(&text);
                    c.tokens.push((token, logprob));
                }
                Event::Done { index, finish, stop_string, usage, prompt_logprobs } => {
                    let c = &mut choices[index];
                    (c.finish, c.stop_string, c.usage) = (Some(finish), stop_string, usage);
                    c.prompt_logprobs = prompt_logprobs;
                    done += 1;
                }
                Event::Error { message, .. } => return Err(server_error(&message, flavor)),
            }
        }
        Ok(choices)
    }
}

pub(super) fn server_error(message: &str, flavor: Flavor) -> ApiError {
    ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, message).flavor(flavor)
}

/// Sampling fields as requests send them (OpenAI's names; TGI's map onto them).
#[derive(Debug, Default, Clone)]
pub(super) struct Knobs {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<i64>,
    pub min_p: Option<f64>,
    pub frequency_penalty: Option<f32>,
    pub presence_penalty: Option<f32>,
    pub repetition_penalty: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Vec<String>,
    pub logit_bias: Option<HashMap<String, f32>>,
    pub ignore_eos: bool,
    pub logprobs: Option<usize>,
    /// OpenAI's `response_format`, TGI's `grammar`.
    pub grammar: Option<GrammarSpec>,
}

/// Up to this many stop strings (OpenAI's and TGI's limit).
pub(super) const MAX_STOPS: usize = 4;

impl Knobs {
    /// Checked options for one sequence. `default_temperature`: 1.0 for OpenAI routes, 0 (greedy)
    /// where TGI's `do_sample` is off.
    pub(super) fn options(
        &self,
        model: &TextModel,
        max_new: usize,
        default_temperature: f64,
        flavor: Flavor,
    ) -> ApiResult<SequenceOptions> {
        let bad = |p: &str, m: String| ApiError::field(p, m).flavor(flavor);
        let temperature = self.temperature.unwrap_or(default_temperature);
        if !(0.0..=2.0).contains(&temperature) {
            return Err(bad("temperature", format!("`temperature` must be between 0 and 2, not {temperature}")));
        }
        if let Some(p) = self.top_p.filter(|p| !(*p > 0.0 && *p <= 1.0)) {
            return Err(bad("top_p", format!("`top_p` must be > 0 and <= 1, not {p}")));
        }
        if let Some(p) = self.min_p.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(bad("min_p", format!("`min_p` must be between 0 and 1, not {p}")));
        }
        // 0 and -1 mean "off" in vLLM and llama.cpp.
        let top_k = match self.top_k {
            Some(k) if k < -1 => {
                return Err(bad("top_k", format!("`top_k` must be positive (or -1 for off), not {k}")));
            }
            Some(k) if k > 0 => Some(k as usize),
            _ => None,
        };
        for (name, v) in [("frequency_penalty", self.frequency_penalty), ("presence_penalty", self.presence_penalty)] {
            if let Some(v) = v.filter(|v| !(-2.0..=2.0).contains(v)) {
                return Err(bad(name, format!("`{name}` must be between -2 and 2, not {v}")));
            }
        }
        if let Some(r) = self.repetition_penalty.filter(|r| *r <= 0.0) {
            return Err(bad("repetition_penalty", format!("`repetition_penalty` must be positive, not {r}")));
        }
        if self.stop.len() > MAX_STOPS {
            return Err(bad("stop", format!("`stop` takes up to {MAX_STOPS} strings, not {}", self.stop.len())));
        }
        let mut logit_bias = Vec::new();
        for (k, v) in self.logit_bias.iter().flatten() {
            let id = k.parse::<u32>().ok().filter(|id| (*id as usize) < model.vocab);
            let Some(id) = id else {
                return Err(bad("logit_bias", format!("`logit_bias` key `{k}` is not a token id of this model")));
            };
            if !(-100.0..=100.0).contains(v) {
                return Err(bad("logit_bias", format!("`logit_bias` values must be between -100 and 100, not {v}")));
            }
            logit_bias.push((id, *v));
        }
        Ok(SequenceOptions {
            max_new_tokens: max_new,
            eos: model.eos.clone(),
            ignore_eos: self.ignore_eos,
            stops: self.stop.clone(),
            sampling: SamplingParams {
                temperature,
                top_k,
                top_p: self.top_p,
                min_p: self.min_p,
                repeat_penalty: self.repetition_penalty.unwrap_or(1.0),
                seed: self.seed,
                ..SamplingParams::default()
            },
            frequency_penalty: self.frequency_penalty.unwrap_or(0.0),
            presence_penalty: self.presence_penalty.unwrap_or(0.0),
            logit_bias,
            logprobs: self.logprobs,
            grammar: self.grammar.as_ref().map(|g| model.constrain(g, flavor)).transpose()?,
        })
    }
}
