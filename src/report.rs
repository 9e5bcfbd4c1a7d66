//! The progress trait that domain modules without a richer one (`data`, `models`) report
//! through; `output` implements it with indicatif on a terminal.

/// An error that can say what to do about it: the `hint:` line under `error:`. Every domain
/// error implements it; `output::diagnostics` lists the types it looks for in an error chain,
/// and a test there fails when one is missing from that list.
pub trait Hint: std::error::Error + 'static {
    fn hint(&self) -> Option<String>;
}

pub trait Progress: Send + Sync {
    /// A new phase: what is happening and how many units (bytes, rows) it will take, if known.
    fn start(&self, _label: &str, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}
