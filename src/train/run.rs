//! The training loop: batches from the examples, one optimizer update per step over
//! `grad_accum` micro-batches, evaluation, checkpoints, the log, and resuming so that a resumed
//! run follows the curve an uninterrupted one would (every random choice is derived from the
//! seed and the step, never from state that would have to be saved).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use candle_core::{Device, Tensor};
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};
use serde::{Deserialize, Serialize};

use super::adapter::{self, LoraShape, Provenance};
use super::error::{Result, TrainError};
use super::model::{Batch, LoraSet, Trainer};
use super::optim::{self, Optimizer, OptimizerKind, Schedule};
use super::parts::Parts;
use super::records::Example;
use crate::models::decoder::Decoder;

/// How to train (defaults as PEFT's and TRL's where they have one; see `hfx finetune --help`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOptions {
    pub epochs: f64,
    pub max_steps: Option<u64>,
    pub batch_size: usize,
    pub grad_accum: usize,
    pub lr: f64,
    pub optimizer: OptimizerKind,
    pub weight_decay: f64,
    pub schedule: Schedule,
    pub warmup_steps: Option<u64>,
    pub warmup_ratio: f64,
    pub max_grad_norm: f64,
    pub max_seq_len: usize,
    pub packing: bool,
    pub eval_every: Option<u64>,
    pub save_every: Option<u64>,
    pub seed: u64,
    /// Rows of vocabulary logits formed at once.
    pub logits_chunk: usize,
    /// Recompute each layer in the backward pass instead of keeping its activations.
    #[serde(default)]
    pub gradient_checkpointing: bool,
    /// How the frozen weights' products are computed.
    #[serde(default)]
    pub precision: super::Precision,
}

/// One line of `training_log.jsonl` per optimizer update.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepRecord {
    pub step: u64,
    pub epoch: f64,
    /// The step's batch loss, before the update.
    pub loss: f64,
    pub lr: f64,
    pub grad_norm: f64,
    pub tokens: usize,
    pub tokens_per_s: f64,
}

/// One line of `training_log.jsonl` per evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EvalRecord {
    pub step: u64,
    pub eval_loss: f64,
    pub eval_perplexity: f64,
}

/// What a run will do, reported once at its start.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub train_records: usize,
    pub eval_records: usize,
    pub micro_batches_per_epoch: usize,
    pub steps_per_epoch: u64,
    pub total_steps: u64,
    pub warmup_steps: u64,
    pub trainable_parameters: usize,
    pub start_step: u64,
}

/// Where a run reports (`output/` draws a bar; tests collect).
pub trait TrainProgress: Send + Sync {
    fn start(&self, _plan: &Plan) {}
    fn step(&self, _rec: &StepRecord, _total: u64) {}
    fn eval(&self, _rec: &EvalRecord) {}
    fn checkpoint(&self, _step: u64, _dir: &Path) {}
    fn finish(&self) {}
}

/// The outcome of a finished run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub steps: u64,
    pub first_loss: Option<f64>,
    pub final_loss: Option<f64>,
    pub final_eval_loss: Option<f64>,
    pub tokens: usize,
    pub seconds: f64,
    pub tokens_per_s: f64,
}

/// Optimizer updates' micro-batches, in order, from the examples and the seed.
struct Batches<'a> {
    examples: &'a [Example],
    opts: &'a TrainOptions,
}

impl<'a> Batches<'a> {
    /// Each epoch's micro-batches: records shuffled by the epoch's seed, then `batch_size` at a
    /// time, or (packing) filled into `batch_size` rows of `max_seq_len` tokens each.
    fn epoch(&self, epoch: u64) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.examples.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(self.opts.seed ^ 0x5eed_0000 ^ epoch));
        if !self.opts.packing {
            return order.chunks(self.opts.batch_size.max(1)).map(<[usize]>::to_vec).collect();
        }
        let budget = self.opts.max_seq_len;
        let mut rows: Vec<(usize, Vec<usize>)> = Vec::new();
        for i in order {
            let len = self.examples[i].ids.len();
            match rows.iter_mut().find(|(used, _)| used + len <= budget) {
                Some((used, r)) => {
                    *used += len;
                    r.push(i);
                }
                None => rows.push((len, vec![i])),
            }
        }
        rows.chunks(self.opts.batch_size.max(1)).map(|c| c.iter().flat_map(|(_, r)| r.clone()).collect()).collect()
    }

    fn micro_per_epoch(&self) -> usize {
        self.epoch(0).len()
    }
}

