// ---------------------------------------------------------------------------------------------
// HTTP handling: resolve and file serving (gating, redirects, Range, throttled streaming)

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use bytes::Bytes;

use super::http::{Ctx, encode_path, encode_segment, error, header_str, hv};
use super::reads::lookup;
use super::server::Shared;
use super::storage::{StoredFile, sha256_hex};
use super::{FileSource, RepoType};

/// `None` when access to `path` is allowed; otherwise the GatedRepo error.
fn gate(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, path: &str) -> Option<Response> {
    let inner = st.lock();
    let repo = inner.repos.get(&(rt, id.to_string()))?;
    repo.spec.gated.as_ref()?;
    if path == ".gitattributes" || path == "README.md" {
        return None;
    }
    let url = format!("{}/{}{}", st.hub_url, rt.url_prefix(), id);
    let file_url = format!("{url}/resolve/main/{path}");
    match &ctx.user {
        None => Some(error(
            401,
            Some("GatedRepo"),
            &format!(
                "Access to {} {id} is restricted. You must have access to it and be authenticated to access it. Please log in. Cannot access gated repo for url {file_url}.",
                rt.singular()
            ),
        )),
        Some(u) if u.name == repo.namespace() || repo.spec.granted.contains(&u.name) => None,
        Some(_) => Some(error(
            403,
            Some("GatedRepo"),
            &format!(
                "Access to {} {id} is restricted and you are not in the authorized list. Visit {url} to ask for access. Cannot access gated repo for url {file_url}.",
                rt.singular()
            ),
        )),
    }
}

pub(super) fn resolve(
    st: &Shared,
    ctx: &Ctx,
    rt: RepoType,
    id: &str,
    rev: &str,
    path: &str,
    _method: &Method,
) -> Response {
    let commit = match lookup(st, ctx, rt, id, Some(rev)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = gate(st, ctx, rt, id, path) {
        return r;
    }
    let Some(f) = commit.files.get(path) else {
        let mut r = error(404, Some("EntryNotFound"), "Entry not found");
        r.headers_mut().insert("x-repo-commit", hv(&commit.id));
        return r;
    };
    if f.lfs {
        let folder = sha256_hex(format!("{}/{id}", rt.plural()).as_bytes());
        let loc = format!(
            "{}/repos/{}/{}?response-content-disposition={}&expires=4102444800&sig={}",
            st.cdn_url,
            &folder[..16],
            f.sha256,
            encode_segment(&format!("attachment; filename=\"{}\"", path.rsplit('/').next().unwrap_or(path))),
            &sha256_hex(format!("{}{}", f.sha256, folder).as_bytes())[..32],
        );
        Response::builder()
            .status(302)
            .header(header::LOCATION, hv(&loc))
            .header("x-repo-commit", hv(&commit.id))
            .header("x-linked-etag", format!("\"{}\"", f.sha256))
            .header("x-linked-size", f.size.to_string())
            .header(header::ETAG, format!("\"{}\"", f.oid))
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::CONTENT_LENGTH, "0")
            .body(Body::empty())
            .unwrap()
    } else {
        let loc =
            format!("/api/resolve-cache/{}/{id}/{}/{}?etag=%22{}%22", rt.plural(), commit.id, encode_path(path), f.oid);
        Response::builder()
            .status(307)
            .header(header::LOCATION, hv(&loc))
            .header("x-repo-commit", hv(&commit.id))
            .header(header::ETAG, format!("\"{}\"", f.oid))
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::CONTENT_LENGTH, "0")
            .body(Body::empty())
            .unwrap()
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("json") => "application/json",
        Some("txt") | Some("md") | Some("py") | Some("yaml") | Some("yml") | Some("csv") => "text/plain; charset=utf-8",
        _ if path.ends_with(".gitattributes") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub(super) fn resolve_cache(
    st: &Shared,
    ctx: &Ctx,
    req: &Request,
    rt: RepoType,
    id: &str,
    commit: &str,
    path: &str,
) -> Response {
    let c = match lookup(st, ctx, rt, id, Some(commit)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = gate(st, ctx, rt, id, path) {
        return r;
    }
    let Some(f) = c.files.get(path).cloned() else {
        let mut r = error(404, Some("EntryNotFound"), "Entry not found");
        r.headers_mut().insert("x-repo-commit", hv(&c.id));
        return r;
    };
    serve_file(
        st,
        ctx,
        req.method(),
        req.headers(),
        &f,
        content_type(path),
        vec![("x-repo-commit", c.id.clone()), (header::ETAG.as_str(), format!("\"{}\"", f.oid))],
    )
}

/// Parse a single `bytes=` range against `size`: `Ok(None)` = whole body, `Err` = unsatisfiable.
fn parse_range(h: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(r) = header_str(h, header::RANGE) else { return Ok(None) };
    let Some(spec) = r.trim().strip_prefix("bytes=") else { return Ok(None) };
    let (a, b) = spec.trim().split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        (size.saturating_sub(n), size.saturating_sub(1))
    } else {
        let s: u64 = a.parse().map_err(|_| ())?;
        let e: u64 = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>().map_err(|_| ())?.min(size.saturating_sub(1))
        };
        if !b.is_empty() && b.parse::<u64>().map_err(|_| ())? < s {
            return Err(());
        }
        (s, e)
    };
    if size == 0 || start >= size || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn serve_file(
    st: &Shared,
    ctx: &Ctx,
    method: &Method,
    h: &HeaderMap,
    f: &StoredFile,
    ctype: &str,
    extra: Vec<(&str, String)>,
) -> Response {
    let (status, start, len, content_range) = match parse_range(h, f.size) {
        Ok(None) => (200, 0, f.size, None),
        Ok(Some((s, e))) => (206, s, e - s + 1, Some(format!("bytes {s}-{e}/{}", f.size))),
        Err(()) => {
            let mut r = error(416, None, "Requested Range Not Satisfiable");
            r.headers_mut().insert(header::CONTENT_RANGE, hv(&format!("bytes */{}", f.size)));
            return r;
        }
    };
    let mut b = Response::builder()
        .status(status)
        .header(header::CONTENT_LENGTH, len.to_string())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, ctype);
    if let Some(cr) = content_range {
        b = b.header(header::CONTENT_RANGE, cr);
    }
    for (k, v) in extra {
        b = b.header(k, hv(&v));
    }
    if method == Method::HEAD || len == 0 {
        return b.body(Body::empty()).unwrap();
    }
    let rate = st.bandwidth.load(Ordering::SeqCst);
    b.body(Body::from_stream(body_stream(f.source.clone(), start, len, rate, ctx.drop_after, ctx.counter.clone())))
        .unwrap()
}

