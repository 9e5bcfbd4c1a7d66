//! `hfx convert MODEL OUT --to safetensors|gguf|gguf-lora`: export a model (LoRA merged,
//! re-typed or quantized) or a PEFT adapter as llama.cpp's LoRA GGUF.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{ConvertArgs, ConvertQuant, ConvertTo, FloatDtype};
use crate::context::Context;
use crate::models::export::{self, ExportOptions, Exported, FloatType, Quant, Target};
use crate::models::resolve::Purpose;
use crate::output::{BytesProgress, Printer, Render};

impl Render for Exported {
    fn human(&self, _: &Printer) -> String {
        format!("{}\n", self.path.display())
    }
}

fn float(d: FloatDtype) -> FloatType {
    match d {
        FloatDtype::F32 => FloatType::F32,
        FloatDtype::F16 => FloatType::F16,
        FloatDtype::Bf16 => FloatType::Bf16,
    }
}

fn quant(q: ConvertQuant) -> Quant {
    match q {
        ConvertQuant::Q8_0 => Quant::Q8_0,
        ConvertQuant::Q4_0 => Quant::Q4_0,
        ConvertQuant::Q4KM => Quant::Q4KM,
    }
}

pub(crate) async fn run(ctx: &Context, args: ConvertArgs) -> anyhow::Result<ExitCode> {
    if args.quant.is_some() && args.to != ConvertTo::Gguf {
        return Err(super::usage("--quant applies to `--to gguf` (safetensors holds float weights)"));
    }
    if args.to == ConvertTo::GgufLora && (args.lora.is_some() || args.quant.is_some()) {
        return Err(super::usage("--to gguf-lora converts an adapter folder; --lora and --quant do not apply"));
    }
    if args.to != ConvertTo::Safetensors && args.out.is_dir() {
        return Err(super::hinted(
            format!("`{}` is a folder; `--to gguf` and `--to gguf-lora` write one file", args.out.display()),
            "name the file to write, e.g. `model.gguf`",
        ));
    }
    let progress = BytesProgress::new(ctx.printer.progress);
    let dtype = args.dtype.map(float);
    let out = match args.to {
        ConvertTo::GgufLora => {
            let base = args.base.as_deref().unwrap_or_default();
            let base_files = super::resolve_model(ctx, base, args.gguf_file.as_deref(), Purpose::Weights).await?;
            let config = export::decoder_config(&base_files)?;
            export::lora_gguf::export(Path::new(&args.model), &config, &args.out, dtype, &progress)?
        }
        to => {
            let files = super::resolve_model(ctx, &args.model, args.gguf_file.as_deref(), Purpose::Weights).await?;
            let target = if to == ConvertTo::Gguf { Target::Gguf } else { Target::Safetensors };
            let opts = ExportOptions { dtype, quant: args.quant.map(quant), lora: args.lora.clone() };
            export::export(&files, &args.out, target, &opts, &progress)?
        }
    };
    let types: Vec<String> = out.types.iter().map(|(t, n)| format!("{n} {t}")).collect();
    let merged = if out.merged > 0 { format!(", LoRA merged into {} projections", out.merged) } else { String::new() };
    ctx.printer.info(&format!(
        "wrote {} tensors ({}), {:.1} MB{merged}",
        out.tensors,
        types.join(", "),
        out.bytes as f64 / 1e6
    ));
    ctx.printer.emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
