//! Server-sent events from a request's scheduler events. The stream owns the receiver: a client
//! that disconnects drops the stream, the scheduler sees the channel closed and cancels the
//! sequence at its next step.

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::http::{HeaderValue, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::engine::Event;
use super::text::Receiver;

/// Turns one scheduler event into SSE events; returns true when the response is complete.
pub(super) type Convert = Box<dyn FnMut(Event, &mut VecDeque<SseEvent>) -> bool + Send>;

struct Pump {
    rx: Receiver,
    out: VecDeque<SseEvent>,
    convert: Convert,
    done: bool,
}

/// An SSE response: `first` events, then whatever `convert` makes of the scheduler's events.
pub(super) fn stream(rx: Receiver, first: Vec<SseEvent>, convert: Convert) -> Response {
    let pump = Pump { rx, out: first.into(), convert, done: false };
    let s = futures::stream::unfold(pump, |mut p| async move {
        loop {
            if let Some(e) = p.out.pop_front() {
                return Some((Ok::<_, Infallible>(e), p));
            }
            if p.done {
                return None;
            }
            match p.rx.rx.recv().await {
                Some(ev) => p.done = (p.convert)(ev, &mut p.out),
                None => p.done = true,
            }
        }
    });
    let mut res = Sse::new(s).keep_alive(KeepAlive::default()).into_response();
    // Proxies (nginx) must not buffer the stream.
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// A JSON data event.
pub(super) fn json(v: &serde_json::Value) -> SseEvent {
    SseEvent::default().data(v.to_string())
}
