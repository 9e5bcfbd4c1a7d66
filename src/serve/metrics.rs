//! Counters, gauges and histograms for `GET /metrics`, in Prometheus' text format. A handful of
//! atomics written by the scheduler and the routes: a metrics crate would add a registry and
//! macros for what is a page of code here.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bucket bounds in seconds.
const TTFT_BUCKETS: &[f64] = &[0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const ITL_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum_us: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_us: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            if s <= *b {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sum_us.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {}", c.load(Ordering::Relaxed));
        }
        let n = self.count();
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {n}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_us.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {n}");
    }
}

pub struct Metrics {
    /// Responses by (route, status).
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    pub queue_depth: AtomicU64,
    pub batch_size: AtomicU64,
    /// KV positions reserved by running sequences, and bytes the KV buffers hold (idle ones
    /// kept for prefix reuse included).
    pub kv_reserved: AtomicU64,
    pub kv_bytes: AtomicU64,
    pub prefix_hits: AtomicU64,
    pub prefix_cached_tokens: AtomicU64,
    pub prompt_tokens: AtomicU64,
    pub generated_tokens: AtomicU64,
    pub cancelled: AtomicU64,
    /// Decode steps, and the sequences they advanced together (rows / steps = batch occupancy).
    pub decode_steps: AtomicU64,
    pub decode_rows: AtomicU64,
    /// Wall time of decode steps (forward pass and sampling).
    pub decode_us: AtomicU64,
    /// Time constrained sequences spent in their grammar (masks and parser steps).
    pub grammar_us: AtomicU64,
    pub ttft: Histogram,
    pub inter_token: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Mutex::default(),
            queue_depth: AtomicU64::new(0),
            batch_size: AtomicU64::new(0),
            kv_reserved: AtomicU64::new(0),
            kv_bytes: AtomicU64::new(0),
            prefix_hits: AtomicU64::new(0),
            prefix_cached_tokens: AtomicU64::new(0),
            prompt_tokens: AtomicU64::new(0),
            generated_tokens: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            decode_steps: AtomicU64::new(0),
            decode_rows: AtomicU64::new(0),
            decode_us: AtomicU64::new(0),
            grammar_us: AtomicU64::new(0),
            ttft: Histogram::new(TTFT_BUCKETS),
            inter_token: Histogram::new(ITL_BUCKETS),
        }
    }
}

impl Metrics {
    pub fn record_request(&self, route: &str, status: u16) {
        let mut m = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *m.entry((route.to_string(), status)).or_default() += 1;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP hfx_requests_total HTTP responses by route and status\n# TYPE hfx_requests_total counter"
        );
        let requests = self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        for ((route, status), n) in requests {
            let _ = writeln!(out, "hfx_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let gauges = [
            ("hfx_queue_depth", "gauge", "requests waiting for a batch slot", load(&self.queue_depth)),
            ("hfx_batch_size", "gauge", "sequences in the running batch", load(&self.batch_size)),
            ("hfx_kv_reserved_tokens", "gauge", "KV positions reserved by running sequences", load(&self.kv_reserved)),
            ("hfx_kv_cache_bytes", "gauge", "bytes held by KV buffers (running and reusable)", load(&self.kv_bytes)),
            ("hfx_prefix_cache_hits_total", "counter", "requests that reused a cached prefix", load(&self.prefix_hits)),
            (
                "hfx_prefix_cache_tokens_total",
                "counter",
                "prompt tokens taken from the prefix cache",
                load(&self.prefix_cached_tokens),
            ),
            ("hfx_prompt_tokens_total", "counter", "prompt tokens of admitted requests", load(&self.prompt_tokens)),
            ("hfx_generated_tokens_total", "counter", "tokens generated", load(&self.generated_tokens)),
            ("hfx_cancelled_total", "counter", "sequences whose client went away", load(&self.cancelled)),
            ("hfx_decode_steps_total", "counter", "batched decode steps", load(&self.decode_steps)),
            ("hfx_decode_rows_total", "counter", "sequences advanced by decode steps", load(&self.decode_rows)),
            ("hfx_decode_microseconds_total", "counter", "wall time of decode steps", load(&self.decode_us)),
            (
                "hfx_grammar_microseconds_total",
                "counter",
                "time spent in structured-output grammars (token masks, parser)",
                load(&self.grammar_us),
            ),
        ];
        for (name, kind, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        }
        self.ttft.render(&mut out, "hfx_time_to_first_token_seconds", "from admission request to first token");
        self.inter_token.render(&mut out, "hfx_inter_token_seconds", "between two tokens of a sequence");
        out
    }
}
