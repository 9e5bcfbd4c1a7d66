//! Reading data files as rows: parquet (arrow), JSON lines, JSON, CSV/TSV and text, plain or
//! `.gz`/`.zst` compressed. Rows are JSON objects in column order; errors name file and line.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use serde::Serialize;
use serde_json::{Map, Value};

use super::error::{DataError, Result};

pub type Row = Map<String, Value>;
pub type RowIter = Box<dyn Iterator<Item = Result<Row>> + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    JsonLines,
    Json,
    Csv,
    Tsv,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    pub format: Format,
    pub compression: Compression,
}

impl Format {
    /// The kind of a data file from its name (`train.jsonl.gz`), `None` for non-data files.
    pub fn detect(path: &str) -> Option<FileKind> {
        let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
        let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
            (s.to_string(), Compression::Gzip)
        } else if let Some(s) = name.strip_suffix(".zst") {
            (s.to_string(), Compression::Zstd)
        } else {
            (name, Compression::None)
        };
        let format = match stem.rsplit_once('.')?.1 {
            "parquet" if compression == Compression::None => Format::Parquet,
            "jsonl" | "ndjson" => Format::JsonLines,
            "json" => Format::Json,
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "txt" => Format::Text,
            _ => return None,
        };
        Some(FileKind { format, compression })
    }
}

pub fn kind_of(path: &Path) -> Result<FileKind> {
    let s = path.to_string_lossy();
    Format::detect(&s).ok_or_else(|| DataError::UnsupportedFormat { path: s.into_owned() })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io { path: path.to_path_buf(), source }
}

/// A decompressing reader over a text data file.
fn open_text(path: &Path, compression: Compression) -> Result<Box<dyn BufRead + Send>> {
    let f = fs_err::File::open(path)?.into_parts().0;
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(1 << 20, f)),
        Compression::Gzip => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(BufReader::new(f)))),
        Compression::Zstd => Box::new(BufReader::new(zstd::stream::read::Decoder::new(f).map_err(io(path))?)),
    })
}

/// A column and its type in Hugging Face `datasets` spelling (`string`, `int64`, `list<string>`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub dtype: String,
}

pub fn type_name(dt: &DataType) -> String {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Boolean => "bool".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            "binary".into()
        }
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) | DataType::ListView(f) => {
            format!("list<{}>", type_name(f.data_type()))
        }
        DataType::Struct(fields) => format!(
            "struct<{}>",
            fields.iter().map(|f| format!("{}: {}", f.name(), type_name(f.data_type()))).collect::<Vec<_>>().join(", ")
        ),
        DataType::Dictionary(_, v) => type_name(v),
        other => other.to_string().to_lowercase(),
    }
}

pub fn columns_of(schema: &Schema) -> Vec<Column> {
    schema.fields().iter().map(|f| Column { name: f.name().clone(), dtype: type_name(f.data_type()) }).collect()
}

/// Rows of any data file, optionally only some columns (in the order asked) and at most `limit`.
pub fn rows(path: &Path, kind: FileKind, columns: &[String], limit: Option<usize>) -> Result<RowIter> {
    let iter: RowIter = match kind.format {
        Format::Parquet => Box::new(ParquetRows::open(path, columns, limit)?),
        Format::JsonLines => Box::new(jsonl_rows(path.to_path_buf(), open_text(path, kind.compression)?)),
        Format::Json => Box::new(json_rows(path, open_text(path, kind.compression)?)?.into_iter().map(Ok)),
        Format::Csv | Format::Tsv => Box::new(csv_rows(path, kind, open_text(path, kind.compression)?)?),
        Format::Text => {
            let path = path.to_path_buf();
            let mut lines = LineReader::new(open_text(&path, kind.compression)?);
            Box::new(std::iter::from_fn(move || match lines.next(&path) {
                Ok(Some((_, line))) => {
                    let mut row = Row::new();
                    row.insert("text".into(), Value::String(line));
                    Some(Ok(row))
                }
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            }))
        }
    };
    let iter: RowIter = if kind.format != Format::Parquet && !columns.is_empty() {
        let columns = columns.to_vec();
        let path = path.to_path_buf();
        Box::new(iter.map(move |r| r.and_then(|r| project(&path, r, &columns))))
    } else {
        iter
    };
    Ok(match limit {
        Some(n) if kind.format != Format::Parquet => Box::new(iter.take(n)),
        _ => iter,
    })
}

fn project(_path: &Path, mut row: Row, columns: &[String]) -> Result<Row> {
    let mut out = Row::new();
    for c in columns {
        let v = row.remove(c).ok_or_else(|| DataError::UnknownColumn {
            column: c.clone(),
            available: row.keys().chain(out.keys()).cloned().collect(),
        })?;
        out.insert(c.clone(), v);
    }
    Ok(out)
}

/// Lines with their 1-based numbers; invalid UTF-8 is an error naming the line.
struct LineReader {
    reader: Box<dyn BufRead + Send>,
    line: u64,
    buf: Vec<u8>,
}

impl LineReader {
    fn new(reader: Box<dyn BufRead + Send>) -> Self {
        Self { reader, line: 0, buf: Vec::new() }
    }

