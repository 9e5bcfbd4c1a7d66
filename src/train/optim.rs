//! Optimizers, learning-rate schedules and gradient clipping, with torch's arithmetic (so a run
//! follows the loss curve transformers + PEFT produce from the same start).

use serde::{Deserialize, Serialize};

use super::model::LoraSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    AdamW,
    Sgd,
}

/// AdamW (torch's `AdamW`, decoupled weight decay) or plain SGD, with their state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Optimizer {
    pub kind: OptimizerKind,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    /// Updates taken so far.
    pub steps: u64,
    /// First and second moments per parameter (AdamW only).
    pub m: Vec<Vec<f32>>,
    pub v: Vec<Vec<f32>>,
}

impl Optimizer {
    pub fn new(kind: OptimizerKind, weight_decay: f64) -> Self {
        Self { kind, betas: (0.9, 0.999), eps: 1e-8, weight_decay, steps: 0, m: Vec::new(), v: Vec::new() }
    }

    /// One update of every parameter from its `grad`, at learning rate `lr`.
    pub fn step(&mut self, set: &mut LoraSet, lr: f64) {
        self.steps += 1;
        let params: Vec<_> = set.params_mut().collect();
        if self.m.len() != params.len() {
            self.m = params.iter().map(|p| vec![0.0; p.value.len()]).collect();
            self.v = self.m.clone();
        }
        let (b1, b2) = self.betas;
        let t = self.steps as i32;
        let bc1 = 1.0 - b1.powi(t);
        let bc2_sqrt = (1.0 - b2.powi(t)).sqrt();
        for ((p, m), v) in params.into_iter().zip(&mut self.m).zip(&mut self.v) {
            match self.kind {
                OptimizerKind::AdamW => {
                    let decay = (1.0 - lr * self.weight_decay) as f32;
                    let step_size = (lr / bc1) as f32;
                    let (b1f, b2f, eps) = ((1.0 - b1) as f32, b2 as f32, self.eps as f32);
                    let c2 = (1.0 - b2) as f32;
                    let bc2 = bc2_sqrt as f32;
                    for (((x, g), m), v) in p.value.iter_mut().zip(&p.grad).zip(m.iter_mut()).zip(v.iter_mut()) {
                        if self.weight_decay != 0.0 {
                            *x *= decay;
                        }
                        *m += (g - *m) * b1f;
                        *v = *v * b2f + c2 * g * g;
                        let denom = v.sqrt() / bc2 + eps;
                        *x -= step_size * *m / denom;
                    }
                }
                OptimizerKind::Sgd => {
                    let (lr, wd) = (lr as f32, self.weight_decay as f32);
                    for (x, g) in p.value.iter_mut().zip(&p.grad) {
                        *x -= lr * (g + wd * *x);
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    Linear,
    Cosine,
    Constant,
}

/// The learning rate of update `step` (0-based) of `total`, as transformers' schedulers give
/// it: a linear warmup over `warmup` updates, then linear decay to 0, a half cosine, or flat.
pub fn learning_rate(schedule: Schedule, base: f64, step: u64, total: u64, warmup: u64) -> f64 {
    if step < warmup {
        return base * step as f64 / warmup.max(1) as f64;
    }
    let rest = total.saturating_sub(warmup).max(1) as f64;
    let progress = (step - warmup) as f64 / rest;
    match schedule {
        Schedule::Constant => base,
        Schedule::Linear => base * (1.0 - progress).max(0.0),
        Schedule::Cosine => base * 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos()),
    }
}

/// Scale the gradients so their global L2 norm is at most `max_norm` (torch's
/// `clip_grad_norm_`); returns the norm before clipping.
pub fn clip_grad_norm(set: &mut LoraSet, max_norm: f64) -> f64 {
    let norm = set.grad_norm();
    if max_norm > 0.0 {
        let coef = (max_norm / (norm + 1e-6)).min(1.0) as f32;
        if coef < 1.0 {
            for p in set.params_mut() {
                p.grad.iter_mut().for_each(|g| *g *= coef);
            }
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_transformers() {
        assert_eq!(learning_rate(Schedule::Linear, 1.0, 0, 10, 0), 1.0);
        assert!((learning_rate(Schedule::Linear, 1.0, 5, 10, 0) - 0.5).abs() < 1e-12);
        assert_eq!(learning_rate(Schedule::Linear, 1.0, 1, 10, 2), 0.5);
        assert!((learning_rate(Schedule::Cosine, 1.0, 6, 10, 2) - 0.5).abs() < 1e-12);
        assert_eq!(learning_rate(Schedule::Constant, 2e-4, 9, 10, 0), 2e-4);
    }
}
