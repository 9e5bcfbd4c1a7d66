//! The scheduler: one thread owns the decoder (not a tokio worker: the CPU kernels have their own
//! pool, and a step is milliseconds of blocking work) and runs continuous batching. Requests join
//! between steps and leave the moment they finish or their client goes away; each keeps its own
//! sampling parameters and seed. A step is either a prefill (new prompts, up to a token budget,
//! batched) or a decode (one token for every running sequence): never both in one forward pass,
//! so decode rows always take the fast CPU path. Finished sequences leave their KV buffers in a
//! small pool; a new prompt that starts with a pooled sequence's tokens (the next turn of a chat)
//! reuses those keys and values instead of recomputing them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use super::metrics::Metrics;
use crate::models::decoder::{Decoder, KvCache, Logits, Step as ForwardStep};
use crate::models::error::candle_message;
use crate::models::generate::FinishReason;
use crate::models::sequence::{Sequence, SequenceOptions, TokenLogprob, log_softmax_at};
use crate::models::tokenizer::LoadedTokenizer;

#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Sequences decoded together.
    pub max_batch: usize,
    /// KV positions the running sequences may reserve together (prompt + max new tokens each).
    pub kv_budget: usize,
    /// Requests waiting for a slot before new ones are refused.
    pub max_queue: usize,
    /// Prompt tokens per prefill step (longer prompts are prefilled in chunks, with decode steps
    /// of the running sequences in between).
    pub prefill_chunk: usize,
    /// Finished sequences whose KV buffers are kept for prefix reuse.
    pub prefix_pool: usize,
    /// Positions a sequence may use (the served context).
    pub context: usize,
}

/// One sequence to generate.
pub struct GenRequest {
    pub prompt: Vec<u32>,
    pub options: SequenceOptions,
    /// The choice's index (OpenAI's `n`): events carry it back.
    pub index: usize,
    /// The LoRA adapter slot (`--lora NAME=DIR`), or the base model.
    pub adapter: Option<usize>,
    /// Report each prompt token's log-probability (TGI's `decoder_input_details`): the prompt is
    /// then prefilled alone, with logits at every position, and never from the prefix cache.
    pub prompt_logprobs: bool,
    pub events: UnboundedSender<Event>,
}

/// What the scheduler tells a request, in order: tokens, then `Done` (or `Error`).
#[derive(Debug)]
pub enum Event {
    Token {
        index: usize,
        token: Option<u32>,
        text: String,
        logprob: Option<TokenLogprob>,
    },
    Done {
        index: usize,
        finish: FinishReason,
        stop_string: bool,
        usage: Usage,
        /// With `prompt_logprobs`: the log-probability of prompt token `i + 1` given those before.
        prompt_logprobs: Option<Vec<f32>>,
    },
    Error {
        index: usize,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Prompt tokens whose KV came from the prefix cache.
    pub cached_tokens: usize,
}

/// Why a request was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    QueueFull,
    ShuttingDown,
}

pub struct Engine {
    tx: mpsc::Sender<Queued>,
    waiting: Arc<AtomicUsize>,
    closing: AtomicBool,
    max_queue: usize,
}

struct Queued {
    req: GenRequest,
    at: Instant,
}

impl Engine {
    /// Start the scheduler thread.
    pub fn start(
        model: Arc<Decoder>,
        tok: Arc<LoadedTokenizer>,
        options: EngineOptions,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        let scheduler = Scheduler {
            layers: model.layers.len(),
            model,
            tok,
            rx,
            options: options.clone(),
            waiting_count: waiting.clone(),
            metrics,
            waiting: VecDeque::new(),
            running: Vec::new(),
            pool: Vec::new(),
            reserved: 0,
        };
        std::thread::Builder::new().name("hfx-scheduler".into()).spawn(move || scheduler.run())?;
        Ok(Self { tx, waiting, closing: AtomicBool::new(false), max_queue: options.max_queue })
    }

    /// Queue sequences together (all of a request's choices, or none).
    pub fn submit(&self, reqs: Vec<GenRequest>) -> Result<(), Refusal> {
        if self.closing.load(Ordering::SeqCst) {
            return Err(Refusal::ShuttingDown);
        }
        let n = reqs.len();
        let before = self.waiting.fetch_add(n, Ordering::SeqCst);
        if before + n > self.max_queue {
            self.waiting.fetch_sub(n, Ordering::SeqCst);
            return Err(Refusal::QueueFull);
        }
        for req in reqs {
            if self.tx.send(Queued { req, at: Instant::now() }).is_err() {
                return Err(Refusal::ShuttingDown);
            }
        }
        Ok(())
    }

