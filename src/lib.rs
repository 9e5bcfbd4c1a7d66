//! hfx: one command-line tool for the Hugging Face ecosystem.
//!
//! Layout (see `CONTRIBUTING` notes in README): `cli` holds clap definitions only, `commands`
//! has one file per subcommand, domain modules (`cache`, `hub`) know nothing of terminals and
//! report progress through traits that `output` implements. Only `output` prints.

pub mod app;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod context;
pub mod data;
pub mod hub;
pub mod models;
pub mod output;
pub mod positioned;
pub mod pyjson;
pub mod report;
pub mod serve;
pub mod settings;
pub mod train;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// Parse `args`, run the command and turn the outcome into a process exit code:
/// 0 success, 1 known failure, 2 usage or internal error, 130 interrupted.
/// Call it from the main thread before starting other threads: it sets `RAYON_NUM_THREADS`.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // clap renders help/version to stdout and usage errors to stderr itself.
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    app::main(cli)
}
