//! Token generation on top of a decoder: sampling (greedy, temperature, top-k, top-p, min-p,
//! repetition penalty, seeded), incremental detokenization that never splits a character,
//! stop strings held back until they cannot match, and timings.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::decoder::{Decoder, KvCache, argmax};
use super::error::{ModelError, Result, candle_message};
use super::tokenizer::Tokenizer;

#[derive(Debug, Clone)]
pub struct SamplingParams {
    /// 0 means greedy.
    pub temperature: f64,
    pub top_k: Option<usize>,
    pub top_p: Option<f64>,
    pub min_p: Option<f64>,
    pub repeat_penalty: f32,
    pub repeat_last_n: usize,
    pub seed: Option<u64>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_k: None,
            top_p: None,
            min_p: None,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            seed: None,
        }
    }
}

pub struct Sampler {
    params: SamplingParams,
    rng: StdRng,
}

impl Sampler {
    pub fn new(params: SamplingParams) -> Self {
        let rng = match params.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Self { params, rng }
    }

    /// Pick the next token from `logits` given the tokens so far (for the repetition penalty).
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        let p = &self.params;
        if p.repeat_penalty != 1.0 {
            let start = history.len().saturating_sub(p.repeat_last_n);
            let mut seen = history[start..].to_vec();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                if let Some(l) = logits.get_mut(id as usize) {
                    // transformers' RepetitionPenaltyLogitsProcessor.
                    *l = if *l > 0.0 { *l / p.repeat_penalty } else { *l * p.repeat_penalty };
                }
            }
        }
        if p.temperature <= 0.0 {
            return argmax(logits);
        }
        let t = p.temperature as f32;
        let mut idx: Vec<usize> = (0..logits.len()).collect();
        idx.sort_unstable_by(|a, b| logits[*b].total_cmp(&logits[*a]));
        if let Some(k) = p.top_k.filter(|k| *k > 0) {
            idx.truncate(k);
        }
        let max = logits[idx[0]] / t;
        let mut probs: Vec<f64> = idx.iter().map(|&i| f64::from(logits[i] / t - max).exp()).collect();
        let sum: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|x| *x /= sum);
        if let Some(mp) = p.min_p.filter(|m| *m > 0.0) {
            let cut = probs[0] * mp;
            let keep = probs.iter().take_while(|x| **x >= cut).count().max(1);
            probs.truncate(keep);
        }
        if let Some(tp) = p.top_p.filter(|x| *x < 1.0) {
            let mut acc = 0.0;
            let mut keep = 0;
            for x in &probs {
                acc += x;
                keep += 1;
                if acc >= tp {
                    break;
                }
            }
            probs.truncate(keep.max(1));
        }
        let total: f64 = probs.iter().sum();
        let mut r = self.rng.random::<f64>() * total;
        for (j, x) in probs.iter().enumerate() {
            r -= x;
            if r <= 0.0 {
                return idx[j] as u32;
            }
        }
        idx[probs.len() - 1] as u32
    }
}

/// Incremental detokenization (TGI's prefix/read offsets): text is released only once the
/// tokens so far decode to complete characters.
pub struct Detokenizer<'a> {
    tokenizer: &'a Tokenizer,
    ids: Vec<u32>,
    prefix: usize,
    read: usize,
}

impl<'a> Detokenizer<'a> {
    pub fn new(tokenizer: &'a Tokenizer) -> Self {
        Self { tokenizer, ids: Vec::new(), prefix: 0, read: 0 }
    }

    pub fn push(&mut self, id: u32) -> Result<Option<String>> {
        self.ids.push(id);
        let dec = |ids: &[u32]| self.tokenizer.decode(ids, true).map_err(|e| ModelError::Tokenize(e.to_string()));
        let before = dec(&self.ids[self.prefix..self.read])?;
        let now = dec(&self.ids[self.prefix..])?;
        if now.len() > before.len() && !now.ends_with('\u{FFFD}') {
            let text = now[before.len()..].to_string();
            self.prefix = self.read;
            self.read = self.ids.len();
            return Ok(Some(text));
        }
        Ok(None)
    }
}

/// Holds back text that could be the start of a stop string.
pub struct StopStrings {
    stops: Vec<String>,
    pending: String,
}

impl StopStrings {
    pub fn new(stops: Vec<String>) -> Self {
        Self { stops: stops.into_iter().filter(|s| !s.is_empty()).collect(), pending: String::new() }
    }

    /// Text that is safe to show, and whether a stop string was reached (it is not shown).
    pub fn push(&mut self, text: &str) -> (String, bool) {
        self.pending.push_str(text);
        if let Some(at) = self.stops.iter().filter_map(|s| self.pending.find(s.as_str())).min() {
            let out = self.pending[..at].to_string();
            self.pending.clear();
            return (out, true);
        }
        // The longest suffix of `pending` that is a prefix of some stop string stays pending.
        let mut hold = 0;
        for s in &self.stops {
            for (i, _) in self.pending.char_indices() {
                let suffix = &self.pending[i..];
                if s.starts_with(suffix) {
                    hold = hold.max(suffix.len());
                    break;
                }
            }
        }
        let cut = self.pending.len() - hold;
        let out = self.pending[..cut].to_string();
        self.pending.drain(..cut);
        (out, false)
    }

