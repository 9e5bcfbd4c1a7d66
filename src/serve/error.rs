//! Request errors in the shape each family of clients reads: OpenAI's
//! `{"error": {"message", "type", "param", "code"}}` on `/v1/*`, TGI's `{"error", "error_type"}`
//! on its routes. User errors are 4xx, never 5xx: the openai client retries 5xx twice.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which error envelope a route speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    OpenAi,
    Tgi,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// OpenAI's `param`: the request field at fault.
    pub param: Option<String>,
    /// OpenAI's `code` (`context_length_exceeded`, `model_not_found`).
    pub code: Option<&'static str>,
    pub flavor: Flavor,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), param: None, code: None, flavor: Flavor::OpenAi, retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A 400 about one field.
    pub fn field(param: &str, message: impl Into<String>) -> Self {
        Self { param: Some(param.to_string()), ..Self::bad_request(message) }
    }

    /// A field hfx knows but does not implement: refused, never silently ignored.
    pub fn unsupported(param: &str, what: &str) -> Self {
        Self::field(param, format!("`{param}` {what} is not supported by this server yet"))
    }

    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn flavor(mut self, flavor: Flavor) -> Self {
        self.flavor = flavor;
        self
    }

    pub fn overloaded(message: impl Into<String>) -> Self {
        Self { retry_after: Some(1), ..Self::new(StatusCode::TOO_MANY_REQUESTS, message) }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self { retry_after: Some(5), ..Self::new(StatusCode::SERVICE_UNAVAILABLE, message) }
    }

    /// OpenAI's `type` for the status.
    fn openai_type(&self) -> &'static str {
        match self.status {
            StatusCode::UNAUTHORIZED => "authentication_error",
            StatusCode::NOT_FOUND => "not_found_error",
            StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
            s if s.is_server_error() => "server_error",
            _ => "invalid_request_error",
        }
    }

    /// TGI's `error_type` for the status.
    fn tgi_type(&self) -> &'static str {
        match self.status {
            StatusCode::TOO_MANY_REQUESTS => "overloaded",
            StatusCode::SERVICE_UNAVAILABLE => "unhealthy",
            StatusCode::UNAUTHORIZED => "authentication",
            s if s.is_server_error() => "generation",
            _ => "validation",
        }
    }

    /// The body, also sent as an SSE event when a stream fails midway.
    pub fn body(&self) -> serde_json::Value {
        match self.flavor {
            Flavor::OpenAi => json!({"error": {
                "message": self.message,
                "type": self.openai_type(),
                "param": self.param,
                "code": self.code,
            }}),
            Flavor::Tgi => json!({"error": self.message, "error_type": self.tgi_type()}),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // TGI answers validation errors with 422.
        let status = if self.flavor == Flavor::Tgi && self.status == StatusCode::BAD_REQUEST {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            self.status
        };
        let mut res = (status, axum::Json(self.body())).into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}

/// Parse a JSON request body into `T`; a failure names the field (`messages[0].content`) and
/// what was wrong, and invalid UTF-8 or malformed JSON say so.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8], flavor: Flavor) -> ApiResult<T> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("the request body is empty; send a JSON object").flavor(flavor));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let msg = format!("the request body is not valid UTF-8 (at byte {})", e.valid_up_to());
        return Err(ApiError::bad_request(msg).flavor(flavor));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let malformed = inner.is_syntax() || inner.is_eof();
        let (param, message) = if malformed || path == "." || path.is_empty() {
            (None, format!("invalid JSON body: {inner}"))
        } else {
            (Some(path.clone()), format!("invalid `{path}`: {inner}"))
        };
        ApiError { param, ..ApiError::bad_request(message) }.flavor(flavor)
    })?;
    de.end().map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")).flavor(flavor))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Req {
        #[allow(dead_code)]
        messages: Vec<Msg>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Msg {
        #[allow(dead_code)]
        content: String,
    }

    #[test]
    fn body_errors_name_the_field() {
        let e = parse_body::<Req>(br#"{"messages": [{"content": 3}]}"#, Flavor::OpenAi).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.param.as_deref(), Some("messages[0].content"));
        assert!(e.message.contains("invalid type: integer"), "{}", e.message);
        let e = parse_body::<Req>(b"{\"messages\": [", Flavor::Tgi).unwrap_err();
        assert!(e.message.starts_with("invalid JSON body"), "{}", e.message);
        assert_eq!(e.body()["error_type"], "validation");
        let e = parse_body::<Req>(b"{\"messages\": [{\"content\": \"\xff\"}]}", Flavor::OpenAi).unwrap_err();
        assert!(e.message.contains("UTF-8"), "{}", e.message);
        assert_eq!(e.body()["error"]["type"], "invalid_request_error");
    }
}
