//! Datasets: discovering configs and splits, reading rows from their files, exporting them.
//! Takes local paths and a `Downloader`; knows nothing of clap or terminals.

pub mod error;
pub mod format;
pub mod layout;
pub mod write;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use error::DataError;
use error::Result;
use format::{Column, Format, Row};
use layout::{Config, DataFile, Layout, Source, Split};

use crate::cache::RepoId;
use crate::hub::download::{Downloader, SnapshotRequest};
use crate::report::Progress;

/// The branch where the Hub keeps its parquet conversion of a dataset.
pub const PARQUET_BRANCH: &str = "refs/convert/parquet";

/// Where a dataset lives.
#[derive(Debug, Clone)]
pub enum Location {
    Local(PathBuf),
    Hub { repo: RepoId, revision: String },
}

/// A dataset whose layout is known; its files may still be remote.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub location: Location,
    /// The revision the files come from (the parquet branch for converted datasets).
    pub revision: Option<String>,
    pub commit: Option<String>,
    pub layout: Layout,
}

/// Every file under `dir` as a repo-relative path with its size (hidden entries skipped).
fn walk(dir: &Path) -> Result<Vec<DataFile>> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<DataFile>) -> Result<()> {
        let entries = fs_err::read_dir(dir)?;
        for e in entries {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = e.path();
            // `metadata` follows the snapshot's symlinks into blobs/.
            let md = fs_err::metadata(&path)?;
            if md.is_dir() {
                go(root, &path, out)?;
            } else {
                let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                out.push(DataFile { path: rel, size: md.len() });
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn layout_of(card: Option<&str>, files: &[DataFile]) -> Result<Option<Layout>> {
    if let Some(card) = card
        && let Some(configs) = layout::from_card(card, files)?
    {
        return Ok(Some(Layout { source: Source::Card, configs }));
    }
    let configs = layout::from_conventions(files);
    Ok((!configs.is_empty()).then_some(Layout { source: Source::Conventions, configs }))
}

fn request(repo: &RepoId, revision: &str, allow: Vec<String>) -> SnapshotRequest {
    SnapshotRequest { repo: repo.clone(), revision: revision.to_string(), allow, ignore: Vec::new(), local_dir: None }
}

impl Dataset {
    /// Find the configs and splits: one listing call and the README (or the cache offline).
    pub async fn discover(location: Location, downloader: &Downloader<'_>) -> Result<Self> {
        let (repo, revision) = match &location {
            Location::Local(dir) => {
                let files = walk(dir)?;
                let card = fs_err::read_to_string(dir.join("README.md")).ok();
                let layout = layout_of(card.as_deref(), &files)?
                    .ok_or_else(|| DataError::NoDataFiles { repo: dir.display().to_string() })?;
                return Ok(Self { location, revision: None, commit: None, layout });
            }
            Location::Hub { repo, revision } => (repo.clone(), revision.clone()),
        };
        let (files, commit) = Self::listing(&repo, &revision, downloader).await?;
        let card = if files.iter().any(|f| f.path == "README.md") {
            let out = downloader.snapshot(&request(&repo, &commit, vec!["README.md".into()]), false).await?;
            fs_err::read_to_string(out.path.join("README.md")).ok()
        } else {
            None
        };
        if let Some(layout) = layout_of(card.as_deref(), &files)? {
            downloader.remember_ref(&repo, &revision, &commit)?;
            return Ok(Self { location, revision: Some(revision), commit: Some(commit), layout });
        }
        // Script-only or unusual repositories: the Hub's parquet conversion, when there is one.
        let (pfiles, pcommit) = Self::listing(&repo, PARQUET_BRANCH, downloader)
            .await
            .map_err(|_| DataError::NoDataFiles { repo: repo.id.clone() })?;
        let configs = layout::from_parquet_branch(&pfiles);
        if configs.is_empty() {
            return Err(DataError::NoDataFiles { repo: repo.id.clone() });
        }
        downloader.remember_ref(&repo, PARQUET_BRANCH, &pcommit)?;
        Ok(Self {
            location,
            revision: Some(PARQUET_BRANCH.into()),
            commit: Some(pcommit),
            layout: Layout { source: Source::ParquetConversion, configs },
        })
    }

    /// Files and sizes at `revision`: a tree listing online, the cached snapshot offline.
    async fn listing(repo: &RepoId, revision: &str, downloader: &Downloader<'_>) -> Result<(Vec<DataFile>, String)> {
        if downloader.is_offline() {
            let (commit, snap) = downloader.cached_snapshot(repo, revision)?;
            return Ok((walk(&snap)?, commit));
        }
        let out = downloader.snapshot(&request(repo, revision, Vec::new()), true).await?;
        let files = out.files.iter().map(|f| DataFile { path: f.path.clone(), size: f.size }).collect();
        Ok((files, out.commit))
    }

    /// Make `files` local (downloading into the shared cache) and return the folder they are in.
    pub async fn fetch(&self, files: &[&DataFile], downloader: &Downloader<'_>) -> Result<PathBuf> {
        match (&self.location, &self.commit) {
            (Location::Local(dir), _) => Ok(dir.clone()),
            (Location::Hub { repo, .. }, Some(commit)) => {
                let rc = downloader.cache().repo(repo);
                let snap = rc.snapshot_dir(commit);
                if downloader.is_offline() || files.iter().all(|f| snap.join(&f.path).is_file()) {
                    return Ok(snap);
                }
                let allow = files.iter().map(|f| crate::hub::literal_glob(&f.path)).collect();
                Ok(downloader.snapshot(&request(repo, commit, allow), false).await?.path)
            }
            (Location::Hub { repo, .. }, None) => Err(DataError::NoDataFiles { repo: repo.id.clone() }),
        }
    }

    /// The config (named, or the default) and split (named, or `train`, or the first).
    pub fn split(&self, config: Option<&str>, split: Option<&str>) -> Result<(&Config, &Split)> {
        let c = self.layout.config(config)?;
        Ok((c, c.split(split)?))
    }
}

impl Dataset {
    /// `info` for one config. Parquet files not in the cache are described from their footer
    /// alone (two small requests each, several files at a time); other files are fetched.
    pub async fn describe(&self, config: &Config, downloader: &Downloader<'_>) -> Result<ConfigInfo> {
        use futures::StreamExt;
        let remote = match (&self.location, &self.commit) {
            (Location::Hub { repo, .. }, Some(commit)) if !downloader.is_offline() => Some((repo, commit)),
            _ => None,
        };
        let all: Vec<&DataFile> = config.splits.iter().flat_map(|s| s.files.iter()).collect();
        let snap = remote.map(|(repo, commit)| downloader.cache().repo(repo).snapshot_dir(commit));
        let by_footer = |f: &DataFile| {
            remote.is_some()
                && Format::detect(&f.path).is_some_and(|k| k.format == Format::Parquet)
                && snap.as_ref().is_some_and(|s| !s.join(&f.path).is_file())
        };
        let local: Vec<&DataFile> = all.iter().copied().filter(|f| !by_footer(f)).collect();
        let root = if local.is_empty() { PathBuf::new() } else { self.fetch(&local, downloader).await? };
        let footers: Vec<Result<FileRows>> = futures::stream::iter(all.iter().copied())
            .map(|f| {
                let root = root.clone();
                async move {
                    if let (true, Some((repo, commit))) = (by_footer(f), remote) {
                        let (rows, schema) = remote_footer(downloader, repo, commit, f).await?;
                        return Ok((f.path.clone(), rows, Some(format::columns_of(&schema))));
                    }
                    let path = root.join(&f.path);
                    let kind = format::kind_of(&path)?;
                    Ok((f.path.clone(), format::count_rows(&path, kind)?, None))
                }
            })
            .buffered(8)
            .collect()
            .await;
        let mut rows = std::collections::HashMap::new();
        let mut columns: Option<Vec<Column>> = None;
        for r in footers {
            let (path, n, cols) = r?;
            if columns.is_none() && all.first().is_some_and(|f| f.path == path) {
                columns = cols;
            }
            rows.insert(path, n);
        }
        let columns = match (columns, all.first()) {
            (Some(c), _) => c,
            (None, Some(f)) => {
                let path = root.join(&f.path);
                format::columns(&path, format::kind_of(&path)?)?
            }
            (None, None) => Vec::new(),
        };
        let splits = config
            .splits
            .iter()
            .map(|s| SplitInfo {
                name: s.name.clone(),
                num_rows: s.files.iter().map(|f| rows.get(&f.path).copied().unwrap_or(0)).sum(),
                num_bytes: s.files.iter().map(|f| f.size).sum(),
                files: s.files.clone(),
            })
            .collect();
        Ok(ConfigInfo { name: config.name.clone(), default: config.default, splits, columns })
    }
}

/// A file's path, row count, and columns when its footer gave them.
type FileRows = (String, u64, Option<Vec<Column>>);

/// A remote parquet file's footer: the last 32 KiB, more if the metadata is larger.
async fn remote_footer(
    downloader: &Downloader<'_>,
    repo: &RepoId,
    commit: &str,
    f: &DataFile,
) -> Result<(u64, std::sync::Arc<arrow_schema::Schema>)> {
    let client = downloader.client();
    let meta = client.file_metadata(repo, commit, &f.path, &crate::hub::Silent).await?;
    let mut want = meta.size.min(32 << 10);
    loop {
        let tail = client.read_range(repo, &meta, &f.path, meta.size - want, meta.size, &crate::hub::Silent).await?;
        match format::footer_from_tail(&f.path, &tail) {
            Ok(r) => return r,
            Err(n) if (n as u64) <= meta.size && (n as u64) > want => want = n as u64,
            Err(_) => {
                return Err(DataError::BadParquet {
                    path: PathBuf::from(&f.path),
                    reason: "footer length out of range".into(),
                });
            }
        }
    }
}

/// One split in `info`.
#[derive(Debug, Clone, Serialize)]
pub struct SplitInfo {
    pub name: String,
    pub num_rows: u64,
    pub num_bytes: u64,
    pub files: Vec<DataFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigInfo {
    pub name: String,
    pub default: bool,
    pub splits: Vec<SplitInfo>,
    pub columns: Vec<Column>,
}

/// The first `n` rows of a split, reading only as many files (and parquet row groups) as needed.
pub fn head(root: &Path, split: &Split, n: usize, columns: &[String]) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for f in &split.files {
        if out.len() >= n {
            break;
        }
        let path = root.join(&f.path);
        let kind = format::kind_of(&path)?;
        for row in format::rows(&path, kind, columns, Some(n - out.len()))? {
            out.push(row?);
        }
    }
    Ok(out)
}

/// Stream a split into `dest` (format from its extension); constant memory. Returns rows written.
pub fn export(root: &Path, split: &Split, dest: &Path, progress: &dyn Progress) -> Result<u64> {
    let out_format = write::OutFormat::from_path(dest)?;
    let kinds: Vec<_> = split.files.iter().map(|f| format::kind_of(&root.join(&f.path))).collect::<Result<_>>()?;
    let all_parquet = kinds.iter().all(|k| k.format == Format::Parquet);
    let total = if all_parquet {
        Some(
            split
                .files
                .iter()
                .map(|f| format::parquet_footer(&root.join(&f.path)).map(|(n, _)| n))
                .sum::<Result<u64>>()?,
        )
    } else {
        None
    };
    progress.start("exporting", total);
    let mut w = write::RowWriter::create(dest, out_format)?;
    for (f, kind) in split.files.iter().zip(kinds) {
        let path = root.join(&f.path);
        if all_parquet && out_format == write::OutFormat::Parquet {
            // Same format: batches pass through with their exact schema.
            for batch in format::parquet_reader(&path, &[], None)? {
                let batch = batch.map_err(|e| DataError::BadParquet { path: path.clone(), reason: e.to_string() })?;
                w.write_batch(&batch)?;
                progress.advance(batch.num_rows() as u64);
            }
            continue;
        }
        for row in format::rows(&path, kind, &[], None)? {
            w.write(row?)?;
            progress.advance(1);
        }
    }
    progress.finish();
    w.finish()
}
