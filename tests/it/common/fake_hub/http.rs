// ---------------------------------------------------------------------------------------------
// HTTP handling

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::files::{resolve, resolve_cache, serve_file};
use super::reads::{commits, lookup, paths_info, refs, repo_info, search, tree, whoami};
use super::repos::{ref_write, repo_create_delete};
use super::server::Shared;
use super::storage::Repo;
use super::uploads::{commit_ndjson, lfs_api, lfs_storage, preupload};
use super::{FaultKind, LoggedRequest, RepoType, Server, UserSpec};

pub(super) struct Ctx {
    pub(super) user: Option<UserSpec>,
    token_invalid: bool,
    pub(super) drop_after: Option<u64>,
    pub(super) counter: Arc<AtomicU64>,
    log_index: usize,
}

pub(super) fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

pub(super) fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

pub(super) fn error(status: u16, code: Option<&str>, message: &str) -> Response {
    let mut r = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header("x-error-message", hv(message));
    if let Some(c) = code {
        r = r.header("x-error-code", c);
    }
    r.body(Body::from(json!({ "error": message }).to_string())).unwrap()
}

pub(super) fn json_response(value: Value) -> Response {
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(value.to_string()))
        .unwrap()
}

pub(super) fn with_link(mut r: Response, next: &str) -> Response {
    r.headers_mut().insert(header::LINK, hv(&format!("<{next}>; rel=\"next\"")));
    r
}

fn decode(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg).decode_utf8_lossy().into_owned()
}

const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encode a file path, keeping `/`.
pub(super) fn encode_path(p: &str) -> String {
    p.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encode one segment (revisions: nothing is safe).
pub(super) fn encode_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

pub(super) type Query = Vec<(String, String)>;

fn parse_query(q: &str) -> Query {
    url::form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

pub(super) fn q_one<'a>(q: &'a Query, key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

pub(super) fn q_true(q: &Query, key: &str) -> bool {
    q_one(q, key).is_some_and(|v| v == "true" || v == "1" || v == "True")
}

/// The same query with `cursor` replaced.
pub(super) fn next_query(q: &Query, cursor: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in q.iter().filter(|(k, _)| k != "cursor") {
        s.append_pair(k, v);
    }
    s.append_pair("cursor", &cursor.to_string());
    s.finish()
}

/// Log the request and apply faults; returns the context or an early (fault) response.
fn begin<'a>(
    st: &'a Shared,
    server: Server,
    req: &Request,
) -> impl Future<Output = Result<Ctx, Response>> + Send + use<'a> {
    let path = req.uri().path_and_query().map_or_else(|| req.uri().path().to_string(), |p| p.to_string());
    let method = req.method().to_string();
    let headers = req.headers().clone();
    begin_parts(st, server, path, method, headers)
}