fn batch_of(examples: &[Example], idx: &[usize]) -> Batch {
    let mut b = Batch::default();
    for &i in idx {
        b.push(&examples[i].ids, &examples[i].labels);
    }
    b
}

/// Files of a run's output folder.
pub const LOG: &str = "training_log.jsonl";
pub const CHECKPOINTS: &str = "checkpoints";
const STATE: &str = "trainer_state.json";
const OPTIMIZER: &str = "optimizer.safetensors";

#[derive(Debug, Serialize, Deserialize)]
struct TrainerState {
    step: u64,
    optimizer: Optimizer,
    /// What must agree for a resume to continue the same run.
    fingerprint: String,
}

/// A run's fixed inputs.
pub struct Run<'a> {
    pub model: &'a mut Decoder,
    pub lora: LoraSet,
    pub shape: LoraShape,
    pub train: Vec<Example>,
    pub eval: Vec<Example>,
    pub opts: TrainOptions,
    pub provenance: Provenance,
    pub output: PathBuf,
    pub resume: bool,
    /// A hash of everything a checkpoint must agree on (model, data, settings).
    pub fingerprint: String,
}

impl Run<'_> {
    fn plan(&self, start: u64) -> Plan {
        let sched = Batches { examples: &self.train, opts: &self.opts };
        let micro = sched.micro_per_epoch();
        let spe = micro.div_ceil(self.opts.grad_accum.max(1)) as u64;
        let total =
            self.opts.max_steps.unwrap_or_else(|| ((spe as f64) * self.opts.epochs).ceil().max(1.0) as u64).max(1);
        let warmup =
            self.opts.warmup_steps.unwrap_or_else(|| (self.opts.warmup_ratio * total as f64).ceil() as u64).min(total);
        Plan {
            train_records: self.train.len(),
            eval_records: self.eval.len(),
            micro_batches_per_epoch: micro,
            steps_per_epoch: spe,
            total_steps: total,
            warmup_steps: warmup,
            trainable_parameters: self.lora.params().map(|p| p.value.len()).sum(),
            start_step: start,
        }
    }

    /// Mean cross-entropy over the eval records' labelled tokens (no dropout).
    fn evaluate(&mut self, parts: &mut Parts) -> Result<Option<f64>> {
        if self.eval.is_empty() {
            return Ok(None);
        }
        let (mut sum, mut n) = (0f64, 0usize);
        let idx: Vec<usize> = (0..self.eval.len()).collect();
        for chunk in idx.chunks(self.opts.batch_size.max(1)) {
            let b = batch_of(&self.eval, chunk);
            n += b.targets.len();
            let t = Trainer {
                logits_chunk: self.opts.logits_chunk,
                precision: self.opts.precision,
                ..Trainer::new(self.model, &mut self.lora)
            };
            sum += parts.step(t, &b, 1.0, false).map_err(TrainError::model)?;
        }
        Ok(Some(sum / n.max(1) as f64))
    }

    fn save_checkpoint(&self, step: u64, opt: &Optimizer) -> Result<PathBuf> {
        let root = self.output.join(CHECKPOINTS);
        let dir = root.join(format!("step-{step}"));
        let partial = root.join(format!(".step-{step}.partial"));
        if partial.exists() {
            fs_err::remove_dir_all(&partial)?;
        }
        adapter::save(self.model, &self.lora, &self.shape, &self.provenance, &partial)?;
        let mut moments = std::collections::HashMap::new();
        for (i, (m, v)) in opt.m.iter().zip(&opt.v).enumerate() {
            let t = |x: &Vec<f32>| Tensor::from_slice(x, x.len(), &Device::Cpu).map_err(TrainError::model);
            moments.insert(format!("m.{i}"), t(m)?);
            moments.insert(format!("v.{i}"), t(v)?);
        }
        fs_err::write(partial.join(OPTIMIZER), adapter::safetensors_bytes(&moments)?)?;
        let state = TrainerState {
            step,
            optimizer: Optimizer { m: Vec::new(), v: Vec::new(), ..opt.clone() },
            fingerprint: self.fingerprint.clone(),
        };
        fs_err::write(partial.join(STATE), serde_json::to_vec_pretty(&state).unwrap_or_default())?;
        if dir.exists() {
            fs_err::remove_dir_all(&dir)?;
        }
        fs_err::rename(&partial, &dir)?;
        // Keep the two newest.
        for (_, old) in checkpoints(&root).into_iter().rev().skip(2) {
            let _ = fs_err::remove_dir_all(old);
        }
        Ok(dir)
    }

    /// The newest checkpoint: its step and optimizer; the adapter values are loaded into `lora`.
    fn load_checkpoint(&mut self) -> Result<(u64, Optimizer)> {
        let root = self.output.join(CHECKPOINTS);
        let Some((_, dir)) = checkpoints(&root).pop() else {
            return Err(TrainError::NoCheckpoint { path: self.output.clone() });
        };
        let mismatch = |reason: String| TrainError::CheckpointMismatch { path: dir.clone(), reason };
        let state: TrainerState =
            serde_json::from_slice(&fs_err::read(dir.join(STATE))?).map_err(|e| mismatch(format!("{STATE}: {e}")))?;
        if state.fingerprint != self.fingerprint {
            return Err(mismatch("the model, data or training settings differ".into()));
        }
        let (set, _) = adapter::load(self.model, &dir, self.shape.dropout)?;
        if set.adapters.len() != self.lora.adapters.len() {
            return Err(mismatch("another set of adapted projections".into()));
        }
        self.lora = set;
        let moments = candle_core::safetensors::load(dir.join(OPTIMIZER), &Device::Cpu).map_err(TrainError::model)?;
        let mut opt = state.optimizer;
        let n = self.lora.params().count();
        let get = |k: String| -> Result<Vec<f32>> {
            moments
                .get(&k)
                .ok_or_else(|| mismatch(format!("{OPTIMIZER} lacks `{k}`")))?
                .to_vec1()
                .map_err(TrainError::model)
        };
        if moments.contains_key("m.0") {
            opt.m = (0..n).map(|i| get(format!("m.{i}"))).collect::<Result<_>>()?;
            opt.v = (0..n).map(|i| get(format!("v.{i}"))).collect::<Result<_>>()?;
        }
        Ok((state.step, opt))
    }

    /// Train; `stop` (Ctrl-C) ends the run after the current step with a checkpoint.
    pub fn train(&mut self, progress: &dyn TrainProgress, stop: &AtomicBool) -> Result<Summary> {
        let (start, mut opt) = if self.resume {
            self.load_checkpoint()?
        } else {
            (0, Optimizer::new(self.opts.optimizer, self.opts.weight_decay))
        };
        let plan = self.plan(start);
        progress.start(&plan);
        let log_path = self.output.join(LOG);
        let mut log = open_log(&log_path, start)?;
        let ga = self.opts.grad_accum.max(1);
        let began = Instant::now();
        let mut summary = Summary {
            steps: start,
            first_loss: None,
            final_loss: None,
            final_eval_loss: None,
            tokens: 0,
            seconds: 0.0,
            tokens_per_s: 0.0,
        };
        let mut epoch_cache: Option<(u64, Vec<Vec<usize>>)> = None;
        // Holds the logits scratch across steps too (see `ops::cross_entropy`).
        let mut parts = Parts::new(rayon::current_num_threads(), self.opts.batch_size).map_err(TrainError::model)?;
        for step in start..plan.total_steps {
            if stop.load(Ordering::SeqCst) {
                let dir = self.save_checkpoint(step, &opt)?;
                progress.checkpoint(step, &dir);
                return Err(TrainError::Interrupted);
            }
            let t0 = Instant::now();
            let epoch = step / plan.steps_per_epoch;
            let within = (step % plan.steps_per_epoch) as usize;
            if epoch_cache.as_ref().is_none_or(|(e, _)| *e != epoch) {
                let sched = Batches { examples: &self.train, opts: &self.opts };
                epoch_cache = Some((epoch, sched.epoch(epoch)));
            }
            let Some((_, micro)) = &epoch_cache else { continue };
            let range = within * ga..((within + 1) * ga).min(micro.len());
            let batches: Vec<Batch> = micro[range.clone()].iter().map(|idx| batch_of(&self.train, idx)).collect();
            let denom = batches.iter().map(|b| b.targets.len()).sum::<usize>().max(1) as f64;
            let tokens: usize = batches.iter().map(|b| b.tokens.len()).sum();
            self.lora.zero_grad();
            let mut loss = 0f64;
            for (k, b) in batches.iter().enumerate() {
                let seed = self.opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (step << 16) ^ k as u64;
                let t = Trainer {
                    dropout_seed: Some(seed),
                    logits_chunk: self.opts.logits_chunk,
                    checkpoint: self.opts.gradient_checkpointing,
                    precision: self.opts.precision,
                    ..Trainer::new(self.model, &mut self.lora)
                };
                loss += parts.step(t, b, denom, true).map_err(TrainError::model)?;
            }
            let loss = loss / denom;
            if !loss.is_finite() {
                return Err(TrainError::Compute(format!("the loss became {loss} at step {}", step + 1)));
            }
            let grad_norm = optim::clip_grad_norm(&mut self.lora, self.opts.max_grad_norm);
            let lr = optim::learning_rate(self.opts.schedule, self.opts.lr, step, plan.total_steps, plan.warmup_steps);
            opt.step(&mut self.lora, lr);
            let secs = t0.elapsed().as_secs_f64();
            let rec = StepRecord {
                step: step + 1,
                epoch: (step as f64 + (range.len() as f64 / ga as f64)) / plan.steps_per_epoch as f64,
                loss,
                lr,
                grad_norm,
                tokens,
                tokens_per_s: tokens as f64 / secs.max(1e-9),
            };
            log_line(&mut log, &rec)?;
            progress.step(&rec, plan.total_steps);
            summary.first_loss.get_or_insert(loss);
            summary.final_loss = Some(loss);
            summary.tokens += tokens;
            summary.steps = step + 1;
            let last = step + 1 == plan.total_steps;
            let due = self.opts.eval_every.is_some_and(|n| n > 0 && (step + 1) % n == 0);
            if (due || last)
                && let Some(eval_loss) = self.evaluate(&mut parts)?
            {
                let rec = EvalRecord { step: step + 1, eval_loss, eval_perplexity: eval_loss.exp() };
                log_line(&mut log, &rec)?;
                progress.eval(&rec);
                summary.final_eval_loss = Some(eval_loss);
            }
            if !last && self.opts.save_every.is_some_and(|n| n > 0 && (step + 1) % n == 0) {
                let dir = self.save_checkpoint(step + 1, &opt)?;
                progress.checkpoint(step + 1, &dir);
            }
        }
        summary.seconds = began.elapsed().as_secs_f64();
        summary.tokens_per_s = summary.tokens as f64 / summary.seconds.max(1e-9);
        adapter::save(self.model, &self.lora, &self.shape, &self.provenance, &self.output)?;
        progress.finish();
        Ok(summary)
    }
}