    fn next(&mut self, path: &Path) -> Result<Option<(u64, String)>> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf).map_err(io(path))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        let text = std::str::from_utf8(&self.buf).map_err(|e| DataError::BadLine {
            path: path.to_path_buf(),
            line: self.line,
            reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        })?;
        Ok(Some((self.line, text.to_string())))
    }
}

fn jsonl_rows(path: PathBuf, reader: Box<dyn BufRead + Send>) -> impl Iterator<Item = Result<Row>> + Send {
    let mut lines = LineReader::new(reader);
    std::iter::from_fn(move || {
        loop {
            let (n, line) = match lines.next(&path) {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            if line.trim().is_empty() {
                continue;
            }
            let bad = |reason: String| DataError::BadLine { path: path.clone(), line: n, reason };
            return Some(match serde_json::from_str::<Value>(&line) {
                Ok(Value::Object(row)) => Ok(row),
                Ok(other) => Err(bad(format!("expected a JSON object, found {}", json_kind(&other)))),
                Err(e) => Err(bad(format!("invalid JSON: {e}"))),
            });
        }
    })
}

/// How a JSON value's kind reads in an error message.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A `.json` file: a list of objects, or an object holding one (`{"data": [...]}`).
fn json_rows(path: &Path, mut reader: Box<dyn BufRead + Send>) -> Result<Vec<Row>> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(io(path))?;
    let bad = |reason: String| DataError::BadFile { path: path.to_path_buf(), reason };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let list = match v {
        Value::Array(items) => items,
        Value::Object(o) => match o.into_iter().find(|(_, v)| v.is_array()) {
            Some((_, Value::Array(items))) => items,
            _ => return Err(bad("expected a list of objects".into())),
        },
        other => return Err(bad(format!("expected a list of objects, found {}", json_kind(&other)))),
    };
    list.into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(o) => Ok(o),
            other => Err(DataError::BadRecord {
                path: path.to_path_buf(),
                record: i as u64 + 1,
                reason: format!("expected an object, found {}", json_kind(&other)),
            }),
        })
        .collect()
}

/// CSV/TSV with a header row. Cells stay strings (empty cells are null): guessing types per
/// cell would turn `007` into `7`.
fn csv_rows(
    path: &Path,
    kind: FileKind,
    reader: Box<dyn BufRead + Send>,
) -> Result<impl Iterator<Item = Result<Row>> + Send + use<>> {
    let delimiter = if kind.format == Format::Tsv { b'\t' } else { b',' };
    let mut r = csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(reader);
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| DataError::BadFile { path: path.to_path_buf(), reason: e.to_string() })?
        .iter()
        .map(str::to_string)
        .collect();
    let path = path.to_path_buf();
    Ok(r.into_records().map(move |rec| {
        let rec = rec.map_err(|e| DataError::BadLine {
            path: path.clone(),
            line: e.position().map_or(0, |p| p.line()),
            reason: e.to_string(),
        })?;
        Ok(headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.clone(), if v.is_empty() { Value::Null } else { Value::String(v.to_string()) }))
            .collect())
    }))
}

fn bad_parquet(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::BadParquet { path: path.to_path_buf(), reason: e.to_string() }
}

/// A parquet reader limited to `columns` (root columns, by name) and `limit` rows: only the
/// row groups and column chunks needed are read.
pub fn parquet_reader(path: &Path, columns: &[String], limit: Option<usize>) -> Result<ParquetRecordBatchReader> {
    let f = fs_err::File::open(path)?.into_parts().0;
    let mut b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| bad_parquet(path, e))?;
    if !columns.is_empty() {
        let schema = b.schema().clone();
        let mut idx = Vec::new();
        for c in columns {
            idx.push(schema.index_of(c).map_err(|_| DataError::UnknownColumn {
                column: c.clone(),
                available: schema.fields().iter().map(|f| f.name().clone()).collect(),
            })?);
        }
        let mask = ProjectionMask::roots(b.parquet_schema(), idx);
        b = b.with_projection(mask);
    }
    if let Some(n) = limit {
        b = b.with_limit(n).with_batch_size(n.clamp(1, 1024));
    }
    b.build().map_err(|e| bad_parquet(path, e))
}

/// Row count and schema from the footer alone.
pub fn parquet_footer(path: &Path) -> Result<(u64, Arc<Schema>)> {
    let f = fs_err::File::open(path)?.into_parts().0;
    let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| bad_parquet(path, e))?;
    let rows = u64::try_from(b.metadata().file_metadata().num_rows()).unwrap_or(0);
    Ok((rows, b.schema().clone()))
}

