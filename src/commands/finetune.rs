//! `hfx finetune MODEL --lora --data SOURCE --output DIR`: LoRA training that writes a PEFT
//! adapter folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cache::{ModelRef, RepoType};
use crate::cli::FinetuneArgs;
use crate::context::Context;
use crate::data::format::{self, Row};
use crate::data::{Dataset, Location};
use crate::models::load::Loaded;
use crate::output::{Printer, Render, TrainBar};
use crate::train::Precision;
use crate::train::adapter::{self, LoraShape, Provenance};
use crate::train::card::{CardInput, model_card};
use crate::train::model::Module;
use crate::train::optim::{OptimizerKind, Schedule};
use crate::train::records::{Columns, DataReport, Encoder, Example, encode_all};
use crate::train::run::{self, Run, Summary, TrainOptions, TrainProgress};
use crate::train::{TrainError, run::CHECKPOINTS};

/// Files a run writes into its output folder (what `--overwrite` replaces).
const OUTPUTS: &[&str] = &[
    "adapter_config.json",
    "adapter_model.safetensors",
    "README.md",
    "training_args.json",
    run::LOG,
    "loss.png",
    CHECKPOINTS,
];

#[derive(Serialize)]
struct Finished<'a> {
    output: &'a Path,
    #[serde(flatten)]
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pushed: Option<String>,
}

impl Render for Finished<'_> {
    fn human(&self, _: &Printer) -> String {
        let s = self.summary;
        let f = |v: Option<f64>| v.map_or_else(|| "-".into(), |x| format!("{x:.4}"));
        let mut out = format!(
            "adapter:    {}\nsteps:      {}\nloss:       {} -> {}\n",
            self.output.display(),
            s.steps,
            f(s.first_loss),
            f(s.final_loss)
        );
        if s.final_eval_loss.is_some() {
            out += &format!("eval loss:  {}\n", f(s.final_eval_loss));
        }
        out += &format!("speed:      {:.0} tokens/s over {:.1} s\n", s.tokens_per_s, s.seconds);
        if let Some(p) = &self.pushed {
            out += &format!("pushed:     {p}\n");
        }
        out
    }
}

