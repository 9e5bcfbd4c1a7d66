//! `hfx completions <shell>` and the hidden `hfx man --dir DIR`, both generated from the clap
//! definition (the committed copies in `completions/` and `man/` are checked by a test).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs, Shell};
use crate::context::Context;

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    let name = "hfx";
    match shell {
        Shell::Bash => clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, name, &mut buf),
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, name, &mut buf),
        Shell::Fish => clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, name, &mut buf),
        Shell::Powershell => clap_complete::generate(clap_complete::Shell::PowerShell, &mut cmd, name, &mut buf),
        Shell::Elvish => clap_complete::generate(clap_complete::Shell::Elvish, &mut cmd, name, &mut buf),
    }
    buf
}

/// File names used in `completions/`.
pub const COMPLETION_FILES: [(Shell, &str); 5] = [
    (Shell::Bash, "hfx.bash"),
    (Shell::Zsh, "_hfx"),
    (Shell::Fish, "hfx.fish"),
    (Shell::Powershell, "_hfx.ps1"),
    (Shell::Elvish, "hfx.elv"),
];

/// Every man page as (file name, roff text): `hfx.1` and one `hfx-<sub>[-<subsub>].1` each.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: &clap::Command, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        let name = if prefix.is_empty() { cmd.get_name().to_string() } else { format!("{prefix}-{}", cmd.get_name()) };
        let mut buf = Vec::new();
        let page = cmd.clone().name(name.clone()).display_name(name.replace('-', " "));
        clap_mangen::Man::new(page).render(&mut buf)?;
        out.push((format!("{name}.1"), buf));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            walk(sub, &name, out)?;
        }
        Ok(())
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, "", &mut out)?;
    Ok(out)
}

pub(crate) fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    out.write_all(&completion_script(args.shell))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn man(ctx: &Context, args: ManArgs) -> anyhow::Result<ExitCode> {
    write_man(&args.dir)?;
    ctx.printer.data_line(&args.dir.display().to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn write_man(dir: &Path) -> anyhow::Result<()> {
    fs_err::create_dir_all(dir)?;
    for (name, text) in man_pages()? {
        crate::cache::atomic_write(&dir.join(name), &text)?;
    }
    Ok(())
}
