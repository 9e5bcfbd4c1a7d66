//! A micro-batch's records divided between passes that run side by side, each on a thread
//! pool of its own with gradients of its own, added up afterwards.
//!
//! Why: every op of a pass over the whole micro-batch splits its work between the threads and
//! waits for the slowest at its end, a few thousand times a step; at 2 threads a core idled
//! for about 7% of a SmolLM2 step (process CPU time against wall time, per op). Passes over
//! whole records need each other only when the step ends. The sum of the parts' losses and
//! gradients is the whole micro-batch's (each target is scored once, against the same
//! `denom`; dropout masks are numbered by the row in the micro-batch), up to the order of f32
//! additions, which is fixed for a given thread count.

use candle_core::{Error, Result};
use rayon::{ThreadPool, ThreadPoolBuilder};

use super::model::{Batch, LoraSet, Trainer};

/// Thread pools for the parts of a micro-batch, and each part's logits scratch.
pub struct Parts {
    pools: Vec<ThreadPool>,
    scratch: Vec<Vec<f32>>,
}

impl Parts {
    /// `threads` threads in as many pools as there are records in a micro-batch, at most one
    /// per thread (with fewer records than threads, a pool has several).
    pub fn new(threads: usize, records: usize) -> Result<Self> {
        let n = threads.min(records).max(1);
        let pools = (0..n)
            .map(|i| {
                let size = threads / n + usize::from(i < threads % n);
                ThreadPoolBuilder::new()
                    .num_threads(size.max(1))
                    .thread_name(move |t| format!("hfx-train-{i}-{t}"))
                    .build()
                    .map_err(|e| Error::Msg(format!("cannot start training threads: {e}")))
            })
            .collect::<Result<_>>()?;
        Ok(Self { pools, scratch: vec![Vec::new(); n] })
    }

    /// `t.step(batch, denom, backward)`, its records divided between the pools (see the
    /// module's comment); one pool, or a single record, runs it as it is.
    pub fn step(&mut self, t: Trainer, batch: &Batch, denom: f64, backward: bool) -> Result<f64> {
        let parts = batch.split(self.pools.len());
        if parts.len() < 2 {
            return step_with(t, &mut self.scratch[0], batch, denom, backward);
        }
        let Trainer { model, lora, dropout_seed, logits_chunk, checkpoint, precision, first_row, .. } = t;
        // The parts' logits chunks are in memory at once: together they stay within one.
        let chunk = logits_chunk.div_ceil(parts.len()).max(1);
        // The first part adds to `lora`'s gradients; the others to copies, added afterwards.
        let mut copies: Vec<LoraSet> = parts[1..].iter().map(|_| lora.clone()).collect();
        copies.iter_mut().for_each(LoraSet::zero_grad);
        let sets = std::iter::once(&mut *lora).chain(&mut copies);
        let losses: Vec<Result<f64>> = std::thread::scope(|s| {
            let runs: Vec<_> = parts
                .iter()
                .zip(sets)
                .zip(self.pools.iter().zip(&mut self.scratch))
                .map(|(((first, part), set), (pool, scratch))| {
                    s.spawn(move || {
                        pool.install(|| {
                            let t = Trainer {
                                dropout_seed,
                                logits_chunk: chunk,
                                checkpoint,
                                precision,
                                first_row: first_row + first,
                                ..Trainer::new(model, set)
                            };
                            step_with(t, scratch, part, denom, backward)
                        })
                    })
                })
                .collect();
            runs.into_iter()
                .map(|r| r.join().unwrap_or_else(|_| Err(Error::Msg("a training pass panicked".into()))))
                .collect()
        });
        let total = losses.into_iter().sum::<Result<f64>>()?;
        if backward {
            for set in &copies {
                for (p, g) in lora.params_mut().zip(set.params()) {
                    p.grad.iter_mut().zip(&g.grad).for_each(|(p, g)| *p += g);
                }
            }
        }
        Ok(total)
    }
}

/// `t.step(batch, denom, backward)` with `scratch` as its logits scratch, kept for the next call.
fn step_with(mut t: Trainer, scratch: &mut Vec<f32>, batch: &Batch, denom: f64, backward: bool) -> Result<f64> {
    t.logits = std::mem::take(scratch);
    let loss = t.step(batch, denom, backward);
    *scratch = t.logits;
    loss
}
