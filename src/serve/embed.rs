//! Embeddings: an encoder model on its own thread (a forward pass is blocking work), answering
//! OpenAI's `/v1/embeddings`. Inputs over the model's length are refused, not truncated.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::oneshot;

use super::error::{ApiError, ApiResult, Flavor, parse_body};
use super::text::server_error;
use super::{Backend, Shared, body};
use crate::models::embed::Embedder;
use crate::models::error::Result;
use crate::models::tokenizer::LoadedTokenizer;

const F: Flavor = Flavor::OpenAi;
/// Inputs per request.
const MAX_INPUTS: usize = 2048;

type Job = (Vec<String>, oneshot::Sender<Result<Vec<Vec<f32>>, String>>);

pub struct EmbedModel {
    tx: mpsc::Sender<Job>,
    pub tok: Arc<LoadedTokenizer>,
    pub max_tokens: usize,
    pub dim: usize,
}

impl EmbedModel {
    pub fn start(dir: &Path) -> Result<Self> {
        let embedder = Embedder::load(dir)?;
        let tok = Arc::new(LoadedTokenizer::from_dir(dir)?);
        let (max_tokens, dim) = (embedder.max_tokens, embedder.dim);
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("hfx-embedder".into())
            .spawn(move || {
                for (texts, reply) in rx {
                    let _ = reply.send(embedder.embed(&texts).map_err(|e| e.to_string()));
                }
            })
            .map_err(|e| crate::models::ModelError::Generation(format!("cannot start the embedding thread: {e}")))?;
        Ok(Self { tx, tok, max_tokens, dim })
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Input {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct EmbeddingsRequest {
    input: Input,
    model: Option<String>,
    encoding_format: Option<String>,
    dimensions: Option<usize>,
}

pub(super) async fn openai_embeddings(
    State(st): State<Shared>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let req: EmbeddingsRequest = parse_body(&body(b, F)?, F)?;
    if st.check_model(req.model.as_deref())?.is_some() {
        return Err(ApiError::field("model", "LoRA adapters apply to text generation, not to embeddings"));
    }
    let m = match st.backend(F)? {
        Backend::Embed(m) => m,
        Backend::Text(_) => {
            return Err(ApiError::bad_request(format!(
                "`{}` generates text; /v1/embeddings needs an embedding model (e.g. sentence-transformers/all-MiniLM-L6-v2)",
                st.options.model_name
            )));
        }
    };
    let base64 = match req.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ApiError::field(
                "encoding_format",
                format!("`encoding_format` is float or base64, not `{other}`"),
            ));
        }
    };
    if let Some(d) = req.dimensions.filter(|d| *d != m.dim) {
        return Err(ApiError::field(
            "dimensions",
            format!("this model gives {}-dimensional embeddings, not {d}", m.dim),
        ));
    }
    let texts = match req.input {
        Input::One(s) => vec![s],
        Input::Many(v) => v,
    };
    if texts.is_empty() || texts.len() > MAX_INPUTS {
        return Err(ApiError::field("input", format!("`input` must hold 1 to {MAX_INPUTS} strings")));
    }
    let mut tokens = 0;
    for (i, t) in texts.iter().enumerate() {
        let n = m.tok.tokenizer.encode(t.as_str(), true).map_err(|e| ApiError::field("input", e.to_string()))?.len();
        if n > m.max_tokens {
            return Err(ApiError::field(
                "input",
                format!("input {i} has {n} tokens; this model reads at most {} (it is not truncated)", m.max_tokens),
            )
            .code("context_length_exceeded"));
        }
        tokens += n;
    }
    let (reply, rx) = oneshot::channel();
    m.tx.send((texts, reply)).map_err(|_| server_error("the embedding thread stopped", F))?;
    let vectors =
        rx.await.map_err(|_| server_error("the embedding thread stopped", F))?.map_err(|e| server_error(&e, F))?;
    let data: Vec<serde_json::Value> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "model": st.options.model_name,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
    .into_response())
}
