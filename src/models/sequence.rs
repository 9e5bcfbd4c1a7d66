//! One generation as a state machine that a driver feeds one step of logits at a time: `hfx run`
//! drives a single sequence in a loop, `hfx serve`'s scheduler drives many in one batch. It owns
//! everything per sequence (sampler and its seed, detokenizer, stop strings, the EOS set, the
//! token limit, penalties, logprobs) and decides when and why the sequence ends.

use super::error::{ModelError, Result};
use super::generate::{Detokenizer, FinishReason, Sampler, SamplingParams, StopStrings};
use super::grammar::Constraint;
use super::tokenizer::Tokenizer;

/// What a sequence is asked to do besides its prompt.
#[derive(Debug, Clone, Default)]
pub struct SequenceOptions {
    pub max_new_tokens: usize,
    pub eos: Vec<u32>,
    /// Keep going past end-of-sequence tokens (benchmarks).
    pub ignore_eos: bool,
    pub stops: Vec<String>,
    pub sampling: SamplingParams,
    /// OpenAI's penalties over the tokens generated so far: `logit -= frequency * count +
    /// presence * (count > 0)`.
    pub frequency_penalty: f32,
    pub presence_penalty: f32,
    /// Added to a token's logit before sampling (OpenAI's `logit_bias`).
    pub logit_bias: Vec<(u32, f32)>,
    /// Report the chosen token's log-probability and this many alternatives.
    pub logprobs: Option<usize>,
    /// Only tokens this grammar allows are sampled; the sequence stops when it is complete.
    pub grammar: Option<Constraint>,
}

/// A chosen token's log-probability under the (penalised) distribution, and the most likely
/// alternatives, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    pub logprob: f32,
    pub top: Vec<(u32, f32)>,
}

/// What one step produced.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// The token sampled (none when it was an end-of-sequence token).
    pub token: Option<u32>,
    /// Text that became final with this step (may be empty: a character still incomplete, or
    /// text held back as the possible start of a stop string).
    pub text: String,
    pub logprob: Option<TokenLogprob>,
    /// Set on the step that ends the sequence.
    pub finish: Option<FinishReason>,
}

pub struct Sequence {
    options: SequenceOptions,
    constraint: Option<Constraint>,
    sampler: Sampler,
    detok: Detokenizer,
    stops: StopStrings,
    /// Prompt then generated tokens (the repetition penalty's window).
    history: Vec<u32>,
    prompt_len: usize,
    max_new: usize,
    text: String,
    finish: Option<FinishReason>,
    stopped_by_string: bool,
}

impl Sequence {
    /// A sequence for `prompt` on a model of `context` positions. Generation stops at the
    /// context's end too, whatever `max_new_tokens` says.
    pub fn new(prompt: Vec<u32>, mut options: SequenceOptions, context: usize) -> Result<Self> {
        if prompt.is_empty() {
            return Err(ModelError::Generation("the prompt is empty".into()));
        }
        if prompt.len() >= context {
            return Err(ModelError::PromptTooLong { tokens: prompt.len(), context });
        }
        let max_new = options.max_new_tokens.min(context - prompt.len());
        Ok(Self {
            constraint: options.grammar.take(),
            sampler: Sampler::new(options.sampling.clone()),
            detok: Detokenizer::new(),
            stops: StopStrings::new(options.stops.clone()),
            prompt_len: prompt.len(),
            history: prompt,
            max_new,
            text: String::new(),
            finish: (max_new == 0).then_some(FinishReason::Length),
            stopped_by_string: false,
            options,
        })
    }

    pub fn prompt(&self) -> &[u32] {
        &self.history[..self.prompt_len]
    }

    pub fn generated(&self) -> &[u32] {
        &self.history[self.prompt_len..]
    }

    /// Prompt and generated tokens.
    pub fn tokens(&self) -> &[u32] {
        &self.history
    }

    /// The token to feed next (the last one sampled, or the prompt's last).
    pub fn last_token(&self) -> u32 {
        self.history.last().copied().unwrap_or_default()
    }

