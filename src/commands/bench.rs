//! `hfx bench`: llama-bench-style prompt-processing and generation speed for a model.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::BenchArgs;
use crate::context::Context;
use crate::models::bench::{self, BenchResult, Spec, Test};
use crate::output::{Printer, Render, Table, human_bytes};

use crate::models::load::Loaded;

#[derive(Serialize)]
#[serde(transparent)]
struct Report {
    results: Vec<BenchResult>,
    #[serde(skip)]
    model: String,
    #[serde(skip)]
    weight_bytes: u64,
    #[serde(skip)]
    params: u64,
    #[serde(skip)]
    threads: usize,
}

impl Render for Report {
    fn human(&self, p: &Printer) -> String {
        let mut t = Table::new(["MODEL", "SIZE", "PARAMS", "THREADS", "TEST", "TOK/S", "MIN..MAX"]);
        for r in &self.results {
            let test = label(r.test, r.n_tokens, r.parallel);
            t.row([
                self.model.clone(),
                human_bytes(self.weight_bytes),
                format!("{:.2} M", self.params as f64 / 1e6),
                self.threads.to_string(),
                test,
                format!("{:.2}", r.tok_s),
                format!("{:.2}..{:.2}", r.tok_s_min, r.tok_s_max),
            ]);
        }
        t.render(p.width())
    }
}

/// `pp512`, `tg128`, and `tg128x8` for eight sequences together.
fn label(test: Test, n: usize, parallel: usize) -> String {
    match (test, parallel) {
        (Test::Pp, _) => format!("pp{n}"),
        (Test::Tg, 1) => format!("tg{n}"),
        (Test::Tg, b) => format!("tg{n}x{b}"),
    }
}

pub(crate) async fn run(ctx: &Context, args: BenchArgs) -> anyhow::Result<ExitCode> {
    let Loaded::Decoder { model, .. } = super::load_model(ctx, &args.model).await? else {
        return Err(super::usage("`hfx bench` measures decoder (text generation) models"));
    };
    let threads = std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let repetitions = args.repetitions;
    let prompts = args.n_prompt.iter().map(|&n| Spec { test: Test::Pp, n, parallel: 1, repetitions });
    let gens = args
        .n_gen
        .iter()
        .flat_map(|&n| args.parallel.iter().map(move |&b| Spec { test: Test::Tg, n, parallel: b.into(), repetitions }));
    let mut results = Vec::new();
    for spec in prompts.chain(gens).filter(|s| s.n > 0) {
        let mut done = 0;
        let label = label(spec.test, spec.n, spec.parallel);
        let mut tick = || {
            done += 1;
            if ctx.printer.verbose > 0 {
                ctx.printer.info(&format!("{label}: run {done}/{repetitions}"));
            }
        };
        results.push(bench::run(&model, spec, &mut tick)?);
    }
    let name = std::path::Path::new(&args.model.model)
        .file_name()
        .map_or_else(|| args.model.model.clone(), |f| f.to_string_lossy().into_owned());
    let report = Report {
        results,
        model: name,
        weight_bytes: model.weight_bytes() as u64,
        params: model.parameters() as u64,
        threads,
    };
    ctx.printer.emit(&report)?;
    Ok(ExitCode::SUCCESS)
}
