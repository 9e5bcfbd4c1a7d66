//! Prompt-processing and generation speed, measured the way llama.cpp's `llama-bench` does:
//! `pp N` runs N prompt tokens through the model in one batch from an empty cache; `tg N`
//! generates N tokens one at a time from an empty cache; with `parallel` B, B sequences do so
//! together, one token each per step (a server's batch; llama-batched-bench's `-npl`), and the
//! speed is their aggregate. One warm-up run, then `repetitions` timed runs; the median and the
//! spread are reported.

use std::time::Instant;

use serde::Serialize;

use super::decoder::{Decoder, KvCache, Logits, Step};
use super::error::{ModelError, Result, candle_message};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Test {
    Pp,
    Tg,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub test: Test,
    pub n_tokens: usize,
    /// Sequences run together (generation; 1 for prompts).
    pub parallel: usize,
    /// Median tokens per second.
    pub tok_s: f64,
    pub tok_s_min: f64,
    pub tok_s_max: f64,
}

/// Token ids spread over the vocabulary, the same every run.
fn tokens(n: usize, vocab: usize) -> Vec<u32> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((x >> 33) % vocab.max(1) as u64) as u32
        })
        .collect()
}

/// Seconds for one run of `test` over `ids` (`parallel` sequences for generation, each
/// starting at its own offset in `ids`).
fn once(model: &Decoder, test: Test, ids: &[u32], parallel: usize) -> Result<f64> {
    let err = |e: candle_core::Error| ModelError::Generation(candle_message(&e));
    let mut caches: Vec<KvCache> = (0..parallel.max(1)).map(|_| KvCache::new(model.layers.len())).collect();
    let started = Instant::now();
    match test {
        Test::Pp => {
            model
                .forward_batch(&mut [Step { tokens: ids, cache: &mut caches[0], adapter: None }], Logits::Last)
                .map_err(err)?;
        }
        Test::Tg => {
            let n = ids.len();
            for i in 0..n {
                let tokens: Vec<u32> = (0..caches.len()).map(|s| ids[(i + 7 * s) % n]).collect();
                let mut steps: Vec<Step<'_>> = caches
                    .iter_mut()
                    .zip(&tokens)
                    .map(|(cache, t)| Step { tokens: std::slice::from_ref(t), cache, adapter: None })
                    .collect();
                model.forward_batch(&mut steps, Logits::Last).map_err(err)?;
            }
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// What one test measures.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub test: Test,
    /// Prompt tokens, or tokens each sequence generates.
    pub n: usize,
    /// Sequences generating together (ignored for prompts).
    pub parallel: usize,
    pub repetitions: usize,
}

/// Run one test: a warm-up, then `repetitions` timed runs. `on_run` hears of each finished run.
pub fn run(model: &Decoder, spec: Spec, on_run: &mut dyn FnMut()) -> Result<BenchResult> {
    let Spec { test, n, repetitions, .. } = spec;
    let parallel = if test == Test::Pp { 1 } else { spec.parallel.max(1) };
    let context = model.config.max_position;
    if n > context {
        return Err(ModelError::PromptTooLong { tokens: n, context });
    }
    let ids = tokens(n, model.config.vocab_size);
    once(model, test, &ids, parallel)?;
    let mut speeds = Vec::with_capacity(repetitions);
    for _ in 0..repetitions.max(1) {
        speeds.push((n * parallel) as f64 / once(model, test, &ids, parallel)?.max(1e-9));
        on_run();
    }
    speeds.sort_by(f64::total_cmp);
    let mid = speeds.len() / 2;
    let median = if speeds.len() % 2 == 1 { speeds[mid] } else { (speeds[mid - 1] + speeds[mid]) / 2.0 };
    Ok(BenchResult {
        test,
        n_tokens: n,
        parallel,
        tok_s: median,
        tok_s_min: speeds[0],
        tok_s_max: speeds[speeds.len() - 1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_tokens_are_deterministic_and_in_range() {
        let a = tokens(1000, 49152);
        assert_eq!(a, tokens(1000, 49152));
        assert!(a.iter().all(|&t| t < 49152));
        // Spread over the vocabulary, not one repeated id.
        let distinct: std::collections::HashSet<_> = a.iter().collect();
        assert!(distinct.len() > 900);
    }
}
