//! Token generation on top of a decoder: sampling (greedy, temperature, top-k, top-p, min-p,
//! repetition penalty, seeded), incremental detokenization that never splits a character,
//! stop strings held back until they cannot match, and timings.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::decoder::{Decoder, KvCache, argmax};
use super::error::{ModelError, Result, candle_message};
pub use super::sequence::{Sequence, SequenceOptions, Step, TokenLogprob};
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
        let mut rank = Ranking::new(logits, p.top_k.filter(|k| *k > 0));
        let max = logits[rank.get(0)] / t;
        let weight = |i: usize| f64::from(logits[i] / t - max).exp();
        // Probabilities over the candidates (the top k, or the whole vocabulary).
        let sum: f64 = rank.candidates().iter().map(|&i| weight(i)).sum();
        let mut keep = rank.len();
        if let Some(mp) = p.min_p.filter(|m| *m > 0.0) {
            let cut = weight(rank.get(0)) / sum * mp;
            let mut j = 0;
            while j < keep && weight(rank.get(j)) / sum >= cut {
                j += 1;
            }
            keep = j.max(1);
        }
        if let Some(tp) = p.top_p.filter(|x| *x < 1.0) {
            let (mut acc, mut j) = (0.0, 0);
            while j < keep {
                acc += weight(rank.get(j)) / sum;
                j += 1;
                if acc >= tp {
                    break;
                }
            }
            keep = j.max(1);
        }
        let total: f64 = if keep == rank.len() {
            rank.candidates().iter().map(|&i| weight(i) / sum).sum()
        } else {
            (0..keep).map(|j| weight(rank.get(j)) / sum).sum()
        };
        let mut r = self.rng.random::<f64>() * total;
        for j in 0..keep {
            r -= weight(rank.get(j)) / sum;
            if r <= 0.0 {
                return rank.get(j) as u32;
            }
        }
        rank.get(keep - 1) as u32
    }
}

/// The candidate tokens, most likely first, ordered only as far as sampling walks: the walk
/// stops within the first few dozen tokens, and sorting a whole vocabulary (49152 to 151936
/// entries) cost 2-8 ms per sampled token, a quarter of a decode step.
struct Ranking<'a> {
    logits: &'a [f32],
    idx: Vec<usize>,
    /// `idx[..sorted]` holds the most likely tokens in order; the rest follow in any order.
    sorted: usize,
}

impl<'a> Ranking<'a> {
    /// Every token, or the `top_k` most likely.
    fn new(logits: &'a [f32], top_k: Option<usize>) -> Self {
        let mut idx: Vec<usize> = (0..logits.len()).collect();
        if let Some(k) = top_k.filter(|&k| k < idx.len()) {
            idx.select_nth_unstable_by(k - 1, |a, b| logits[*b].total_cmp(&logits[*a]));
            idx.truncate(k);
        }
        Self { logits, idx, sorted: 0 }
    }

    fn len(&self) -> usize {
        self.idx.len()
    }

    fn candidates(&self) -> &[usize] {
        &self.idx
    }

    /// The `j`-th most likely candidate: the order is extended (doubled, 64 at least) when `j`
    /// lies past its sorted part.
    fn get(&mut self, j: usize) -> usize {
        if j >= self.sorted {
            let logits = self.logits;
            let desc = |a: &usize, b: &usize| logits[*b].total_cmp(&logits[*a]);
            let want = (j + 1).max(2 * self.sorted).max(64).min(self.idx.len());
            let rest = &mut self.idx[self.sorted..];
            let m = want - self.sorted;
            if m < rest.len() {
                rest.select_nth_unstable_by(m - 1, desc);
            }
            rest[..m].sort_unstable_by(desc);
            self.sorted = want;
        }
        self.idx[j]
    }
}

/// Incremental detokenization (TGI's prefix/read offsets): text is released only once the
/// tokens so far decode to complete characters. It owns its ids, so a server's sequences can
/// each keep one next to a shared tokenizer.
#[derive(Debug, Default)]
pub struct Detokenizer {
    ids: Vec<u32>,
    prefix: usize,
    read: usize,
}

impl Detokenizer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, tokenizer: &Tokenizer, id: u32) -> Result<Option<String>> {
        self.ids.push(id);
        let dec = |ids: &[u32]| tokenizer.decode(ids, true).map_err(|e| ModelError::Tokenize(e.to_string()));
        let before = dec(&self.ids[self.prefix..self.read])?;
        let now = dec(&self.ids[self.prefix..])?;
        let Some(text) = released(&before, &now) else { return Ok(None) };
        self.prefix = self.read;
        self.read = self.ids.len();
        Ok(Some(text))
    }
}