fn targets(list: &[String]) -> anyhow::Result<Vec<Module>> {
    if list.iter().any(|t| t == "all-linear") {
        return Ok(Module::ALL.to_vec());
    }
    let mut out = Vec::new();
    for t in list {
        let m = Module::parse(t.trim()).ok_or_else(|| {
            let names: Vec<&str> = Module::ALL.iter().map(|m| m.name()).collect();
            super::usage(format!("unknown target module `{t}` (one of {}, or all-linear)", names.join(", ")))
        })?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Check that `dir` can take a run: new, replaced (`--overwrite`) or continued (`--resume`);
/// with `apply`, clear what a replaced run wrote and create it. Checked before the model and
/// data load, applied once they have: a run that fails early leaves an existing folder as it was.
fn prepare_output(dir: &Path, overwrite: bool, resume: bool, apply: bool) -> anyhow::Result<()> {
    let occupied = dir.exists() && (dir.is_file() || fs_err::read_dir(dir).map(|mut d| d.next().is_some())?);
    if resume {
        if run::checkpoints(&dir.join(CHECKPOINTS)).is_empty() {
            return Err(TrainError::NoCheckpoint { path: dir.to_path_buf() }.into());
        }
        return Ok(());
    }
    if occupied && !overwrite {
        return Err(TrainError::OutputExists { path: dir.to_path_buf() }.into());
    }
    if !apply {
        return Ok(());
    }
    for name in OUTPUTS {
        let p = dir.join(name);
        if p.is_dir() {
            fs_err::remove_dir_all(&p)?;
        } else if p.exists() {
            fs_err::remove_file(&p)?;
        }
    }
    fs_err::create_dir_all(dir)?;
    Ok(())
}

/// Rows of a data source, its display name and, for a Hub dataset, its repo id.
async fn read_rows(ctx: &Context, source: &str) -> anyhow::Result<(Vec<Row>, String, Option<String>)> {
    let local = PathBuf::from(source);
    if local.is_file() {
        let kind = format::kind_of(&local)?;
        let rows = format::rows(&local, kind, &[], None)?.collect::<Result<Vec<_>, _>>()?;
        return Ok((rows, local.display().to_string(), None));
    }
    // `org/name[:config][@rev]`, or a local dataset folder.
    let (spec, config) = match source.split_once(':') {
        Some((s, rest)) if !local.exists() => {
            let (c, rev) = rest.split_once('@').map_or((rest, None), |(c, r)| (c, Some(r)));
            (rev.map_or_else(|| s.to_string(), |r| format!("{s}@{r}")), Some(c.to_string()))
        }
        _ => (source.to_string(), None),
    };
    let client = ctx.client()?;
    let cache = ctx.cache();
    let progress = crate::output::DownloadProgress::new(ctx.printer.progress, ctx.printer.quiet > 0);
    let downloader = crate::hub::download::Downloader::new(&client, &cache, ctx.download_options(8, false), &progress);
    let (location, id) = match ModelRef::parse(&spec, RepoType::Dataset)? {
        ModelRef::Local(p) => (Location::Local(p), None),
        ModelRef::Hub { repo, revision, .. } => {
            let id = repo.id.clone();
            (Location::Hub { repo, revision: revision.unwrap_or_else(|| "main".into()) }, Some(id))
        }
    };
    let ds = Dataset::discover(location, &downloader).await?;
    let (_, split) = ds.split(config.as_deref(), Some("train"))?;
    let files: Vec<_> = split.files.iter().collect();
    let root = ds.fetch(&files, &downloader).await?;
    let mut rows = Vec::new();
    for f in &split.files {
        let path = root.join(&f.path);
        rows.extend(format::rows(&path, format::kind_of(&path)?, &[], None)?.collect::<Result<Vec<_>, _>>()?);
    }
    Ok((rows, source.to_string(), id))
}

fn describe(p: &Printer, what: &str, r: &DataReport) {
    let shape = r.shape.and_then(|s| serde_json::to_value(s).ok()).and_then(|v| v.as_str().map(str::to_string));
    p.info(&format!(
        "{what}: {} record(s) of shape `{}`, {} used, {} tokens ({} labelled)",
        r.records,
        shape.unwrap_or_default(),
        r.used,
        r.tokens,
        r.labelled_tokens
    ));
    if r.skipped > 0 {
        p.warn(&format!("{} record(s) skipped; the first: {}", r.skipped, r.first_skipped.clone().unwrap_or_default()));
    }
    if r.truncated > 0 {
        p.warn(&format!("{} record(s) truncated to --max-seq-len", r.truncated));
    }
    if r.dropped_long > 0 {
        p.warn(&format!("{} record(s) longer than --max-seq-len dropped", r.dropped_long));
    }
    if r.no_labels > 0 {
        p.warn(&format!("{} record(s) left with no labelled token", r.no_labels));
    }
}

fn fingerprint(model: &str, params: usize, shape: &LoraShape, opts: &TrainOptions, train: &[Example]) -> String {
    let mut h = Sha256::new();
    let mut o = serde_json::to_value(opts).unwrap_or_default();
    // What may change between an interrupted run and its resumption.
    for k in ["epochs", "max_steps", "eval_every", "save_every", "gradient_checkpointing", "logits_chunk"] {
        if let Some(m) = o.as_object_mut() {
            m.remove(k);
        }
    }
    let targets: Vec<&str> = shape.targets.iter().map(|m| m.name()).collect();
    h.update(format!(
        "{model}|{params}|{}|{}|{}|{targets:?}|{}|{o}",
        shape.rank, shape.alpha, shape.dropout, shape.rslora
    ));
    for ex in train {
        for id in &ex.ids {
            h.update(id.to_le_bytes());
        }
        h.update(ex.labels.iter().map(|l| u8::from(*l)).collect::<Vec<_>>());
    }
    hex::encode(h.finalize())
}

pub(crate) async fn run(ctx: &Context, a: FinetuneArgs) -> anyhow::Result<ExitCode> {
    if !a.lora {
        return Err(super::hinted(
            "full fine-tuning is not supported",
            "pass --lora to train a LoRA adapter (on a GGUF model, QLoRA on its quantized weights)",
        ));
    }
    if !(0.0..1.0).contains(&a.dropout) {
        return Err(super::usage(format!("--dropout must be in [0, 1), not {}", a.dropout)));
    }
    if !(0.0..1.0).contains(&a.eval_split) {
        return Err(super::usage(format!("--eval-split must be in [0, 1), not {}", a.eval_split)));
    }
    if a.epochs <= 0.0 && a.max_steps.is_none() {
        return Err(super::usage("--epochs must be positive (or give --max-steps)"));
    }
    let target_list = targets(&a.target_modules)?;
    prepare_output(&a.output, a.overwrite, a.resume, false)?;
    let p = &ctx.printer;

    let (mut model, tok) = match super::load_model(ctx, &a.model).await? {
        Loaded::Decoder { model, tok, .. } => (model, tok),
        Loaded::Encoder(dir) => {
            return Err(super::hinted(
                format!("{} is an embedding (encoder) model; finetune trains decoders", dir.display()),
                "pick a text-generation model (llama, mistral, qwen2/3, gemma, phi3 family)",
            ));
        }
    };
    if model.config.arch == crate::models::decoder::Arch::Phi3 {
        // hfx splits Phi-3's fused projections at load; PEFT names its adapters after the fused
        // `qkv_proj`/`gate_up_proj`, with one A shared by q, k and v, which these adapters are not.
        return Err(super::hinted(
            "fine-tuning Phi-3 models is not supported yet (PEFT adapts its fused qkv_proj/gate_up_proj)",
            "train a llama, mistral, qwen2/3 or gemma model; `hfx run --lora` does load Phi-3 adapters",
        ));
    }
    let eos = crate::models::session::eos_ids(&model, &tok);
    let eos = tok
        .specials
        .eos
        .as_deref()
        .and_then(|e| tok.tokenizer.token_to_id(e))
        .or_else(|| eos.first().copied())
        .ok_or_else(|| {
        super::hinted("the model names no end-of-sequence token", "use a model with an EOS token")
    })?;
    let columns = Columns {
        messages: a.messages_column.clone(),
        prompt: a.prompt_column.clone(),
        completion: a.completion_column.clone(),
        text: a.text_column.clone(),
    };
    let enc = Encoder::new(&tok, eos, columns)?;
    let max_len = a.max_seq_len as usize;
    let (rows, name, dataset_id) = read_rows(ctx, &a.data).await?;
    let (mut train, report) = encode_all(&enc, rows.into_iter().map(Ok), &name, max_len, a.drop_long)?;
    describe(p, "train", &report);
    let mut eval = Vec::new();
    if let Some(src) = &a.eval_data {
        let (rows, name, _) = read_rows(ctx, src).await?;
        let (e, report) = encode_all(&enc, rows.into_iter().map(Ok), &name, max_len, a.drop_long)?;
        describe(p, "eval", &report);
        eval = e;
    } else if a.eval_split > 0.0 {
        use rand::{SeedableRng, seq::SliceRandom};
        let n = (train.len() as f64 * a.eval_split).floor() as usize;
        if n == 0 || n == train.len() {
            p.warn(&format!(
                "--eval-split {} of {} record(s) leaves no eval or no train set",
                a.eval_split,
                train.len()
            ));
        } else {
            train.shuffle(&mut rand::rngs::StdRng::seed_from_u64(a.seed));
            eval = train.split_off(train.len() - n);
            p.info(&format!("eval: {n} record(s) held out of the training data"));
        }
    }

    // clap allows only the three names.
    let precision = Precision::parse(&a.matmul_precision).unwrap_or_default();
    // About 64 MiB of logits at a time (they become their gradient in place), 256 rows at
    // most; in bf16 192 MiB and 1024 rows, as the vocabulary's weight is converted once per
    // chunk and longer products keep the tiles busier (SmolLM2: 142 MB more peak).
    let (logits_bytes, logits_rows) = if precision.in_bf16() { (192 << 20, 1024) } else { (64 << 20, 256) };
    let opts = TrainOptions {
        epochs: a.epochs,
        max_steps: a.max_steps,
        batch_size: a.batch_size as usize,
        grad_accum: a.grad_accum as usize,
        lr: a.lr,
        optimizer: if a.optimizer == "sgd" { OptimizerKind::Sgd } else { OptimizerKind::AdamW },
        weight_decay: a.weight_decay,
        schedule: match a.scheduler.as_str() {
            "cosine" => Schedule::Cosine,
            "constant" => Schedule::Constant,
            _ => Schedule::Linear,
        },
        warmup_steps: a.warmup_steps,
        warmup_ratio: a.warmup_ratio,
        max_grad_norm: a.max_grad_norm,
        max_seq_len: max_len,
        packing: a.packing,
        eval_every: a.eval_every,
        save_every: a.save_every,
        seed: a.seed,
        logits_chunk: (logits_bytes / (4 * model.config.vocab_size.max(1))).clamp(16, logits_rows),
        gradient_checkpointing: a.gradient_checkpointing,
        precision,
    };
    p.info(&format!("matmul precision: {} ({})", opts.precision.name(), opts.precision.how()));
    let dropout = a.dropout as f32;
    let (lora, shape) = match &a.adapter {
        Some(dir) => {
            let (set, shape) = adapter::load(&mut model, dir, dropout)?;
            p.info(&format!(
                "starting from {} (r={}, alpha={}, {} projections)",
                dir.display(),
                shape.rank,
                shape.alpha,
                set.adapters.len()
            ));
            (set, shape)
        }
        None => {
            let shape =
                LoraShape { rank: a.rank as usize, alpha: a.alpha, dropout, targets: target_list, rslora: a.rslora };
            (adapter::init(&model, &shape, a.seed)?, shape)
        }
    };
    let (base, revision) = match ModelRef::parse(&a.model.model, RepoType::Model) {
        Ok(ModelRef::Hub { repo, revision, .. }) => (repo.id, revision),
        _ => (a.model.model.clone(), None),
    };
    let provenance = Provenance { base_model: base.clone(), revision };
    let fp = fingerprint(&a.model.model, model.parameters(), &shape, &opts, &train);
    let args_json = serde_json::json!({
        "model": a.model.model,
        "data": a.data,
        "eval_data": a.eval_data,
        "eval_split": a.eval_split,
        "lora": adapter::config_json(&shape, &provenance),
        "training": opts,
        "hfx_version": env!("CARGO_PKG_VERSION"),
    });
    prepare_output(&a.output, a.overwrite, a.resume, true)?;
    adapter::write_atomic(&a.output.join("training_args.json"), &serde_json::to_vec_pretty(&args_json)?)?;
    let (train_records, eval_records) = (train.len(), eval.len());
    let mut job = Run {
        model: &mut model,
        lora,
        shape: shape.clone(),
        train,
        eval,
        opts: opts.clone(),
        provenance,
        output: a.output.clone(),
        resume: a.resume,
        fingerprint: fp,
    };
    let bar = TrainBar::new(p.progress, p.quiet > 0);
    let _catch = super::CatchInterrupt::new();
    let outcome = job.train(&bar, super::interrupt_flag());
    bar.finish();
    let summary = match outcome {
        Ok(s) => s,
        Err(TrainError::Interrupted) => {
            let last = run::checkpoints(&a.output.join(CHECKPOINTS)).pop().map(|(_, d)| d);
            p.warn(&format!(
                "interrupted: checkpoint saved in {}; continue with the same command and --resume",
                last.map_or_else(|| a.output.display().to_string(), |d| d.display().to_string())
            ));
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(e.into()),
    };
    let dir_name = a.output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "adapter".into());
    let card = model_card(&CardInput {
        base_model: &base,
        name: &dir_name,
        dataset: dataset_id.as_deref(),
        shape: &shape,
        opts: &opts,
        summary: &summary,
        train_records,
        eval_records,
    });
    adapter::write_atomic(&a.output.join("README.md"), card.as_bytes())?;
    let (steps, evals) = run::read_log(&a.output.join(run::LOG))?;
    if !crate::train::plot::loss_chart(&steps, &evals, &a.output.join("loss.png"))? {
        p.warn("no system font found (set HFX_FONT to a .ttf file): loss.png has no labels");
    }
    let pushed = match &a.push {
        Some(repo) => Some(push(ctx, repo, &a.output, a.private).await?),
        None => None,
    };
    p.emit(&Finished { output: &a.output, summary: &summary, pushed })?;
    Ok(ExitCode::SUCCESS)
}

/// Upload the adapter folder (not its checkpoints) to a model repo.
async fn push(ctx: &Context, repo: &str, dir: &Path, private: bool) -> anyhow::Result<String> {
    use crate::hub::upload::{UploadOptions, UploadRequest, Uploader};
    let (repo_id, rev, path) = super::hub_repo(repo, None)?;
    if path.is_some() {
        return Err(super::usage("--push takes a repository id, not a file inside it"));
    }
    let req = UploadRequest {
        repo: repo_id,
        revision: rev.unwrap_or_else(|| "main".into()),
        local: dir.to_path_buf(),
        path_in_repo: None,
        include: Vec::new(),
        exclude: vec![format!("{CHECKPOINTS}/**")],
        delete: Vec::new(),
        commit_message: Some("Upload LoRA adapter trained with hfx finetune".into()),
        commit_description: None,
        create_pr: false,
        private,
    };
    let client = ctx.client()?;
    let progress = crate::output::UploadProgress::new(ctx.printer.progress, ctx.printer.quiet > 0);
    let opts =
        UploadOptions { xet: crate::hub::xet::AVAILABLE && !ctx.settings.disable_xet, ..UploadOptions::default() };
    let outcome = Uploader::new(&client, opts, &progress).upload(&req).await?;
    Ok(outcome.commit_url.unwrap_or(outcome.repo_id))
}