    /// Refuse new requests from now on; queued and running ones finish.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }
}

struct Slot {
    req: GenRequest,
    seq: Sequence,
    cache: KvCache,
    /// KV positions reserved (prompt + max new tokens).
    reserved: usize,
    cached: usize,
    prefilled: bool,
    queued_at: Instant,
    last_token_at: Option<Instant>,
    prompt_logprobs: Option<Vec<f32>>,
}

struct Scheduler {
    model: Arc<Decoder>,
    tok: Arc<LoadedTokenizer>,
    layers: usize,
    rx: mpsc::Receiver<Queued>,
    options: EngineOptions,
    waiting_count: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
    waiting: VecDeque<Queued>,
    running: Vec<Slot>,
    /// Idle KV buffers, the adapter that computed them and the tokens they hold, oldest first.
    pool: Vec<(Option<usize>, Vec<u32>, KvCache)>,
    reserved: usize,
}

fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

impl Scheduler {
    fn run(mut self) {
        loop {
            if self.running.is_empty() && self.waiting.is_empty() {
                self.publish();
                match self.rx.recv() {
                    Ok(q) => self.waiting.push_back(q),
                    Err(_) => return,
                }
            }
            while let Ok(q) = self.rx.try_recv() {
                self.waiting.push_back(q);
            }
            self.admit();
            self.prefill();
            self.retire();
            self.decode();
            self.retire();
            self.publish();
        }
    }

    fn publish(&self) {
        let m = &self.metrics;
        m.queue_depth.store(self.waiting.len() as u64, Ordering::Relaxed);
        m.batch_size.store(self.running.len() as u64, Ordering::Relaxed);
        m.kv_reserved.store(self.reserved as u64, Ordering::Relaxed);
        let bytes: usize = self.running.iter().map(|s| s.cache.size_in_bytes()).sum::<usize>()
            + self.pool.iter().map(|(_, _, c)| c.size_in_bytes()).sum::<usize>();
        m.kv_bytes.store(bytes as u64, Ordering::Relaxed);
    }

    /// Move waiting requests into the batch while there are slots and KV room.
    fn admit(&mut self) {
        while self.running.len() < self.options.max_batch {
            let Some(front) = self.waiting.front() else { break };
            let ctx = self.options.context;
            let prompt_len = front.req.prompt.len();
            let reserve = prompt_len + front.req.options.max_new_tokens.min(ctx.saturating_sub(prompt_len));
            if !front.req.events.is_closed()
                && !self.running.is_empty()
                && self.reserved + reserve > self.options.kv_budget
            {
                break;
            }
            let Some(Queued { req, at }) = self.waiting.pop_front() else { break };
            self.waiting_count.fetch_sub(1, Ordering::SeqCst);
            if req.events.is_closed() {
                add(&self.metrics.cancelled, 1);
                continue;
            }
            let seq = match Sequence::new(req.prompt.clone(), req.options.clone(), ctx) {
                Ok(s) => s,
                Err(e) => {
                    let _ = req.events.send(Event::Error { index: req.index, message: e.to_string() });
                    continue;
                }
            };
            let cache =
                if req.prompt_logprobs { KvCache::new(self.layers) } else { self.take_cache(req.adapter, &req.prompt) };
            let cached = cache.len();
            if cached > 0 {
                add(&self.metrics.prefix_hits, 1);
                add(&self.metrics.prefix_cached_tokens, cached);
            }
            add(&self.metrics.prompt_tokens, prompt_len);
            tracing::debug!(
                "admitted a sequence: {prompt_len} prompt tokens ({cached} from the prefix cache), \
                 {reserve} KV tokens reserved, waited {} ms, batch {} -> {}",
                at.elapsed().as_millis(),
                self.running.len(),
                self.running.len() + 1
            );
            self.reserved += reserve;
            self.running.push(Slot {
                seq,
                cache,
                reserved: reserve,
                cached,
                prefilled: false,
                queued_at: at,
                last_token_at: None,
                prompt_logprobs: req.prompt_logprobs.then(Vec::new),
                req,
            });
        }
    }