/// One JSON object per line of the log.
fn log_line(log: &mut std::fs::File, v: &impl Serialize) -> Result<()> {
    let mut line = serde_json::to_string(v).map_err(|e| TrainError::Compute(e.to_string()))?;
    line.push('\n');
    Ok(log.write_all(line.as_bytes())?)
}

/// The log opened for appending, cut back to the lines up to `step` (a resumed run rewrites
/// what the interrupted one logged after its checkpoint).
fn open_log(path: &Path, step: u64) -> Result<std::fs::File> {
    let kept = if step == 0 {
        String::new()
    } else {
        let text = fs_err::read_to_string(path).unwrap_or_default();
        text.lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .and_then(|v| v["step"].as_u64())
                    .is_some_and(|s| s <= step)
            })
            .map(|l| format!("{l}\n"))
            .collect()
    };
    fs_err::write(path, kept)?;
    Ok(fs_err::OpenOptions::new().append(true).open(path)?.into_parts().0)
}

/// `step-N` checkpoint folders under `root`, oldest first.
pub fn checkpoints(root: &Path) -> Vec<(u64, PathBuf)> {
    let mut out: Vec<(u64, PathBuf)> = fs_err::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("step-").and_then(|n| n.parse().ok()).map(|n| (n, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// Read a run's log back: its steps and evaluations.
pub fn read_log(path: &Path) -> Result<(Vec<StepRecord>, Vec<EvalRecord>)> {
    let text = fs_err::read_to_string(path)?;
    let (mut steps, mut evals) = (Vec::new(), Vec::new());
    for l in text.lines() {
        if let Ok(s) = serde_json::from_str::<StepRecord>(l) {
            steps.push(s);
        } else if let Ok(e) = serde_json::from_str::<EvalRecord>(l) {
            evals.push(e);
        }
    }
    Ok((steps, evals))
}