const CHUNK: u64 = 256 * 1024;

struct StreamState {
    source: FileSource,
    file: Option<Arc<std::fs::File>>,
    pos: u64,
    end: u64,
    sent: u64,
    rate: u64,
    started: Instant,
    drop_after: Option<u64>,
    counter: Arc<AtomicU64>,
}

fn body_stream(
    source: FileSource,
    start: u64,
    len: u64,
    rate: u64,
    drop_after: Option<u64>,
    counter: Arc<AtomicU64>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let state = StreamState {
        source,
        file: None,
        pos: start,
        end: start + len,
        sent: 0,
        rate,
        started: Instant::now(),
        drop_after,
        counter,
    };
    futures::stream::unfold(state, |mut s| async move {
        if s.pos >= s.end {
            return None;
        }
        if s.drop_after.is_some_and(|limit| s.sent >= limit) {
            // Give the connection a moment to flush what was sent, then abort mid-body: the
            // client sees a broken connection (fewer bytes than Content-Length), not a clean end.
            tokio::time::sleep(Duration::from_millis(30)).await;
            let err = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "fake hub: injected connection drop");
            return Some((Err(err), StreamState { pos: s.end, ..s }));
        }
        let mut n = (s.end - s.pos).min(CHUNK);
        if s.rate > 0 {
            // Small chunks so throttling is smooth (about 20 per second).
            n = n.min((s.rate / 20).max(1024));
        }
        if let Some(limit) = s.drop_after {
            n = n.min(limit - s.sent);
        }
        if s.rate > 0 {
            let due = s.started + Duration::from_secs_f64((s.sent + n) as f64 / s.rate as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        let chunk = match &s.source {
            FileSource::Bytes(b) => b.slice(s.pos as usize..(s.pos + n) as usize),
            FileSource::Parts(parts) => {
                // The part holding `pos`; a chunk never spans two parts.
                let mut start = 0u64;
                let mut out = Bytes::new();
                for p in parts.iter() {
                    let len = p.len() as u64;
                    if s.pos < start + len {
                        let from = s.pos - start;
                        n = n.min(len - from);
                        out = p.slice(from as usize..(from + n) as usize);
                        break;
                    }
                    start += len;
                }
                out
            }
            FileSource::Path(p) => {
                if s.file.is_none() {
                    match fs_err::File::open(p) {
                        Ok(f) => s.file = Some(Arc::new(f.into_parts().0)),
                        Err(e) => return Some((Err(e), StreamState { pos: s.end, ..s })),
                    }
                }
                let file = s.file.clone().unwrap();
                let pos = s.pos;
                let read = tokio::task::spawn_blocking(move || {
                    use std::io::{Seek, SeekFrom};
                    let mut buf = vec![0u8; n as usize];
                    let mut f: &std::fs::File = &file;
                    f.seek(SeekFrom::Start(pos))?;
                    f.read_exact(&mut buf)?;
                    Ok(Bytes::from(buf))
                })
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
                match read {
                    Ok(b) => b,
                    Err(e) => return Some((Err(e), StreamState { pos: s.end, ..s })),
                }
            }
        };
        s.pos += n;
        s.sent += n;
        s.counter.fetch_add(n, Ordering::SeqCst);
        Some((Ok(chunk), s))
    })
}