/// Row count and schema from a parquet footer held in memory (`tail` = the file's last bytes,
/// at least the metadata plus 8). `Err(n)` asks for the last `n` bytes instead.
pub fn footer_from_tail(name: &str, tail: &[u8]) -> std::result::Result<Result<(u64, Arc<Schema>)>, usize> {
    let bad = |reason: String| DataError::BadParquet { path: PathBuf::from(name), reason };
    if tail.len() < 8 || &tail[tail.len() - 4..] != b"PAR1" {
        return Ok(Err(bad("no parquet footer (PAR1) at the end".into())));
    }
    let n = tail.len();
    let len = u32::from_le_bytes([tail[n - 8], tail[n - 7], tail[n - 6], tail[n - 5]]) as usize;
    if len + 8 > n {
        return Err(len + 8);
    }
    let md = match parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&tail[n - 8 - len..n - 8]) {
        Ok(m) => m,
        Err(e) => return Ok(Err(bad(e.to_string()))),
    };
    let fm = md.file_metadata();
    let schema = match parquet::arrow::parquet_to_arrow_schema(fm.schema_descr(), fm.key_value_metadata()) {
        Ok(s) => s,
        Err(e) => return Ok(Err(bad(e.to_string()))),
    };
    Ok(Ok((u64::try_from(fm.num_rows()).unwrap_or(0), Arc::new(schema))))
}

/// Arrow batches as JSON objects (arrow-json's encoder: nested types, dates, decimals).
pub fn batch_rows(batch: &RecordBatch) -> std::result::Result<Vec<Row>, String> {
    let mut buf = Vec::new();
    let mut w =
        arrow_json::WriterBuilder::new().with_explicit_nulls(true).build::<_, arrow_json::writer::JsonArray>(&mut buf);
    w.write(batch).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    drop(w);
    if buf.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&buf).map_err(|e| e.to_string())
}

struct ParquetRows {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    pending: std::vec::IntoIter<Row>,
    columns: Vec<String>,
    row: u64,
}

impl ParquetRows {
    fn open(path: &Path, columns: &[String], limit: Option<usize>) -> Result<Self> {
        Ok(Self {
            path: path.to_path_buf(),
            reader: parquet_reader(path, columns, limit)?,
            pending: Vec::new().into_iter(),
            columns: columns.to_vec(),
            row: 0,
        })
    }
}

impl Iterator for ParquetRows {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        loop {
            if let Some(mut r) = self.pending.next() {
                self.row += 1;
                // The projection keeps file order; give the order asked for.
                if !self.columns.is_empty() {
                    r = self.columns.iter().filter_map(|c| r.remove(c).map(|v| (c.clone(), v))).collect();
                }
                return Some(Ok(r));
            }
            let batch = match self.reader.next()? {
                Ok(b) => b,
                Err(e) => {
                    return Some(Err(DataError::BadRecord {
                        path: self.path.clone(),
                        record: self.row + 1,
                        reason: e.to_string(),
                    }));
                }
            };
            match batch_rows(&batch) {
                Ok(rows) => self.pending = rows.into_iter(),
                Err(reason) => {
                    return Some(Err(DataError::BadRecord { path: self.path.clone(), record: self.row + 1, reason }));
                }
            }
        }
    }
}

/// Rows in a file: parquet from the footer, text formats by reading them once.
pub fn count_rows(path: &Path, kind: FileKind) -> Result<u64> {
    match kind.format {
        Format::Parquet => Ok(parquet_footer(path)?.0),
        Format::JsonLines | Format::Text => {
            // Count without parsing: non-blank lines (blank jsonl lines are skipped on read).
            let mut r = open_text(path, kind.compression)?;
            let (mut n, mut buf) = (0u64, Vec::new());
            loop {
                buf.clear();
                if r.read_until(b'\n', &mut buf).map_err(io(path))? == 0 {
                    break;
                }
                if kind.format == Format::Text || buf.iter().any(|b| !b.is_ascii_whitespace()) {
                    n += 1;
                }
            }
            Ok(n)
        }
        Format::Json | Format::Csv | Format::Tsv => {
            let mut n = 0;
            for r in rows(path, kind, &[], None)? {
                r?;
                n += 1;
            }
            Ok(n)
        }
    }
}

/// Infer an arrow schema from rows, keeping the columns in order of first appearance.
pub fn infer_schema(rows: &[Row]) -> std::result::Result<Schema, String> {
    let inferred =
        arrow_json::reader::infer_json_schema_from_iterator(rows.iter().map(|r| Ok(Value::Object(r.clone()))))
            .map_err(|e| e.to_string())?;
    let mut order: Vec<&String> = Vec::new();
    for r in rows {
        for k in r.keys() {
            if !order.contains(&k) {
                order.push(k);
            }
        }
    }
    let fields: Vec<Field> =
        order.iter().filter_map(|k| inferred.field_with_name(k).ok()).map(|f| f.clone().with_nullable(true)).collect();
    Ok(Schema::new(fields))
}

/// Columns of a file: the parquet schema, else inferred from the first rows.
pub fn columns(path: &Path, kind: FileKind) -> Result<Vec<Column>> {
    if kind.format == Format::Parquet {
        return Ok(columns_of(&parquet_footer(path)?.1));
    }
    let sample: Vec<Row> = rows(path, kind, &[], Some(1000))?.collect::<Result<_>>()?;
    let schema = infer_schema(&sample).map_err(|reason| DataError::BadFile { path: path.to_path_buf(), reason })?;
    Ok(columns_of(&schema))
}
