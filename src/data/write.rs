//! Writing rows: JSON lines (as Python's `json.dumps` writes them, so files made by Python
//! round-trip byte for byte), CSV/TSV, and parquet (arrow, snappy). Output goes to a temporary
//! file renamed into place only when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use super::error::{DataError, Result};
use super::format::{Row, infer_schema};
use crate::pyjson;

/// Rows buffered per parquet batch (and used to infer the schema of text sources).
const PARQUET_BATCH: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    JsonLines,
    Csv,
    Tsv,
    Parquet,
}

impl OutFormat {
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase);
        Ok(match ext.as_deref() {
            Some("jsonl" | "ndjson") => OutFormat::JsonLines,
            Some("csv") => OutFormat::Csv,
            Some("tsv") => OutFormat::Tsv,
            Some("parquet") => OutFormat::Parquet,
            _ => return Err(DataError::UnsupportedOutput { path: path.to_path_buf() }),
        })
    }
}

fn werr(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::Write { path: path.to_path_buf(), reason: e.to_string() }
}

/// A file written under a temporary name in the destination folder.
struct Staged {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl Staged {
    fn new(dest: &Path) -> Result<Self> {
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut b = tempfile::Builder::new();
        b.prefix(".hfx-export-").suffix(".tmp");
        // A finished export is an ordinary file, not tempfile's private 0600 one.
        #[cfg(unix)]
        b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let tmp = b.tempfile_in(dir).map_err(|e| werr(dest, e))?;
        Ok(Self { tmp, dest: dest.to_path_buf() })
    }

    fn file(&self) -> Result<File> {
        self.tmp.as_file().try_clone().map_err(|e| werr(&self.dest, e))
    }

    fn commit(self) -> Result<()> {
        self.tmp.as_file().sync_all().map_err(|e| werr(&self.dest, e))?;
        self.tmp.persist(&self.dest).map_err(|e| werr(&self.dest, e.error))?;
        Ok(())
    }
}

enum Inner {
    Lines(BufWriter<File>),
    Csv { w: csv::Writer<BufWriter<File>>, header: Option<Vec<String>> },
    Parquet { w: Option<ArrowWriter<File>>, buffer: Vec<Row>, schema: Option<Arc<Schema>> },
}

/// Streams rows into one output file.
pub struct RowWriter {
    staged: Staged,
    inner: Inner,
    rows: u64,
}

impl RowWriter {
    pub fn create(dest: &Path, format: OutFormat) -> Result<Self> {
        let staged = Staged::new(dest)?;
        let f = staged.file()?;
        let inner = match format {
            OutFormat::JsonLines => Inner::Lines(BufWriter::with_capacity(1 << 20, f)),
            OutFormat::Csv | OutFormat::Tsv => Inner::Csv {
                w: csv::WriterBuilder::new()
                    .delimiter(if format == OutFormat::Tsv { b'\t' } else { b',' })
                    .from_writer(BufWriter::with_capacity(1 << 20, f)),
                header: None,
            },
            OutFormat::Parquet => Inner::Parquet { w: None, buffer: Vec::new(), schema: None },
        };
        Ok(Self { staged, inner, rows: 0 })
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn write(&mut self, row: Row) -> Result<()> {
        self.rows += 1;
        let dest = self.staged.dest.clone();
        match &mut self.inner {
            Inner::Lines(w) => {
                let line = pyjson::dumps(&Value::Object(row), &pyjson::Style::default());
                w.write_all(line.as_bytes()).and_then(|()| w.write_all(b"\n")).map_err(|e| werr(&dest, e))
            }
            Inner::Csv { w, header } => {
                let h = header.get_or_insert_with(|| row.keys().cloned().collect());
                if let Some(extra) = row.keys().find(|k| !h.contains(k)) {
                    return Err(werr(&dest, format!("row {} has column `{extra}` that earlier rows lack", self.rows)));
                }
                if self.rows == 1 {
                    w.write_record(h.iter()).map_err(|e| werr(&dest, e))?;
                }
                let cells: Vec<String> = h
                    .iter()
                    .map(|k| match row.get(k) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                    })
                    .collect();
                w.write_record(&cells).map_err(|e| werr(&dest, e))
            }
            Inner::Parquet { buffer, .. } => {
                buffer.push(row);
                if buffer.len() >= PARQUET_BATCH {
                    self.flush_parquet()?;
                }
                Ok(())
            }
        }
    }

    /// Arrow batches as they are (parquet to parquet keeps the source schema exactly).
    pub fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        let dest = self.staged.dest.clone();
        let Inner::Parquet { w, .. } = &mut self.inner else {
            return Err(werr(&dest, "batches go to parquet outputs only"));
        };
        if w.is_none() {
            *w = Some(parquet_writer(&self.staged, batch.schema())?);
        }
        self.rows += batch.num_rows() as u64;
        w.as_mut().expect("set above").write(batch).map_err(|e| werr(&dest, e))
    }

    fn flush_parquet(&mut self) -> Result<()> {
        let dest = self.staged.dest.clone();
        let first_row = self.rows;
        let Inner::Parquet { w, buffer, schema } = &mut self.inner else { return Ok(()) };
        if buffer.is_empty() {
            return Ok(());
        }
        let schema = match schema {
            Some(s) => s.clone(),
            None => {
                let s = Arc::new(infer_schema(buffer).map_err(|e| werr(&dest, e))?);
                *schema = Some(s.clone());
                s
            }
        };
        let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
            .with_batch_size(buffer.len().max(1))
            .with_strict_mode(true)
            .build_decoder()
            .map_err(|e| werr(&dest, e))?;
        let start = first_row + 1 - buffer.len() as u64;
        decoder.serialize(buffer).map_err(|e| {
            werr(&dest, format!("rows {start}..{first_row} do not fit the columns of the first rows: {e}"))
        })?;
        let batch = decoder.flush().map_err(|e| werr(&dest, e))?;
        buffer.clear();
        if let Some(batch) = batch {
            if w.is_none() {
                *w = Some(parquet_writer(&self.staged, schema)?);
            }
            w.as_mut().expect("set above").write(&batch).map_err(|e| werr(&dest, e))?;
        }
        Ok(())
    }

    /// Flush, close and move the file into place.
    pub fn finish(mut self) -> Result<u64> {
        self.flush_parquet()?;
        let dest = self.staged.dest.clone();
        match self.inner {
            Inner::Lines(mut w) => w.flush().map_err(|e| werr(&dest, e))?,
            Inner::Csv { mut w, .. } => w.flush().map_err(|e| werr(&dest, e))?,
            Inner::Parquet { w: Some(w), .. } => {
                w.close().map_err(|e| werr(&dest, e))?;
            }
            Inner::Parquet { w: None, .. } => {
                // No rows: still a valid (empty) parquet file.
                let w = parquet_writer(&self.staged, Arc::new(Schema::empty()))?;
                w.close().map_err(|e| werr(&dest, e))?;
            }
        }
        self.staged.commit()?;
        Ok(self.rows)
    }
}

fn parquet_writer(staged: &Staged, schema: Arc<Schema>) -> Result<ArrowWriter<File>> {
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    ArrowWriter::try_new(staged.file()?, schema, Some(props)).map_err(|e| werr(&staged.dest, e))
}
