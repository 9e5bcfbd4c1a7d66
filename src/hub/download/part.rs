//! A partial download on disk: the pre-sized data file, its per-chunk progress state file
//! (resumable across processes), and hashing the bytes as they land.

use super::*;

/// Files smaller than this are not worth a resume state file.
const RESUME_MIN: u64 = 1 << 20;

pub(super) fn state_path_of(partial: &Path) -> PathBuf {
    let mut name = partial.file_name().unwrap_or_default().to_os_string();
    name.push(".state");
    partial.with_file_name(name)
}

const STATE_MAGIC: &[u8; 8] = b"HFXPART1";
const STATE_HEADER: u64 = 32;

/// A partial download: the pre-sized data file plus per-chunk progress counters mirrored
/// into the state file (`HFXPART1`, size, chunk size, count, then one u64 per chunk).
pub(super) struct Part {
    pub(super) path: PathBuf,
    pub(super) file: std::fs::File,
    pub(super) state: Option<std::fs::File>,
    pub(super) size: u64,
    pub(super) chunk_size: u64,
    pub(super) done: Vec<AtomicU64>,
    pub(super) finished: AtomicBool,
    pub(super) aborted: AtomicBool,
}

impl Part {
    pub(super) fn open(
        partial: &Path,
        state_path: &Path,
        size: u64,
        chunk_size: u64,
        force: bool,
    ) -> std::io::Result<Self> {
        let resumable = size >= RESUME_MIN;
        if !force
            && resumable
            && let Some(p) = Self::resume(partial, state_path, size)?
        {
            return Ok(p);
        }
        let mut opts = fs_err::OpenOptions::new();
        opts.read(true).write(true);
        // Create it exclusively to learn whether an earlier run left one (then start it over).
        let (file, left_over) = match opts.clone().create_new(true).open(partial) {
            Ok(f) => (f.into_parts().0, false),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                (opts.create(true).truncate(true).open(partial)?.into_parts().0, true)
            }
            Err(e) => return Err(e),
        };
        // Pre-size a resumable file, whose length `resume` checks. A small file is one chunk
        // (chunks are at least 1 MiB) written front to back, so it needs no `ftruncate`.
        if resumable {
            file.set_len(size)?;
        }
        let n = size.div_ceil(chunk_size).max(1);
        let state = if resumable {
            let mut header = Vec::with_capacity((STATE_HEADER + 8 * n) as usize);
            header.extend_from_slice(STATE_MAGIC);
            header.extend_from_slice(&size.to_le_bytes());
            header.extend_from_slice(&chunk_size.to_le_bytes());
            header.extend_from_slice(&n.to_le_bytes());
            header.resize((STATE_HEADER + 8 * n) as usize, 0);
            let f = fs_err::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(state_path)?
                .into_parts()
                .0;
            f.write_all_at(&header, 0)?;
            Some(f)
        } else {
            // A state file is created after its partial and removed before it, so only a
            // partial left behind can have one (from a large file at the same `--local-dir`
            // path): no failing unlink per small file.
            if left_over {
                let _ = fs_err::remove_file(state_path);
            }
            None
        };
        Ok(Self {
            path: partial.to_path_buf(),
            file,
            state,
            size,
            chunk_size,
            done: (0..n).map(|_| AtomicU64::new(0)).collect(),
            finished: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
        })
    }

    /// Pick up a partial download left by an earlier process, if its state is coherent.
    pub(super) fn resume(partial: &Path, state_path: &Path, size: u64) -> std::io::Result<Option<Self>> {
        let (Ok(file), Ok(state)) = (
            fs_err::OpenOptions::new().read(true).write(true).open(partial),
            fs_err::OpenOptions::new().read(true).write(true).open(state_path),
        ) else {
            return Ok(None);
        };
        let (file, state) = (file.into_parts().0, state.into_parts().0);
        let mut header = [0u8; STATE_HEADER as usize];
        if state.read_exact_at(&mut header, 0).is_err() || &header[..8] != STATE_MAGIC {
            return Ok(None);
        }
        let word = |k: usize| u64::from_le_bytes(header[8 * k..8 * k + 8].try_into().unwrap_or([0; 8]));
        let (s, cs, n) = (word(1), word(2), word(3));
        if s != size || cs == 0 || n != size.div_ceil(cs).max(1) || file.metadata()?.len() != size {
            return Ok(None);
        }
        let mut raw = vec![0u8; (8 * n) as usize];
        if state.read_exact_at(&mut raw, STATE_HEADER).is_err() {
            return Ok(None);
        }
        let done: Vec<AtomicU64> = raw
            .chunks_exact(8)
            .enumerate()
            .map(|(i, b)| {
                let v = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                let len = (size - (i as u64) * cs).min(cs);
                AtomicU64::new(v.min(len))
            })
            .collect();
        Ok(Some(Self {
            path: partial.to_path_buf(),
            file,
            state: Some(state),
            size,
            chunk_size: cs,
            done,
            finished: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
        }))
    }

    pub(super) fn chunks(&self) -> usize {
        self.done.len()
    }

    pub(super) fn bounds(&self, i: usize) -> (u64, u64) {
        let start = i as u64 * self.chunk_size;
        (start, (start + self.chunk_size).min(self.size))
    }

    pub(super) fn chunk_complete(&self, i: usize) -> bool {
        let (s, e) = self.bounds(i);
        self.done[i].load(Ordering::Acquire) >= e - s
    }

    pub(super) fn reset(&self) {
        for (i, d) in self.done.iter().enumerate() {
            d.store(0, Ordering::Release);
            self.persist(i);
        }
    }

    /// Write `data` at `pos`, then record it: data first, so the counter never claims bytes
    /// that are not on disk.
    pub(super) fn write(&self, pos: u64, data: &[u8], chunk: Option<usize>) -> std::io::Result<()> {
        self.file.write_all_at(data, pos)?;
        match chunk {
            Some(i) => {
                self.done[i].fetch_add(data.len() as u64, Ordering::AcqRel);
                self.persist(i);
            }
            None => {
                // One stream across every chunk: advance the counters it passes.
                let end = pos + data.len() as u64;
                for i in 0..self.chunks() {
                    let (s, e) = self.bounds(i);
                    if s < end && e > pos {
                        let new = end.min(e) - s;
                        self.done[i].store(new, Ordering::Release);
                        self.persist(i);
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn persist(&self, i: usize) {
        if let Some(state) = &self.state {
            let v = self.done[i].load(Ordering::Acquire);
            let _ = state.write_all_at(&v.to_le_bytes(), STATE_HEADER + 8 * i as u64);
        }
    }

    /// Bytes on disk counting every chunk.
    pub(super) fn prefix_total(&self) -> u64 {
        self.done.iter().map(|d| d.load(Ordering::Acquire)).sum()
    }

    pub(super) fn prefix_total_quick(&self, i: usize, whole: bool) -> u64 {
        if whole { self.prefix_total() } else { self.done[i].load(Ordering::Acquire) }
    }

    /// Length of the contiguous run of written bytes from offset 0.
    pub(super) fn contiguous(&self) -> u64 {
        for i in 0..self.chunks() {
            let (s, e) = self.bounds(i);
            let d = self.done[i].load(Ordering::Acquire);
            if d < e - s {
                return s + d;
            }
        }
        self.size
    }
}

/// Files up to this size are hashed after the transfer instead of by a following thread.
const FOLLOW_HASH_MIN: u64 = 8 << 20;

/// Hash the contiguous prefix of `part` as it grows (sleeping while it waits), until the whole
/// file is hashed, the transfer aborts, or it finishes short. `Some("")` means incomplete.
fn hash_following(part: &Part, kind: EtagKind) -> Option<String> {
    if matches!(kind, EtagKind::Unknown) {
        return None;
    }
    let mut hasher = EtagHasher::new(kind, part.size);
    let mut cursor = 0u64;
    let mut buf = vec![0u8; part.size.clamp(1, 4 << 20) as usize];
    loop {
        if part.aborted.load(Ordering::Acquire) {
            return None;
        }
        let finished = part.finished.load(Ordering::Acquire);
        let ready = part.contiguous();
        if cursor < ready {
            let n = ((ready - cursor) as usize).min(buf.len());
            if part.file.read_exact_at(&mut buf[..n], cursor).is_err() {
                return Some(String::new());
            }
            hasher.update(&buf[..n]);
            cursor += n as u64;
        } else if cursor >= part.size {
            return hasher.finish();
        } else if finished {
            return Some(String::new());
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Hashes a download while it streams: large files on their own thread, following the bytes
/// as they land, so the digest is ready moments after the last one; small files at the end
/// (a thread per small file costs more than it saves).
pub(super) enum Hasher {
    Following(std::thread::JoinHandle<Option<String>>),
    Deferred(Arc<Part>, EtagKind),
}

impl Hasher {
    pub(super) fn spawn(part: Arc<Part>, kind: EtagKind) -> Self {
        if part.size < FOLLOW_HASH_MIN {
            return Hasher::Deferred(part, kind);
        }
        Hasher::Following(std::thread::spawn(move || hash_following(&part, kind)))
    }

    pub(super) fn join(self) -> Option<String> {
        match self {
            Hasher::Following(h) => h.join().unwrap_or(None),
            Hasher::Deferred(part, kind) => tokio::task::block_in_place(|| hash_following(&part, kind)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_state_survives_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let partial = tmp.path().join("x.incomplete");
        let state = state_path_of(&partial);
        let size = 3 << 20;
        {
            let p = Part::open(&partial, &state, size, 1 << 20, false).unwrap();
            p.write(0, &[1u8; 1000], Some(0)).unwrap();
            p.write(1 << 20, &[2u8; 5000], Some(1)).unwrap();
            assert_eq!(p.contiguous(), 1000);
        }
        let p = Part::open(&partial, &state, size, 1 << 20, false).unwrap();
        assert_eq!(p.done[0].load(Ordering::Relaxed), 1000);
        assert_eq!(p.done[1].load(Ordering::Relaxed), 5000);
        assert_eq!(p.prefix_total(), 6000);
        // A different size means a different file: start over.
        let p = Part::open(&partial, &state, size + 1, 1 << 20, false).unwrap();
        assert_eq!(p.prefix_total(), 0);
    }

    #[test]
    fn small_part_has_no_state_and_clears_a_stale_one() {
        let tmp = tempfile::tempdir().unwrap();
        let partial = tmp.path().join("x.incomplete");
        let state = state_path_of(&partial);
        let p = Part::open(&partial, &state, 1000, 1 << 20, false).unwrap();
        assert!(p.state.is_none() && !state.exists());
        p.write(0, &[1u8; 600], Some(0)).unwrap();
        drop(p);
        // Left behind with a large file's state (the same `--local-dir` path): both start over.
        fs_err::write(&state, b"stale").unwrap();
        let p = Part::open(&partial, &state, 1000, 1 << 20, false).unwrap();
        assert!(!state.exists());
        assert_eq!((p.prefix_total(), fs_err::metadata(&partial).unwrap().len()), (0, 0));
    }
}
