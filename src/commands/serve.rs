//! `hfx serve`: bind first (so /health answers 503 while the model loads), load, then serve
//! until SIGTERM or Ctrl-C, which stop new requests and let in-flight ones finish within
//! `--shutdown-timeout`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::cli::ServeArgs;
use crate::context::Context;
use crate::models::load::Loaded;
use crate::serve::{self, AppState, ServeOptions};

pub(crate) async fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let p = &ctx.printer;
    let name = args.served_model_name.clone().unwrap_or_else(|| args.model.model.clone());
    let mut loras: Vec<(String, std::path::PathBuf)> = Vec::new();
    for spec in &args.lora {
        let Some((n, dir)) = spec.split_once('=').filter(|(n, d)| !n.is_empty() && !d.is_empty()) else {
            return Err(super::usage(format!("`--lora {spec}`: expected NAME=DIR")));
        };
        if n == name || loras.iter().any(|(m, _)| m == n) {
            return Err(super::usage(format!("`--lora {spec}`: the name `{n}` is already taken")));
        }
        loras.push((n.to_string(), dir.into()));
    }
    let options = ServeOptions {
        model_name: name.clone(),
        api_key: args.api_key.clone().filter(|k| !k.is_empty()),
        cors_origins: args.cors_origin.clone(),
        max_batch_size: args.max_batch_size as usize,
        max_input_tokens: args.max_input_tokens,
        max_total_tokens: args.max_total_tokens,
        max_batch_total_tokens: args.max_batch_total_tokens,
        max_queue: args.max_queue,
        ctx: args.ctx,
        loras,
        webui: !args.no_webui,
    };
    let state = AppState::new(options);
    let addr = format!("{}:{}", args.host, args.port);
    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
        super::hinted(
            format!("cannot listen on {addr}: {e}"),
            "pick another `--port` (0 picks a free one) or stop what is listening there",
        )
    })?;
    let local = listener.local_addr()?;
    p.info(&format!("listening on http://{local} (loading {})", args.model.model));

    let stop = Arc::new(Notify::new());
    let server = {
        let stop = stop.clone();
        let app = serve::router(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(async move { stop.notified().await }).await
        })
    };
    let signals = {
        let (state, stop) = (state.clone(), stop.clone());
        tokio::spawn(async move {
            shutdown_signal().await;
            state.close();
            stop.notify_one();
        })
    };

    let started = Instant::now();
    match super::load_model(ctx, &args.model).await? {
        Loaded::Decoder { model, tok, .. } => state.set_decoder(*model, *tok)?,
        Loaded::Encoder(dir) => state.set_embedder(dir)?,
    }
    // From here Ctrl-C means "shut down gracefully", not "exit now".
    let _catch = super::CatchInterrupt::new();
    let adapters: Vec<&str> = args.lora.iter().filter_map(|l| l.split_once('=').map(|(n, _)| n)).collect();
    let with = if adapters.is_empty() { String::new() } else { format!(" with adapters {}", adapters.join(", ")) };
    p.info(&format!("ready: {name}{with} loaded in {:.1} s", started.elapsed().as_secs_f64()));
    if !args.no_webui {
        p.info(&format!("chat page: http://{local}/"));
    }

    let _ = signals.await;
    p.info(&format!("shutting down: finishing in-flight requests (at most {} s)", args.shutdown_timeout));
    match tokio::time::timeout(Duration::from_secs(args.shutdown_timeout), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return Err(e.into()),
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => p.warn("in-flight requests did not finish in time; exiting"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM (what Kubernetes and systemd send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
