//! `hfx serve`'s room: an OpenAI- and TGI-compatible HTTP server over the scheduler in `engine`.
//! The router is built around an `AppState` that gets its model once loaded (`/health` says 503
//! until then), so the listener is up and probes answer while the weights load. Knows nothing of
//! clap or terminals; `commands::serve` binds, loads and prints.

mod embed;
pub mod engine;
pub mod error;
mod messages;
pub mod metrics;
mod openai;
mod sse;
mod text;
mod tgi;
mod tools;
mod webui;

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
    /// Serve the chat page at `/`.
    pub webui: bool,
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
    let mut app = Router::new().route("/health", get(health));
    if state.options.webui {
        // The page is static and public; it asks for the API key the /v1 routes require.
        app = app.route("/", get(webui::page));
    }
    let mut app = app
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
    let (method, uri) = (req.method().clone(), req.uri().path().to_string());
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    st.metrics.record_request(&route, res.status().as_u16());
    // A streamed answer is logged when its headers go out; its tokens follow.
    tracing::debug!("{method} {uri} -> {} in {} ms", res.status().as_u16(), started.elapsed().as_millis());
    res
}

/// A body extractor result as an API error (413 over the limit).
fn body(
    b: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    flavor: Flavor,
) -> ApiResult<axum::body::Bytes> {
    b.map_err(|e| ApiError::new(e.status(), format!("cannot read the request body: {}", e.body_text())).flavor(flavor))
}

#[cfg(test)]
mod tests {
    //! Requests through the router in-process, before any model is loaded (the end-to-end tests
    //! in tests/it/serve.rs cover a loaded server).
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    fn state(api_key: Option<&str>, cors: &[&str]) -> Shared {
        AppState::new(ServeOptions {
            model_name: "base".into(),
            api_key: api_key.map(str::to_string),
            cors_origins: cors.iter().map(|s| s.to_string()).collect(),
            max_batch_size: 8,
            max_input_tokens: None,
            max_total_tokens: None,
            max_batch_total_tokens: None,
            max_queue: 16,
            ctx: None,
            loras: vec![("ada".into(), PathBuf::from("/nowhere"))],
            webui: true,
        })
    }

    async fn send(
        st: &Shared,
        req: axum::http::Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let res = router(st.clone()).oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    fn post(uri: &str, body: &str) -> axum::http::Request<Body> {
        axum::http::Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn before_the_model_loads_health_and_generation_say_503_and_models_are_listed() {
        let st = state(None, &[]);
        let (status, _, body) = send(&st, axum::http::Request::get("/health").body(Body::empty()).unwrap()).await;
        assert_eq!((status, body["error"]["message"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("loading")));
        let (status, headers, body) = send(&st, post("/v1/chat/completions", r#"{"messages": []}"#)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers["retry-after"], "5");
        assert_eq!(body["error"]["message"], "the model is still loading");
        let (status, _, body) = send(&st, post("/generate", r#"{"inputs": "hi"}"#)).await;
        assert_eq!((status, body["error_type"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("unhealthy")));
        let (_, _, body) = send(&st, axum::http::Request::get("/v1/models").body(Body::empty()).unwrap()).await;
        let ids: Vec<&str> = body["data"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
        assert_eq!(ids, ["base", "ada"]);
        assert_eq!(body["data"][1]["parent"], "base");
        let (status, _, body) =
            send(&st, axum::http::Request::get("/v1/models/other").body(Body::empty()).unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("model_not_found")));
        // Closing: 503 with the reason.
        st.close();
        let (status, _, body) = send(&st, post("/v1/completions", r#"{"prompt": "x"}"#)).await;
        assert_eq!(
            (status, body["error"]["message"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("the server is shutting down"))
        );
    }

    #[tokio::test]
    async fn the_chat_page_is_public_self_contained_and_can_be_turned_off() {
        let st = state(Some("k"), &[]);
        let res = router(st.clone()).oneshot(axum::http::Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
        assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("connect-src 'self'"));
        let page = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let page = std::str::from_utf8(&page).unwrap();
        // Small, and nothing fetched from elsewhere (works offline).
        assert!(page.len() < 300 << 10, "{} bytes", page.len());
        for outside in ["src=\"http", "href=\"http", "@import", "url(http"] {
            assert!(!page.contains(outside), "the page loads {outside}...");
        }
        assert!(page.contains("/v1/chat/completions") && page.contains("/v1/models"));
        let off = AppState::new(ServeOptions { webui: false, ..st.options.clone() });
        assert_eq!(
            send(&off, axum::http::Request::get("/").body(Body::empty()).unwrap()).await.0,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn keys_cors_limits_and_unknown_routes() {
        let st = state(Some("k"), &["http://app.example"]);
        let (status, _, body) = send(&st, axum::http::Request::get("/v1/models").body(Body::empty()).unwrap()).await;
        assert_eq!((status, body["error"]["type"].as_str()), (StatusCode::UNAUTHORIZED, Some("authentication_error")));
        let req =
            axum::http::Request::get("/v1/models").header("authorization", "Bearer k").body(Body::empty()).unwrap();
        assert_eq!(send(&st, req).await.0, StatusCode::OK);
        // /health needs no key.
        assert_eq!(
            send(&st, axum::http::Request::get("/health").body(Body::empty()).unwrap()).await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        // A browser's preflight from an allowed origin, and none for another origin.
        let preflight = |origin: &str| {
            axum::http::Request::options("/v1/chat/completions")
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization,content-type")
                .body(Body::empty())
                .unwrap()
        };
        let (_, headers, _) = send(&st, preflight("http://app.example")).await;
        assert_eq!(headers["access-control-allow-origin"], "http://app.example");
        let (_, headers, _) = send(&st, preflight("http://evil.example")).await;
        assert!(headers.get("access-control-allow-origin").is_none());
        // Over the body limit: 413 in the OpenAI envelope.
        let big = post("/v1/chat/completions", &" ".repeat(BODY_LIMIT + 1));
        let big = {
            let (mut parts, body) = big.into_parts();
            parts.headers.insert("authorization", HeaderValue::from_static("Bearer k"));
            axum::http::Request::from_parts(parts, body)
        };
        let (status, _, body) = send(&st, big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body["error"]["message"].as_str().unwrap().contains("request body"), "{body}");
        let req = axum::http::Request::get("/v2/x").header("authorization", "Bearer k").body(Body::empty()).unwrap();
        assert_eq!(send(&st, req).await.0, StatusCode::NOT_FOUND);
        // Every response was counted by route and status.
        let metrics = st.metrics.render();
        assert!(metrics.contains(r#"hfx_requests_total{route="/v1/models",status="401"} 1"#), "{metrics}");
        assert!(metrics.contains(r#"hfx_requests_total{route="/v1/chat/completions",status="413"} 1"#), "{metrics}");
    }
}
