//! `hfx serve`'s room: an OpenAI- and TGI-compatible HTTP server over the scheduler in `engine`.
//! The router is built around an `AppState` that gets its model once loaded (`/health` says 503
//! until then), so the listener is up and probes answer while the weights load. Knows nothing of
//! clap or terminals; `commands::serve` binds, loads and prints.

mod embed;
pub mod engine;
pub mod error;
pub mod metrics;
mod openai;
mod sse;
mod text;
mod tgi;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use engine::{Engine, EngineOptions};
pub use error::{ApiError, ApiResult, Flavor};
pub use metrics::Metrics;
pub use text::TextModel;

use crate::models::decoder::Decoder;
use crate::models::tokenizer::LoadedTokenizer;

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 8 << 20;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The name clients send as `model`.
    pub model_name: String,
    pub api_key: Option<String>,
    pub cors_origins: Vec<String>,
    pub max_batch_size: usize,
    pub max_input_tokens: Option<usize>,
    pub max_total_tokens: Option<usize>,
    pub max_batch_total_tokens: Option<usize>,
    pub max_queue: usize,
    pub ctx: Option<usize>,
    /// LoRA adapters by the name requests choose them with (`model` or TGI's `adapter_id`).
    pub loras: Vec<(String, PathBuf)>,
}

/// What the server answers with once loaded.
pub enum Backend {
    Text(Box<TextModel>),
    Embed(embed::EmbedModel),
}

pub struct AppState {
    pub options: ServeOptions,
    pub metrics: Arc<Metrics>,
    backend: OnceLock<Backend>,
    closing: AtomicBool,
    /// Unix time the server started (`created` in /v1/models).
    created: u64,
}

impl AppState {
    pub fn new(options: ServeOptions) -> Arc<Self> {
        let created = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Arc::new(Self {
            options,
            metrics: Arc::new(Metrics::default()),
            backend: OnceLock::new(),
            closing: AtomicBool::new(false),
            created,
        })
    }

    /// Serve a decoder: starts the scheduler thread.
    pub fn set_decoder(&self, model: Decoder, tok: LoadedTokenizer) -> crate::models::error::Result<()> {
        let text = TextModel::start(model, tok, &self.options, self.metrics.clone())?;
        let _ = self.backend.set(Backend::Text(Box::new(text)));
        Ok(())
    }

    /// Serve an embedding model (a sentence-transformers folder).
    pub fn set_embedder(&self, dir: PathBuf) -> crate::models::error::Result<()> {
        let m = embed::EmbedModel::start(&dir)?;
        let _ = self.backend.set(Backend::Embed(m));
        Ok(())
    }

    /// Stop taking requests (503 with Retry-After); in-flight ones finish.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        if let Some(Backend::Text(t)) = self.backend.get() {
            t.engine.close();
        }
    }

    pub fn is_ready(&self) -> bool {
        self.backend.get().is_some() && !self.closing.load(Ordering::SeqCst)
    }

    fn backend(&self, flavor: Flavor) -> ApiResult<&Backend> {
        if self.closing.load(Ordering::SeqCst) {
            return Err(ApiError::unavailable("the server is shutting down").flavor(flavor));
        }
        self.backend.get().ok_or_else(|| ApiError::unavailable("the model is still loading").flavor(flavor))
    }

    /// The text-generation model, or a 400 when this server embeds.
    fn text(&self, flavor: Flavor) -> ApiResult<&TextModel> {
        match self.backend(flavor)? {
            Backend::Text(t) => Ok(t),
            Backend::Embed(_) => Err(ApiError::bad_request(format!(
                "`{}` is an embedding model: it answers /v1/embeddings, not text generation",
                self.options.model_name
            ))
            .flavor(flavor)),
        }
    }

    /// The names requests may use: the base model's, then each adapter's.
    fn model_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.options.model_name.as_str()).chain(self.options.loras.iter().map(|(n, _)| n.as_str()))
    }

    /// `model` as a request names it: absent, empty or the served name (the base model), or an
    /// adapter's name (its slot).
    fn check_model(&self, model: Option<&str>) -> ApiResult<Option<usize>> {
        match model {
            None | Some("") => Ok(None),
            Some(m) if m == self.options.model_name => Ok(None),
            Some(m) => match self.options.loras.iter().position(|(n, _)| n == m) {
                Some(i) => Ok(Some(i)),
                None => Err(ApiError {
                    param: Some("model".into()),
                    ..ApiError::new(
                        StatusCode::NOT_FOUND,
                        format!(
                            "model `{m}` is not served here; GET /v1/models lists {}",
                            self.model_names().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                        ),
                    )
                }
                .code("model_not_found")),
            },
        }
    }
}

pub type Shared = Arc<AppState>;

/// Every route, with API-key, CORS, body-limit and metrics layers.
pub fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/v1/chat/completions", post(openai::chat))
        .route("/v1/completions", post(openai::completions))
        .route("/v1/embeddings", post(embed::openai_embeddings))
        .route("/v1/models", get(openai::models))
        .route("/v1/models/{*id}", get(openai::model))
        .route("/generate", post(tgi::generate))
        .route("/generate_stream", post(tgi::generate_stream))
        .route("/info", get(tgi::info))
        .route("/tokenize", post(tgi::tokenize))
        .route("/metrics", get(metrics_route))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key));
    let mut app = Router::new()
        .route("/health", get(health))
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), count))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    if !state.options.cors_origins.is_empty() {
        app = app.layer(cors(&state.options.cors_origins));
    }
    app.with_state(state)
}

fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, Any, CorsLayer};
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    if origins.iter().any(|o| o == "*") {
        return layer.allow_origin(Any);
    }
    layer.allow_origin(AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok())))
}

async fn health(State(st): State<Shared>) -> Response {
    if st.is_ready() {
        (StatusCode::OK, axum::Json(serde_json::json!({"status": "ok"}))).into_response()
    } else {
        ApiError::unavailable(if st.closing.load(Ordering::SeqCst) { "shutting down" } else { "loading" })
            .into_response()
    }
}

async fn metrics_route(State(st): State<Shared>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], st.metrics.render()).into_response()
}

async fn not_found(req: Request) -> Response {
    let flavor = if req.uri().path().starts_with("/v1/") { Flavor::OpenAi } else { Flavor::Tgi };
    ApiError::new(StatusCode::NOT_FOUND, format!("no route {} {}", req.method(), req.uri().path()))
        .flavor(flavor)
        .into_response()
}

/// `Authorization: Bearer KEY` when the server has a key.
async fn require_key(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if let Some(key) = &st.options.api_key {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if given != Some(key.as_str()) {
            let flavor = if req.uri().path().starts_with("/v1/") { Flavor::OpenAi } else { Flavor::Tgi };
            let what = if given.is_some() { "the API key is not valid" } else { "an API key is required" };
            return ApiError::new(StatusCode::UNAUTHORIZED, format!("{what} (send `Authorization: Bearer KEY`)"))
                .flavor(flavor)
                .into_response();
        }
    }
    next.run(req).await
}

/// Responses by route and status for /metrics.
async fn count(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "other".to_string(), |p| p.as_str().to_string());
    let res = next.run(req).await;
    st.metrics.record_request(&route, res.status().as_u16());
    res
}

/// A body extractor result as an API error (413 over the limit).
fn body(
    b: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    flavor: Flavor,
) -> ApiResult<axum::body::Bytes> {
    b.map_err(|e| ApiError::new(e.status(), format!("cannot read the request body: {}", e.body_text())).flavor(flavor))
}
