//! Process bootstrap: logging, the compute thread count, Ctrl-C handling, the async runtime, and
//! turning a command's outcome into an exit code (0 ok, 1 known failure, 2 usage or internal
//! error, 130 interrupted). `commands` dispatches; this runs it.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::output::{Printer, UsageError, render_error};
use crate::settings::{Overrides, Settings};

/// Logs go to stderr, coloured only when the rest of the output is (`color`: a terminal, no
/// `NO_COLOR`, or `--color always`).
fn init_logging(verbose: u8, color: bool) {
    use tracing_subscriber::EnvFilter;
    let debug = std::env::var(crate::settings::vars::HF_DEBUG).is_ok_and(|v| crate::settings::is_truthy(&v));
    // Never trace the HTTP stack's internals globally: only hfx and reqwest's own summaries.
    let default = match (verbose, debug) {
        (0, false) => "off",
        (0, true) | (1, _) => "hfx=debug",
        _ => "hfx=trace,reqwest=debug",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(color)
        .try_init();
}

/// candle asks for its thread count on every matmul and, without `RAYON_NUM_THREADS`, works it
/// out from /proc each time (measured on SmolLM2 decode: 25 -> 36 tok/s once pinned). Pin it once,
/// to `--threads` or the CPUs available, while the process has a single thread.
fn pin_compute_threads(command: &Command) {
    let asked = match command {
        Command::Run(a) => a.model.threads,
        Command::Bench(a) => a.model.threads,
        Command::Serve(a) => a.model.threads,
        Command::Finetune(a) => a.model.threads,
        _ => None,
    };
    if asked.is_none() && std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return;
    }
    let n = asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    // SAFETY: `main` runs on the binary's only thread, before the async runtime, rayon pools or
    // anything else that could read the environment concurrently exists (see `hfx::run`).
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
}

/// While non-zero, Ctrl-C sets `INTERRUPTED` instead of ending the process (the chat stops the
/// current answer, not the session).
static CATCHING: AtomicUsize = AtomicUsize::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C is caught while this lives.
pub(crate) struct CatchInterrupt;

impl CatchInterrupt {
    pub(crate) fn new() -> Self {
        CATCHING.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for CatchInterrupt {
    fn drop(&mut self) {
        CATCHING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The flag Ctrl-C sets while caught (long jobs poll it between steps).
pub(crate) fn interrupt_flag() -> &'static AtomicBool {
    &INTERRUPTED
}

/// Whether Ctrl-C was pressed since the last call.
pub(crate) fn take_interrupt() -> bool {
    INTERRUPTED.swap(false, Ordering::SeqCst)
}

/// Run a parsed command line to completion.
pub fn main(cli: Cli) -> ExitCode {
    pin_compute_threads(&cli.command);
    let g = cli.global.clone();
    let overrides = Overrides {
        endpoint: g.endpoint.clone(),
        token: g.token.clone(),
        cache_dir: g.cache_dir.clone(),
        offline: g.offline,
    };
    let settings = Settings::from_env(&overrides);
    let printer = Printer::new(g.effective_format(), g.quiet, g.verbose, g.color, settings.disable_progress_bars);
    init_logging(g.verbose, printer.color);
    tracing::debug!(
        "hfx {} | endpoint {} | cache {} | offline {} | token {}",
        env!("CARGO_PKG_VERSION"),
        settings.endpoint,
        settings.hub_cache.display(),
        settings.offline,
        settings.token_source.map_or("none".to_string(), |s| format!("from {s:?}")),
    );
    let ctx = Context { settings, printer, global: g };

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            render_error(&anyhow::Error::new(e).context("cannot start the async runtime"), ctx.printer.color, 0);
            return ExitCode::from(2);
        }
    };
    runtime.spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            if CATCHING.load(Ordering::SeqCst) > 0 {
                INTERRUPTED.store(true, Ordering::SeqCst);
                continue;
            }
            // Partial downloads are persisted as they go, so stopping here loses nothing.
            let _ = console::Term::stderr().show_cursor();
            std::process::exit(130);
        }
    });
    let result = runtime.block_on(crate::commands::dispatch(cli.command, &ctx));
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            render_error(&err, ctx.printer.color, ctx.printer.quiet);
            if err.downcast_ref::<UsageError>().is_some() { ExitCode::from(2) } else { ExitCode::from(1) }
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