    /// The pooled buffers sharing the longest prefix with `prompt` under the same adapter (an
    /// adapter on k/v changes the keys and values), holding that prefix short of the prompt's
    /// last token (whose logits start the answer), or new ones.
    fn take_cache(&mut self, adapter: Option<usize>, prompt: &[u32]) -> KvCache {
        let best = self
            .pool
            .iter()
            .enumerate()
            .filter(|(_, (a, _, _))| *a == adapter)
            .map(|(i, (_, tokens, _))| (i, tokens.iter().zip(prompt).take_while(|(a, b)| a == b).count()))
            .max_by_key(|&(_, n)| n);
        let Some((i, n)) = best.filter(|&(_, n)| n > 0) else { return KvCache::new(self.layers) };
        let keep = n.min(prompt.len() - 1);
        // The next turn of a conversation (the whole pooled prompt and more) takes the entry: its
        // own prompt, pooled when it ends, covers the entry's. Any other prompt (another question
        // after the same system prompt, the same prompt again) copies the shared positions and
        // leaves the entry, now the most recently used, to the next request that shares them.
        if (n < self.pool[i].1.len() || prompt.len() == n)
            && let Ok(copy) = self.pool[i].2.copy_prefix(keep)
        {
            let entry = self.pool.remove(i);
            self.pool.push(entry);
            return copy;
        }
        let mut cache = self.pool.remove(i).2;
        cache.truncate(keep);
        cache
    }

    /// One forward pass over prompt tokens of sequences not yet prefilled, up to the chunk budget.
    fn prefill(&mut self) {
        let wants_logprobs = |s: &Slot| !s.prefilled && s.seq.finish_reason().is_none() && s.prompt_logprobs.is_some();
        if let Some(i) = self.running.iter().position(wants_logprobs) {
            return self.prefill_with_logprobs(i);
        }
        let mut budget = self.options.prefill_chunk;
        let mut steps = Vec::new();
        let mut who = Vec::new();
        for (i, s) in self.running.iter_mut().enumerate() {
            if s.prefilled || s.seq.finish_reason().is_some() || budget == 0 {
                continue;
            }
            let prompt = s.seq.prompt();
            let start = s.cache.len();
            let end = prompt.len().min(start + budget);
            budget -= end - start;
            who.push((i, end == prompt.len()));
            steps.push(ForwardStep { tokens: &prompt[start..end], cache: &mut s.cache, adapter: s.req.adapter });
        }
        if steps.is_empty() {
            return;
        }
        let out = self.model.forward_batch(&mut steps, Logits::Prompt);
        drop(steps);
        self.take_logits(out, &who);
    }

    /// A chunk of one prompt with logits at every position: each gives the log-probability of
    /// the prompt's next token; the last one, once the prompt is done, the first new token.
    fn prefill_with_logprobs(&mut self, i: usize) {
        let s = &mut self.running[i];
        let prompt = s.seq.prompt();
        let start = s.cache.len();
        let end = prompt.len().min(start + self.options.prefill_chunk);
        let mut steps = [ForwardStep { tokens: &prompt[start..end], cache: &mut s.cache, adapter: s.req.adapter }];
        let out = self.model.forward_batch(&mut steps, Logits::All);
        let rows = out.and_then(|mut o| {
            let logits = o.remove(0);
            let rows = logits.to_vec2::<f32>()?;
            Ok((rows, logits))
        });
        let (rows, logits) = match rows {
            Ok(r) => r,
            Err(e) => return self.take_logits(Err(e), &[(i, true)]),
        };
        let slot = &mut self.running[i];
        let prompt = slot.seq.prompt();
        if let Some(lps) = slot.prompt_logprobs.as_mut() {
            let nexts = prompt.get(start + 1..).unwrap_or_default();
            lps.extend(rows.iter().zip(nexts).map(|(row, &next)| log_softmax_at(row, next)));
        }
        let done = end == prompt.len();
        let last = logits.narrow(0, end - start - 1, 1);
        self.take_logits(last.map(|l| vec![l]), &[(i, done)]);
    }

