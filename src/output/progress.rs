//! indicatif implementations of the domain reporters: one multi-progress display on stderr
//! (total bytes, rate, ETA, and a bar per large file in flight), only when enabled.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cache::verify::VerifyReporter;
use crate::hub::Notifier;
use crate::hub::download::DownloadReporter;
use crate::hub::upload::UploadReporter;

/// Files smaller than this only count towards the total bar.
const FILE_BAR_MIN: u64 = 8 << 20;

fn bytes_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("━╸ ")
}

/// Download progress (the total bar is stored under the empty key); also prints retry warnings (through the bars when they are shown).
pub struct DownloadProgress {
    multi: Option<MultiProgress>,
    files: Mutex<HashMap<String, ProgressBar>>,
    single: std::sync::atomic::AtomicBool,
    quiet: bool,
}

impl DownloadProgress {
    pub fn new(enabled: bool, quiet: bool) -> Self {
        let multi = enabled.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)));
        Self { multi, files: Mutex::new(HashMap::new()), single: std::sync::atomic::AtomicBool::new(false), quiet }
    }
}

impl Notifier for DownloadProgress {
    fn warn(&self, message: &str) {
        if self.quiet {
            return;
        }
        let line = format!("warning: {message}");
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => {
                let _ = writeln!(std::io::stderr(), "{line}");
            }
        }
    }
}

impl DownloadReporter for DownloadProgress {
    fn start(&self, files: usize, bytes: u64) {
        self.single.store(files == 1, std::sync::atomic::Ordering::Relaxed);
        let Some(m) = &self.multi else { return };
        let bar = m.add(ProgressBar::new(bytes));
        bar.set_style(bytes_style(
            "{prefix:.bold} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ));
        bar.set_prefix(if files == 1 { "1 file".to_string() } else { format!("{files} files") });
        if let Ok(mut f) = self.files.lock() {
            f.insert(String::new(), bar);
        }
    }

    fn file_start(&self, path: &str, size: u64, _already: u64) {
        let Some(m) = &self.multi else { return };
        // One file: the total bar already says everything.
        if size < FILE_BAR_MIN || self.single.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let bar = m.add(ProgressBar::new(size));
        bar.set_style(bytes_style("  {msg:30!} [{bar:20}] {bytes}/{total_bytes} {binary_bytes_per_sec}"));
        bar.set_message(path.to_string());
        if let Ok(mut f) = self.files.lock() {
            f.insert(path.to_string(), bar);
        }
    }

    fn progress(&self, path: &str, delta: u64) {
        if self.multi.is_none() {
            return;
        }
        if let Ok(f) = self.files.lock() {
            if let Some(total) = f.get("") {
                total.inc(delta);
            }
            if let Some(bar) = f.get(path) {
                bar.inc(delta);
            }
        }
    }

    fn file_done(&self, path: &str) {
        if let Ok(mut f) = self.files.lock()
            && let Some(bar) = f.remove(path)
        {
            bar.finish_and_clear();
        }
    }

    fn finish(&self) {
        if let Ok(mut f) = self.files.lock() {
            for (_, bar) in f.drain() {
                bar.finish_and_clear();
            }
        }
    }
}

/// Hashing progress for `hfx cache verify`.
pub struct VerifyProgress {
    bar: Option<ProgressBar>,
}

impl VerifyProgress {
    pub fn new(enabled: bool) -> Self {
        Self { bar: enabled.then(|| ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10))) }
    }
}

impl VerifyReporter for VerifyProgress {
    fn start(&self, files: usize, bytes: u64) {
        if let Some(b) = &self.bar {
            b.set_length(bytes);
            b.set_style(bytes_style(
                "verifying {prefix} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec}",
            ));
            b.set_prefix(format!("{files} file(s)"));
        }
    }
    fn file_done(&self, _path: &str, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Upload progress: hashing, then bytes sent, on one bar.
pub struct UploadProgress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl UploadProgress {
    pub fn new(enabled: bool, quiet: bool) -> Self {
        Self {
            bar: enabled.then(|| ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10))),
            quiet,
        }
    }

    fn phase(&self, label: &str, files: Option<usize>, bytes: u64) {
        if let Some(b) = &self.bar {
            b.reset();
            b.set_length(bytes);
            b.set_style(bytes_style(
                "{prefix:.bold} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
            ));
            b.set_prefix(files.map_or_else(|| label.to_string(), |n| format!("{label} {n} file(s)")));
        }
    }
}

impl Notifier for UploadProgress {
    fn warn(&self, message: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(b) => b.println(format!("warning: {message}")),
            None => {
                let _ = writeln!(std::io::stderr(), "warning: {message}");
            }
        }
    }
}

impl UploadReporter for UploadProgress {
    fn hashing(&self, files: usize, bytes: u64) {
        self.phase("hashing", Some(files), bytes);
    }
    fn hashed(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }
    fn uploading(&self, bytes: u64) {
        self.phase("uploading", None, bytes);
    }
    fn uploaded(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// One bar for a phase counted in bytes or rows (`hfx tokenize --file`, `hfx dataset export`).
pub struct BytesProgress {
    bar: Option<ProgressBar>,
    rows: bool,
}

impl BytesProgress {
    /// Counting bytes.
    pub fn new(enabled: bool) -> Self {
        Self {
            bar: enabled.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10))),
            rows: false,
        }
    }

    /// Counting rows.
    pub fn rows(enabled: bool) -> Self {
        Self { rows: true, ..Self::new(enabled) }
    }
}

impl crate::report::Progress for BytesProgress {
    fn start(&self, label: &str, total: Option<u64>) {
        if let Some(b) = &self.bar {
            b.reset();
            b.set_prefix(label.to_string());
            match total {
                Some(t) if self.rows => {
                    b.set_length(t);
                    b.set_style(bytes_style(
                        "{prefix:.bold} [{bar:30.cyan/blue}] {human_pos}/{human_len} rows {per_sec} eta {eta}",
                    ));
                }
                None if self.rows => {
                    b.unset_length();
                    b.set_style(bytes_style("{prefix:.bold} {spinner} {human_pos} rows {per_sec}"));
                }
                Some(t) => {
                    b.set_length(t);
                    b.set_style(bytes_style(
                        "{prefix:.bold} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
                    ));
                }
                None => {
                    b.unset_length();
                    b.set_style(bytes_style("{prefix:.bold} {spinner} {bytes} {binary_bytes_per_sec}"));
                }
            }
        }
    }
    fn advance(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