    /// All text released so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.finish
    }

    /// Whether a stop string (not an end-of-sequence token) ended the sequence.
    pub fn stopped_by_string(&self) -> bool {
        self.stopped_by_string
    }

    /// Sample the next token from `logits` (changed in place by penalties and biases).
    pub fn accept(&mut self, logits: &mut [f32], tokenizer: &Tokenizer) -> Result<Step> {
        if self.finish.is_some() {
            return Ok(Step { finish: self.finish, ..Step::default() });
        }
        self.penalise(logits);
        if let Some(c) = &mut self.constraint {
            c.mask(logits)?;
        }
        let next = self.sampler.sample(logits, &self.history);
        let logprob = self.options.logprobs.map(|n| logprob_of(logits, next, n));
        let mut step = Step { logprob, ..Step::default() };
        if self.options.eos.contains(&next) && !self.options.ignore_eos {
            // Text held back as a possible stop-string start is text all the same.
            step.text = self.stops.flush();
            self.text.push_str(&step.text);
            self.finish = Some(FinishReason::Stop);
            step.finish = self.finish;
            return Ok(step);
        }
        step.token = Some(next);
        self.history.push(next);
        if let Some(c) = &mut self.constraint {
            c.commit(next)?;
        }
        if let Some(piece) = self.detok.push(tokenizer, next)? {
            let (show, stopped) = self.stops.push(&piece);
            step.text = show;
            if stopped {
                self.finish = Some(FinishReason::Stop);
                self.stopped_by_string = true;
            }
        }
        // A complete grammar that allows nothing more ends the sequence now, without a step
        // whose only allowed token is end-of-sequence.
        if self.finish.is_none() && self.constraint.as_ref().is_some_and(Constraint::is_done) {
            step.text.push_str(&self.stops.flush());
            self.finish = Some(FinishReason::Stop);
        }
        if self.finish.is_none() && self.generated().len() >= self.max_new {
            step.text.push_str(&self.stops.flush());
            self.finish = Some(FinishReason::Length);
        }
        self.text.push_str(&step.text);
        step.finish = self.finish;
        Ok(step)
    }

    /// Time the grammar took since the last call (zero without one).
    pub fn take_grammar_time(&mut self) -> std::time::Duration {
        self.constraint.as_mut().map(Constraint::take_spent).unwrap_or_default()
    }

    /// End the sequence from outside; the text held back is released.
    pub fn cancel(&mut self) -> Step {
        if self.finish.is_some() {
            return Step { finish: self.finish, ..Step::default() };
        }
        let text = self.stops.flush();
        self.text.push_str(&text);
        self.finish = Some(FinishReason::Cancelled);
        Step { text, finish: self.finish, ..Step::default() }
    }

    fn penalise(&self, logits: &mut [f32]) {
        let o = &self.options;
        for &(id, bias) in &o.logit_bias {
            if let Some(l) = logits.get_mut(id as usize) {
                *l += bias;
            }
        }
        if o.frequency_penalty == 0.0 && o.presence_penalty == 0.0 {
            return;
        }
        let mut seen = self.generated().to_vec();
        seen.sort_unstable();
        for run in seen.chunk_by(|a, b| a == b) {
            if let Some(l) = logits.get_mut(run[0] as usize) {
                *l -= o.frequency_penalty * run.len() as f32 + o.presence_penalty;
            }
        }
    }
}

/// `log(sum(exp(logits)))`, computed stably.
fn log_sum_exp(logits: &[f32]) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    max + logits.iter().map(|l| f64::from(l - max).exp()).sum::<f64>().ln() as f32
}

/// log-softmax of `logits` at `id` (minus infinity outside the vocabulary).
pub(crate) fn log_softmax_at(logits: &[f32], id: u32) -> f32 {
    logits.get(id as usize).map_or(f32::NEG_INFINITY, |l| l - log_sum_exp(logits))
}

/// log-softmax of `logits` at `id`, and the `n` most likely ids with theirs.
fn logprob_of(logits: &[f32], id: u32, n: usize) -> TokenLogprob {
    let lse = log_sum_exp(logits);
    let mut top: Vec<(u32, f32)> = Vec::with_capacity(n + 1);
    for (i, &l) in logits.iter().enumerate() {
        if top.len() < n || top.last().is_some_and(|t| l > t.1) {
            let at = top.partition_point(|t| t.1 >= l);
            top.insert(at, (i as u32, l));
            top.truncate(n);
        }
    }
    let logprob = logits.get(id as usize).map_or(f32::NEG_INFINITY, |l| l - lse);
    TokenLogprob { logprob, top: top.into_iter().map(|(i, l)| (i, l - lse)).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logprobs_are_a_log_softmax_with_the_best_alternatives_first() {
        let logits = [1.0f32, 3.0, 2.0, 0.5];
        let lp = logprob_of(&logits, 2, 2);
        let z: f32 = logits.iter().map(|l| l.exp()).sum();
        assert!((lp.logprob - (2f32.exp() / z).ln()).abs() < 1e-5);
        assert_eq!(lp.top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![1, 2]);
        assert!((lp.top[0].1 - (3f32.exp() / z).ln()).abs() < 1e-5);
    }

    #[test]
    fn penalties_and_biases_apply_to_generated_tokens_only() {
        let options = SequenceOptions {
            max_new_tokens: 8,
            frequency_penalty: 1.0,
            presence_penalty: 0.5,
            logit_bias: vec![(0, -100.0)],
            ..SequenceOptions::default()
        };
        let mut s = Sequence::new(vec![3, 3], options, 100).unwrap();
        s.history.extend([1, 1, 2]);
        let mut logits = vec![0.0f32; 4];
        s.penalise(&mut logits);
        // Token 3 is only in the prompt: untouched.
        assert_eq!(logits, vec![-100.0, -2.5, -1.5, 0.0]);
    }

    #[test]
    fn a_prompt_at_the_context_is_refused_and_limits_follow_the_context() {
        let opts = SequenceOptions { max_new_tokens: 50, ..SequenceOptions::default() };
        assert!(matches!(
            Sequence::new(vec![1; 10], opts.clone(), 10),
            Err(ModelError::PromptTooLong { tokens: 10, context: 10 })
        ));
        assert!(Sequence::new(vec![], opts.clone(), 10).is_err());
        assert_eq!(Sequence::new(vec![1; 4], opts, 10).unwrap().max_new, 6);
    }
}
