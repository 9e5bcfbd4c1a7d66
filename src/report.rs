//! The progress trait that domain modules without a richer one (`data`, `models`) report
//! through; `output` implements it with indicatif on a terminal.

pub trait Progress: Send + Sync {
    /// A new phase: what is happening and how many units (bytes, rows) it will take, if known.
    fn start(&self, _label: &str, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}
