//! `hfx convert GGUF --to safetensors OUT_DIR`: a GGUF llama model as a Hugging Face folder.

use std::process::ExitCode;

use crate::cli::ConvertArgs;
use crate::context::Context;
use crate::models::convert::{Converted, OutDtype, gguf_to_safetensors};
use crate::output::{Printer, Render};

impl Render for Converted {
    fn human(&self, _: &Printer) -> String {
        format!("{}\n", self.dir.display())
    }
}

pub(crate) fn run(ctx: &Context, args: &ConvertArgs) -> anyhow::Result<ExitCode> {
    let dtype = if args.dtype == "bf16" { OutDtype::Bf16 } else { OutDtype::F32 };
    let out = gguf_to_safetensors(&args.gguf, &args.out_dir, dtype)?;
    ctx.printer.info(&format!("wrote {} tensors and {} files", out.tensors, out.files.len()));
    ctx.printer.emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