async fn begin_parts(
    st: &Shared,
    server: Server,
    path: String,
    method: String,
    headers: HeaderMap,
) -> Result<Ctx, Response> {
    let auth = header_str(&headers, header::AUTHORIZATION);
    let counter = Arc::new(AtomicU64::new(0));
    let (fault, user, token_invalid, log_index) = {
        let mut inner = st.lock();
        let log_index = inner.log.len();
        inner.log.push(LoggedRequest {
            server,
            method: method.clone(),
            path: path.clone(),
            status: 0,
            range: header_str(&headers, header::RANGE),
            has_authorization: auth.is_some(),
            authorization: auth.clone(),
            user_agent: header_str(&headers, header::USER_AGENT),
            bytes_sent: counter.clone(),
        });
        let mut fault = None;
        for f in inner.faults.iter_mut() {
            if f.times > 0
                && path.contains(&f.path_contains)
                && f.method.is_none_or(|m| m.eq_ignore_ascii_case(&method))
            {
                f.times -= 1;
                fault = Some(f.kind.clone());
                break;
            }
        }
        let token = auth
            .as_deref()
            .map(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer ")).unwrap_or(a).trim());
        let user = token.and_then(|t| inner.users.get(t).cloned());
        let token_invalid = server == Server::Hub && token.is_some() && user.is_none();
        (fault, user, token_invalid, log_index)
    };
    let mut ctx = Ctx { user, token_invalid, drop_after: None, counter, log_index };
    match fault {
        Some(FaultKind::Delay { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(FaultKind::DropAfter { bytes }) => ctx.drop_after = Some(bytes),
        Some(FaultKind::Status { status, retry_after }) => {
            let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error");
            let mut r = error(status, None, &format!("Injected fault: {status} {reason}"));
            if let Some(s) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, hv(&s.to_string()));
            }
            finish(st, &ctx, status);
            return Err(r);
        }
        None => {}
    }
    Ok(ctx)
}

fn finish(st: &Shared, ctx: &Ctx, status: u16) {
    if let Some(e) = st.lock().log.get_mut(ctx.log_index) {
        e.status = status;
    }
}

pub(super) async fn hub_handler(State(st): State<Arc<Shared>>, req: Request) -> Response {
    let ctx = match begin(&st, Server::Hub, &req).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let resp = route(&st, &ctx, req).await;
    finish(&st, &ctx, resp.status().as_u16());
    resp
}

pub(super) async fn cdn_handler(State(st): State<Arc<Shared>>, req: Request) -> Response {
    let ctx = match begin(&st, Server::Cdn, &req).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // /repos/{folder}/{sha256}?expires=..&sig=..
    let segs: Vec<String> = req.uri().path().trim_start_matches('/').split('/').map(str::to_string).collect();
    if segs.first().map(String::as_str) == Some("upload") {
        let method = req.method().clone();
        let body = axum::body::to_bytes(req.into_body(), 4 << 30).await.unwrap_or_default();
        let resp = lfs_storage(&st, &method, &segs[1..], body);
        finish(&st, &ctx, resp.status().as_u16());
        return resp;
    }
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let file = match segs.as_slice() {
        ["repos", _, sha] => st.lock().cdn.get(*sha).cloned(),
        _ => None,
    };
    let resp = match file {
        Some(_) if !matches!(*req.method(), Method::GET | Method::HEAD) => error(405, None, "Method not allowed"),
        Some(f) => {
            let etag = format!("\"{}\"", f.sha256);
            serve_file(
                &st,
                &ctx,
                req.method(),
                req.headers(),
                &f,
                "application/octet-stream",
                vec![(header::ETAG.as_str(), etag)],
            )
        }
        None => error(404, Some("NoSuchKey"), "The specified key does not exist."),
    };
    finish(&st, &ctx, resp.status().as_u16());
    resp
}

pub(super) fn can_see(repo: &Repo, user: Option<&UserSpec>) -> bool {
    !repo.spec.private
        || user.is_some_and(|u| u.name == repo.namespace() || u.orgs.iter().any(|o| o == repo.namespace()))
}

pub(super) fn repo_not_found(ctx: &Ctx) -> Response {
    error(if ctx.user.is_some() { 404 } else { 401 }, Some("RepoNotFound"), "Repository not found")
}

fn not_found() -> Response {
    error(404, None, "Sorry, we can't find the page you are looking for.")
}

async fn route(st: &Shared, ctx: &Ctx, req: Request) -> Response {
    if ctx.token_invalid {
        return error(401, None, "Invalid credentials in Authorization header");
    }
    let method = req.method().clone();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let q = parse_query(&raw_query);
    let segs: Vec<String> = req.uri().path().trim_start_matches('/').split('/').map(decode).collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = method == Method::GET || method == Method::HEAD;
    match s.as_slice() {
        ["api", "whoami-v2"] if get => whoami(ctx),
        ["api", kind] if get && RepoType::from_plural(kind).is_some() => {
            search(st, ctx, RepoType::from_plural(kind).unwrap(), &q)
        }
        ["api", "resolve-cache", kind, org, name, commit, rest @ ..]
            if get && RepoType::from_plural(kind).is_some() && !rest.is_empty() =>
        {
            let rt = RepoType::from_plural(kind).unwrap();
            resolve_cache(st, ctx, &req, rt, &format!("{org}/{name}"), commit, &rest.join("/"))
        }
        ["api", "repos", action @ ("create" | "delete")] => {
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
            let create = *action == "create";
            if (create && method != Method::POST) || (!create && method != Method::DELETE) {
                return not_found();
            }
            repo_create_delete(st, ctx, create, &body)
        }
        ["api", kind, org, name, op @ ("preupload" | "commit"), r @ ..]
            if RepoType::from_plural(kind).is_some() && !r.is_empty() && method == Method::POST =>
        {
            let rt = RepoType::from_plural(kind).unwrap();
            let id = format!("{org}/{name}");
            let create_pr = q_true(&q, "create_pr");
            let body = axum::body::to_bytes(req.into_body(), 1 << 30).await.unwrap_or_default();
            if *op == "preupload" {
                preupload(st, ctx, rt, &id, &r.join("/"), &body)
            } else {
                commit_ndjson(st, ctx, rt, &id, &r.join("/"), create_pr, &body)
            }
        }
        ["api", kind, org, name, kind2 @ ("branch" | "tag"), r @ ..]
            if RepoType::from_plural(kind).is_some()
                && !r.is_empty()
                && (method == Method::POST || method == Method::DELETE) =>
        {
            let rt = RepoType::from_plural(kind).unwrap();
            let id = format!("{org}/{name}");
            let post = method == Method::POST;
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
            ref_write(st, ctx, rt, &id, *kind2 == "branch", post, &r.join("/"), &body)
        }
        ["api", kind, org, name, rest @ ..] if RepoType::from_plural(kind).is_some() => {
            let rt = RepoType::from_plural(kind).unwrap();
            let id = format!("{org}/{name}");
            match rest {
                [] if get => repo_info(st, ctx, rt, &id, None, &q),
                ["revision", rev @ ..] if get && !rev.is_empty() => {
                    repo_info(st, ctx, rt, &id, Some(&rev.join("/")), &q)
                }
                ["tree", rev, p @ ..] if get => {
                    let sub = p.join("/");
                    tree(st, ctx, rt, &id, rev, sub.trim_matches('/'), &q, req.uri().path())
                }
                ["paths-info", rev @ ..] if method == Method::POST && !rev.is_empty() => {
                    let rev = rev.join("/");
                    let body = axum::body::to_bytes(req.into_body(), 16 << 20).await.unwrap_or_default();
                    paths_info(st, ctx, rt, &id, &rev, &body)
                }
                ["refs"] if get => refs(st, ctx, rt, &id),
                ["commits", rev @ ..] if get && !rev.is_empty() => {
                    commits(st, ctx, rt, &id, &rev.join("/"), &q, req.uri().path())
                }
                _ => match lookup(st, ctx, rt, &id, None) {
                    Err(r) => r,
                    Ok(_) => not_found(),
                },
            }
        }
        _ => {
            // /{prefix}{org}/{name}/resolve/{rev}/{path}
            let (rt, rest) = match s.first() {
                Some(&"datasets") => (RepoType::Dataset, &s[1..]),
                Some(&"spaces") => (RepoType::Space, &s[1..]),
                _ => (RepoType::Model, &s[..]),
            };
            match rest {
                [org, git, "info", "lfs", "objects", action @ ("batch" | "verify")]
                    if git.ends_with(".git") && method == Method::POST =>
                {
                    let id = format!("{org}/{}", git.trim_end_matches(".git"));
                    let body = axum::body::to_bytes(req.into_body(), 64 << 20).await.unwrap_or_default();
                    lfs_api(st, ctx, rt, &id, *action == "batch", &body)
                }
                [org, name, "resolve", rev, p @ ..] if get && !p.is_empty() => {
                    resolve(st, ctx, rt, &format!("{org}/{name}"), rev, &p.join("/"), &method)
                }
                _ => not_found(),
            }
        }
    }
}
