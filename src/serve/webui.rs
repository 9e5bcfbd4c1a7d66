//! The chat page at `/`: one HTML file with its CSS and JavaScript, built into the binary (no CDN,
//! works offline). It talks to the server through the public `/v1` API only, like any client.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("webui/index.html");

pub(super) async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            // Inline script and style only; requests go back to this server.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE,
    )
        .into_response()
}