    pub fn flush(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub load_ms: f64,
    pub prompt_tokens: usize,
    pub prompt_tok_s: f64,
    pub generated_tokens: usize,
    pub generation_tok_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    pub text: String,
    pub token_ids: Vec<u32>,
    pub finish_reason: FinishReason,
    pub timings: Timings,
}

pub struct Request<'a> {
    pub prompt: &'a [u32],
    pub max_new_tokens: usize,
    pub eos: &'a [u32],
    pub stops: Vec<String>,
    pub params: SamplingParams,
}

/// Generate, calling `on_text` with each piece of text as soon as it is final. `cancel` is
/// polled between tokens (Ctrl-C stops the answer, not the program). `cache` may already hold a
/// prefix of the prompt (the previous turns of a chat): only the rest is computed. Afterwards it
/// holds the prompt and every generated token but the last.
pub fn generate(
    model: &Decoder,
    tokenizer: &Tokenizer,
    req: &Request<'_>,
    cache: &mut KvCache,
    cancel: &dyn Fn() -> bool,
    on_text: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> Result<Generation> {
    let err = |e: candle_core::Error| ModelError::Generation(candle_message(&e));
    let io = |e: std::io::Error| ModelError::Generation(e.to_string());
    if req.prompt.is_empty() {
        return Err(ModelError::Generation("the prompt is empty".into()));
    }
    let context = model.config.max_position;
    if req.prompt.len() >= context {
        return Err(ModelError::PromptTooLong { tokens: req.prompt.len(), context });
    }
    let mut sampler = Sampler::new(req.params.clone());
    // At least the last prompt token is computed: its logits give the first new token.
    cache.truncate(req.prompt.len() - 1);
    let fresh = req.prompt.len() - cache.len();
    let mut detok = Detokenizer::new(tokenizer);
    let mut stops = StopStrings::new(req.stops.clone());
    let mut history = req.prompt.to_vec();
    let mut generated = Vec::new();
    let mut text = String::new();
    let started = Instant::now();
    let mut logits = model.forward_last(&req.prompt[cache.len()..], cache).map_err(err)?;
    let prompt_secs = started.elapsed().as_secs_f64();
    let gen_started = Instant::now();
    let mut finish = FinishReason::Length;
    let max_new = req.max_new_tokens.min(context - req.prompt.len());
    while generated.len() < max_new {
        let next = sampler.sample(&mut logits, &history);
        if req.eos.contains(&next) {
            finish = FinishReason::Stop;
            break;
        }
        generated.push(next);
        history.push(next);
        if let Some(piece) = detok.push(next)? {
            let (show, stopped) = stops.push(&piece);
            text.push_str(&show);
            on_text(&show).map_err(io)?;
            if stopped {
                finish = FinishReason::Stop;
                break;
            }
        }
        if cancel() || generated.len() >= max_new {
            break;
        }
        logits = model.forward_last(&[next], cache).map_err(err)?;
    }
    if finish == FinishReason::Length {
        let rest = stops.flush();
        text.push_str(&rest);
        on_text(&rest).map_err(io)?;
    }
    let gen_secs = gen_started.elapsed().as_secs_f64().max(1e-9);
    Ok(Generation {
        text,
        finish_reason: finish,
        timings: Timings {
            load_ms: 0.0,
            prompt_tokens: req.prompt.len(),
            prompt_tok_s: fresh as f64 / prompt_secs.max(1e-9),
            generated_tokens: generated.len(),
            generation_tok_s: generated.len() as f64 / gen_secs,
        },
        token_ids: generated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_strings_are_held_back_and_cut() {
        let mut s = StopStrings::new(vec!["</end>".into()]);
        assert_eq!(s.push("Hello <"), ("Hello ".to_string(), false));
        assert_eq!(s.push("/en"), (String::new(), false));
        assert_eq!(s.push("d> tail"), (String::new(), true));
        let mut s = StopStrings::new(vec!["\n\n".into()]);
        assert_eq!(s.push("a\n"), ("a".to_string(), false));
        assert_eq!(s.push("b"), ("\nb".to_string(), false));
    }

    #[test]
    fn sampling_is_reproducible_with_a_seed_and_greedy_at_zero() {
        let logits: Vec<f32> = (0..100).map(|i| ((i * 37) % 17) as f32 / 3.0).collect();
        let params =
            SamplingParams { temperature: 1.0, top_k: Some(20), top_p: Some(0.9), seed: Some(7), ..Default::default() };
        let draw = |p: &SamplingParams| {
            let mut s = Sampler::new(p.clone());
            (0..20).map(|_| s.sample(&mut logits.clone(), &[])).collect::<Vec<_>>()
        };
        assert_eq!(draw(&params), draw(&params));
        let greedy = SamplingParams::default();
        assert!(draw(&greedy).iter().all(|&t| t == argmax(&logits)));
        // A repetition penalty pushes a seen token below its neighbour.
        let mut l = vec![1.0, 1.1];
        let mut s = Sampler::new(SamplingParams { repeat_penalty: 1.5, ..Default::default() });
        assert_eq!(s.sample(&mut l, &[1]), 0);
    }
}