    /// One token for every prefilled sequence, in one batched step.
    fn decode(&mut self) {
        let mut lasts = Vec::new();
        let mut who = Vec::new();
        for (i, s) in self.running.iter().enumerate() {
            if s.prefilled && s.seq.finish_reason().is_none() {
                lasts.push(s.seq.last_token());
                who.push((i, true));
            }
        }
        if who.is_empty() {
            return;
        }
        let mut steps = Vec::with_capacity(who.len());
        let mut next = who.iter().map(|w| w.0).peekable();
        for (i, s) in self.running.iter_mut().enumerate() {
            if next.peek() == Some(&i) {
                next.next();
                let j = steps.len();
                let adapter = s.req.adapter;
                steps.push(ForwardStep { tokens: std::slice::from_ref(&lasts[j]), cache: &mut s.cache, adapter });
            }
        }
        add(&self.metrics.decode_steps, 1);
        add(&self.metrics.decode_rows, steps.len());
        let started = Instant::now();
        let out = self.model.forward_batch(&mut steps, Logits::Last);
        drop(steps);
        self.take_logits(out, &who);
        add(&self.metrics.decode_us, started.elapsed().as_micros() as usize);
    }

    /// Sample from the logits of the sequences in `who` (index, whether the logits are final:
    /// a prefill chunk short of the prompt's end gives none to sample from).
    fn take_logits(&mut self, out: candle_core::Result<Vec<candle_core::Tensor>>, who: &[(usize, bool)]) {
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                let message = format!("the forward pass failed: {}", candle_message(&e));
                for &(i, _) in who {
                    let s = &mut self.running[i];
                    let _ = s.req.events.send(Event::Error { index: s.req.index, message: message.clone() });
                    s.seq.cancel();
                }
                return;
            }
        };
        for (&(i, complete), logits) in who.iter().zip(out) {
            if !complete {
                continue;
            }
            let s = &mut self.running[i];
            s.prefilled = true;
            let step = logits.flatten_all().and_then(|l| l.to_vec1::<f32>()).map_err(|e| candle_message(&e));
            let step = step.and_then(|mut l| s.seq.accept(&mut l, &self.tok.tokenizer).map_err(|e| e.to_string()));
            add(&self.metrics.grammar_us, s.seq.take_grammar_time().as_micros() as usize);
            match step {
                Ok(step) => {
                    let now = Instant::now();
                    match s.last_token_at {
                        None => self.metrics.ttft.observe(now - s.queued_at),
                        Some(t) => self.metrics.inter_token.observe(now - t),
                    }
                    s.last_token_at = Some(now);
                    add(&self.metrics.generated_tokens, usize::from(step.token.is_some()));
                    if step.token.is_some() || !step.text.is_empty() {
                        let event = Event::Token {
                            index: s.req.index,
                            token: step.token,
                            text: step.text,
                            logprob: step.logprob,
                        };
                        let _ = s.req.events.send(event);
                    }
                }
                Err(message) => {
                    let _ = s.req.events.send(Event::Error { index: s.req.index, message });
                    s.seq.cancel();
                }
            }
        }
    }

    /// Remove finished sequences and those whose client went away; their buffers go to the pool.
    fn retire(&mut self) {
        let mut i = 0;
        while i < self.running.len() {
            let s = &mut self.running[i];
            if s.seq.finish_reason().is_none() && s.req.events.is_closed() {
                s.seq.cancel();
                add(&self.metrics.cancelled, 1);
            }
            let Some(finish) = s.seq.finish_reason() else {
                i += 1;
                continue;
            };
            let s = self.running.swap_remove(i);
            self.reserved -= s.reserved;
            let usage = Usage {
                prompt_tokens: s.seq.prompt().len(),
                completion_tokens: s.seq.generated().len(),
                cached_tokens: s.cached,
            };
            let done = Event::Done {
                index: s.req.index,
                finish,
                stop_string: s.seq.stopped_by_string(),
                usage,
                prompt_logprobs: s.prompt_logprobs,
            };
            let _ = s.req.events.send(done);
            // Only the prompt's keys and values are kept: those of generated tokens came from
            // the decode kernels, whose rounding differs from a prefill's, and a next turn reusing
            // them could answer differently from the same request on a fresh server.
            let held = s.cache.len().min(s.seq.prompt().len());
            if held > 0 && self.options.prefix_pool > 0 {
                // An entry this prompt starts with (the same question asked again, an earlier
                // turn) serves nothing this one cannot: drop it rather than hold it twice.
                let tokens = s.seq.prompt()[..held].to_vec();
                self.pool.retain(|(a, t, _)| *a != s.req.adapter || !tokens.starts_with(t));
                self.pool.push((s.req.adapter, tokens, s.cache));
                if self.pool.len() > self.options.prefix_pool {
                    self.pool.remove(0);
                }
            }
        }
    }
}