/// The text `now` adds to `before`, once it ends in a complete character. A decode is almost
/// always an extension of the shorter one; where a decoder rewrites earlier characters it is
/// not, and `before.len()` may fall inside a character of `now` (slicing there panicked, which
/// in a server would take the model thread down): release from the next character boundary.
fn released(before: &str, now: &str) -> Option<String> {
    if now.len() <= before.len() || now.ends_with('\u{FFFD}') {
        return None;
    }
    let at = (before.len()..now.len()).find(|&i| now.is_char_boundary(i))?;
    Some(now[at..].to_string())
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
    /// An end-of-sequence token or a stop string.
    Stop,
    /// The token limit or the end of the context.
    Length,
    /// Stopped from outside (Ctrl-C, a client that went away).
    Cancelled,
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
    pub grammar: Option<super::grammar::Constraint>,
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
    let options = SequenceOptions {
        max_new_tokens: req.max_new_tokens,
        eos: req.eos.to_vec(),
        stops: req.stops.clone(),
        sampling: req.params.clone(),
        grammar: req.grammar.clone(),
        ..SequenceOptions::default()
    };
    let mut seq = Sequence::new(req.prompt.to_vec(), options, model.config.max_position)?;
    // At least the last prompt token is computed: its logits give the first new token.
    cache.truncate(req.prompt.len() - 1);
    let fresh = req.prompt.len() - cache.len();
    let started = Instant::now();
    let mut logits = model.forward_prompt(&req.prompt[cache.len()..], cache).map_err(err)?;
    let prompt_secs = started.elapsed().as_secs_f64();
    let gen_started = Instant::now();
    while seq.finish_reason().is_none() {
        let step = seq.accept(&mut logits, tokenizer)?;
        on_text(&step.text).map_err(io)?;
        if step.finish.is_some() {
            break;
        }
        if cancel() {
            on_text(&seq.cancel().text).map_err(io)?;
            break;
        }
        logits = model.forward_last(&[seq.last_token()], cache).map_err(err)?;
    }
    let gen_secs = gen_started.elapsed().as_secs_f64().max(1e-9);
    let generated = seq.generated().len();
    Ok(Generation {
        text: seq.text().to_string(),
        finish_reason: seq.finish_reason().unwrap_or(FinishReason::Length),
        timings: Timings {
            load_ms: 0.0,
            prompt_tokens: req.prompt.len(),
            prompt_tok_s: fresh as f64 / prompt_secs.max(1e-9),
            generated_tokens: generated,
            generation_tok_s: generated as f64 / gen_secs,
        },
        token_ids: seq.generated().to_vec(),
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
    fn released_text_never_splits_a_character() {
        assert_eq!(released("ab", "abc").as_deref(), Some("c"));
        assert_eq!(released("ab", "ab\u{FFFD}"), None);
        assert_eq!(released("ab", "ab"), None);
        // A decode that rewrote an earlier character: byte 2 is inside `é`. Slicing there
        // panicked; the text from the next boundary is released instead.
        assert_eq!(released("ab", "aéz").as_deref(), Some("z"));
        assert_eq!(released("abc", "aé"), None);
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

    /// Sampling as it was with the whole vocabulary sorted, from the same draw `u`: the reference
    /// for the partial ordering.
    fn sample_fully_sorted(p: &SamplingParams, logits: &[f32], u: f64) -> u32 {
        let t = p.temperature as f32;
        let mut idx: Vec<usize> = (0..logits.len()).collect();
        idx.sort_by(|a, b| logits[*b].total_cmp(&logits[*a]));
        if let Some(k) = p.top_k.filter(|k| *k > 0) {
            idx.truncate(k);
        }
        let max = logits[idx[0]] / t;
        let mut probs: Vec<f64> = idx.iter().map(|&i| f64::from(logits[i] / t - max).exp()).collect();
        let sum: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|x| *x /= sum);
        if let Some(mp) = p.min_p {
            let cut = probs[0] * mp;
            let keep = probs.iter().take_while(|x| **x >= cut).count().max(1);
            probs.truncate(keep);
        }
        if let Some(tp) = p.top_p {
            let (mut acc, mut keep) = (0.0, 0);
            for x in &probs {
                acc += x;
                keep += 1;
                if acc >= tp {
                    break;
                }
            }
            probs.truncate(keep.max(1));
        }
        let mut r = u * probs.iter().sum::<f64>();
        for (j, x) in probs.iter().enumerate() {
            r -= x;
            if r <= 0.0 {
                return idx[j] as u32;
            }
        }
        idx[probs.len() - 1] as u32
    }

    #[test]
    fn ordering_only_the_walked_head_samples_as_sorting_everything() {
        // A vocabulary's worth of distinct logits with a long tail, so that walks reach past the
        // first sorted stretch now and then (a high temperature flattens them further).
        let logits: Vec<f32> =
            (0..49152u32).map(|i| ((i.wrapping_mul(2654435761) >> 8) % 100_000) as f32 / 9000.0).collect();
        let knobs = [
            (0.7, None, None, None),
            (1.5, None, None, None),
            (1.0, Some(40), None, None),
            (1.0, None, Some(0.95), None),
            (0.8, Some(200), Some(0.9), Some(0.01)),
            (1.0, None, None, Some(0.05)),
        ];
        for (temperature, top_k, top_p, min_p) in knobs {
            let params = SamplingParams { temperature, top_k, top_p, min_p, seed: Some(11), ..Default::default() };
            let mut s = Sampler::new(params.clone());
            let mut draws = StdRng::seed_from_u64(11);
            let mut deep = 0;
            for _ in 0..120 {
                let got = s.sample(&mut logits.clone(), &[]);
                let want = sample_fully_sorted(&params, &logits, draws.random::<f64>());
                assert_eq!(got, want, "{params:?}");
                deep += usize::from(logits.iter().filter(|&&l| l > logits[got as usize]).count() >= 64);
            }
            if temperature > 1.0 {
                assert!(deep > 0, "no draw went past the first 64 tokens at {params:?}");
            }
        }
    }

    /// How often each token comes out of `n` seeded draws.
    fn frequencies(params: SamplingParams, logits: &[f32], n: usize) -> Vec<f64> {
        let mut s = Sampler::new(params);
        let mut counts = vec![0usize; logits.len()];
        for _ in 0..n {
            counts[s.sample(&mut logits.to_vec(), &[]) as usize] += 1;
        }
        counts.iter().map(|&c| c as f64 / n as f64).collect()
    }

    /// `p` raised to `1/t` and renormalised over the tokens in `keep`: what temperature `t` and a
    /// filter keeping `keep` should give.
    fn expected(p: &[f64], t: f64, keep: usize) -> Vec<f64> {
        let w: Vec<f64> = p.iter().enumerate().map(|(i, x)| if i < keep { x.powf(1.0 / t) } else { 0.0 }).collect();
        let sum: f64 = w.iter().sum();
        w.iter().map(|x| x / sum).collect()
    }

    #[test]
    fn each_sampling_knob_shapes_the_distribution() {
        // Eight tokens with known probabilities at temperature 1, in a shuffled order.
        let p = [0.4, 0.25, 0.15, 0.1, 0.05, 0.03, 0.015, 0.005];
        let order = [5usize, 2, 7, 0, 3, 6, 1, 4];
        let mut logits = vec![0f32; 8];
        for (rank, &slot) in order.iter().enumerate() {
            logits[slot] = (p[rank] as f32).ln() + 3.0;
        }
        // Frequencies listed by rank (most likely first).
        let by_rank = |f: Vec<f64>| order.iter().map(|&slot| f[slot]).collect::<Vec<_>>();
        let base = SamplingParams { temperature: 1.0, seed: Some(11), ..Default::default() };
        let close = |got: &[f64], want: &[f64]| {
            // 20,000 draws: one standard deviation is at most 0.0035.
            assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 0.015), "got {got:.3?}\nwant {want:.3?}");
        };
        let n = 20_000;
        for (t, keep) in [(1.0, 8), (0.5, 8), (2.0, 8)] {
            let f = by_rank(frequencies(SamplingParams { temperature: t, ..base.clone() }, &logits, n));
            close(&f, &expected(&p, t, keep));
        }
        // top-k 1 is greedy, whatever the temperature; top-k 3 renormalises over three tokens.
        let f = by_rank(frequencies(SamplingParams { top_k: Some(1), ..base.clone() }, &logits, 2_000));
        assert_eq!(f[0], 1.0, "{f:?}");
        let f = by_rank(frequencies(SamplingParams { top_k: Some(3), ..base.clone() }, &logits, n));
        close(&f, &expected(&p, 1.0, 3));
        // top-p 0.75: the smallest set reaching 0.75 is the first three (0.4 + 0.25 + 0.15).
        let f = by_rank(frequencies(SamplingParams { top_p: Some(0.75), ..base.clone() }, &logits, n));
        assert!(f[3..].iter().all(|&x| x == 0.0), "outside the nucleus: {f:?}");
        close(&f, &expected(&p, 1.0, 3));
        // min-p 0.3: tokens under 0.3 x 0.4 = 0.12 never come out (0.15 stays, 0.1 goes).
        let f = by_rank(frequencies(SamplingParams { min_p: Some(0.3), ..base.clone() }, &logits, n));
        assert!(f[3..].iter().all(|&x| x == 0.0) && f[2] > 0.1, "{f:?}");
        // The seed matters: another seed draws another sequence; no seed differs run to run.
        let draws = |seed: Option<u64>| {
            let mut s = Sampler::new(SamplingParams { seed, ..base.clone() });
            (0..64).map(|_| s.sample(&mut logits.clone(), &[])).collect::<Vec<_>>()
        };
        assert_eq!(draws(Some(1)), draws(Some(1)));
        assert_ne!(draws(Some(1)), draws(Some(2)));
        assert_ne!(draws(None), draws(None));
    }
}
