//! `hfx finetune`'s progress: a bar with step, loss, learning rate, tokens/s and ETA on a
//! terminal; one line per step on stderr otherwise (CI logs), none with `-q`.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::train::run::{EvalRecord, Plan, StepRecord, TrainProgress};

pub struct TrainBar {
    bar: Mutex<Option<ProgressBar>>,
    draw: bool,
    lines: bool,
}

impl TrainBar {
    pub fn new(progress: bool, quiet: bool) -> Self {
        Self { bar: Mutex::new(None), draw: progress, lines: !progress && !quiet }
    }

    fn say(&self, line: String) {
        match self.bar.lock().ok().and_then(|b| b.clone()) {
            Some(b) => b.println(line),
            None if self.lines || self.draw => {
                let _ = writeln!(std::io::stderr(), "{line}");
            }
            None => {}
        }
    }
}

impl TrainProgress for TrainBar {
    fn start(&self, plan: &Plan) {
        if !self.draw {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(plan.total_steps), ProgressDrawTarget::stderr_with_hz(4));
        bar.set_style(
            ProgressStyle::with_template("{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} {msg} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("━╸ "),
        );
        bar.set_prefix("training");
        bar.set_position(plan.start_step);
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }

    fn step(&self, r: &StepRecord, total: u64) {
        let text = format!("loss {:.4} lr {:.2e} grad {:.3} {:.0} tok/s", r.loss, r.lr, r.grad_norm, r.tokens_per_s);
        if let Some(b) = self.bar.lock().ok().and_then(|b| b.clone()) {
            b.set_position(r.step);
            b.set_message(text);
        } else if self.lines {
            let _ = writeln!(std::io::stderr(), "step {}/{total} epoch {:.2} {text}", r.step, r.epoch);
        }
    }

    fn eval(&self, r: &EvalRecord) {
        self.say(format!("eval at step {}: loss {:.4}, perplexity {:.3}", r.step, r.eval_loss, r.eval_perplexity));
    }

    fn checkpoint(&self, step: u64, dir: &Path) {
        self.say(format!("checkpoint at step {step}: {}", dir.display()));
    }

    fn finish(&self) {
        if let Some(b) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            b.finish_and_clear();
        }
    }
}
