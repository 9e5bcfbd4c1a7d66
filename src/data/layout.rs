//! Configs and splits of a dataset repository, discovered as the Hub does: the README's
//! `configs:` block, else file-naming conventions, else the parquet conversion branch.

use globset::{GlobBuilder, GlobSetBuilder};
use serde::Serialize;
use serde_yaml_ng::Value as Yaml;

use super::error::{DataError, Result};
use super::format::Format;

/// One file of a split.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DataFile {
    pub path: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Split {
    pub name: String,
    pub files: Vec<DataFile>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Config {
    pub name: String,
    pub default: bool,
    pub splits: Vec<Split>,
}

/// Where the layout came from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Card,
    Conventions,
    ParquetConversion,
}

#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub source: Source,
    pub configs: Vec<Config>,
}

impl Layout {
    pub fn config_names(&self) -> Vec<String> {
        self.configs.iter().map(|c| c.name.clone()).collect()
    }

    /// The named config, else the default one, else the only one.
    pub fn config(&self, name: Option<&str>) -> Result<&Config> {
        match name {
            Some(n) => self
                .configs
                .iter()
                .find(|c| c.name == n)
                .ok_or_else(|| DataError::UnknownConfig { config: n.to_string(), available: self.config_names() }),
            None => self
                .configs
                .iter()
                .find(|c| c.default)
                .or_else(|| (self.configs.len() == 1).then(|| &self.configs[0]))
                .or_else(|| self.configs.iter().find(|c| c.name == "default"))
                .ok_or_else(|| DataError::ConfigRequired { available: self.config_names() }),
        }
    }
}

impl Config {
    pub fn split_names(&self) -> Vec<String> {
        self.splits.iter().map(|s| s.name.clone()).collect()
    }

    /// The named split, else `train`, else the first.
    pub fn split(&self, name: Option<&str>) -> Result<&Split> {
        let found = match name {
            Some(n) => self.splits.iter().find(|s| s.name == n),
            None => self.splits.iter().find(|s| s.name == "train").or(self.splits.first()),
        };
        found.ok_or_else(|| DataError::UnknownSplit {
            config: self.name.clone(),
            split: name.unwrap_or("train").to_string(),
            available: self.split_names(),
        })
    }
}

/// Files that are never data: hidden files and folders, and the card itself.
fn is_candidate(path: &str) -> bool {
    !path.split('/').any(|c| c.starts_with('.') || c.starts_with("__")) && Format::detect(path).is_some()
}

/// The layout from a `configs:` block of the card (`card` is the whole README.md), if any.
pub fn from_card(card: &str, files: &[DataFile]) -> Result<Option<Vec<Config>>> {
    let Some(yaml) = front_matter(card) else { return Ok(None) };
    let doc: Yaml = serde_yaml_ng::from_str(yaml).map_err(|e| DataError::BadCard { reason: e.to_string() })?;
    let Some(list) = doc.get("configs") else { return Ok(None) };
    let list = list.as_sequence().ok_or_else(|| DataError::BadCard { reason: "`configs` must be a list".into() })?;
    let mut configs = Vec::new();
    for entry in list {
        let name = entry.get("config_name").and_then(Yaml::as_str).unwrap_or("default").to_string();
        let default = entry.get("default").and_then(Yaml::as_bool).unwrap_or(false);
        let bad = |reason: &str| DataError::BadCard { reason: format!("config `{name}`: {reason}") };
        let patterns: Vec<(String, Vec<String>)> = match entry.get("data_files") {
            None => vec![("train".into(), vec!["**".into()])],
            Some(Yaml::String(p)) => vec![("train".into(), vec![p.clone()])],
            Some(Yaml::Sequence(items)) if items.iter().all(Yaml::is_string) => {
                vec![("train".into(), items.iter().filter_map(Yaml::as_str).map(str::to_string).collect())]
            }
            Some(Yaml::Sequence(items)) => items
                .iter()
                .map(|i| {
                    let split = i
                        .get("split")
                        .and_then(Yaml::as_str)
                        .ok_or_else(|| bad("a data_files entry has no `split`"))?;
                    Ok((
                        split.to_string(),
                        yaml_strings(i.get("path")).ok_or_else(|| bad("a data_files entry has no `path`"))?,
                    ))
                })
                .collect::<Result<_>>()?,
            Some(Yaml::Mapping(m)) => m
                .iter()
                .map(|(k, v)| {
                    let split = k.as_str().ok_or_else(|| bad("split names must be strings"))?;
                    Ok((split.to_string(), yaml_strings(Some(v)).ok_or_else(|| bad("invalid paths"))?))
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(bad("`data_files` must be a string, a list or a mapping")),
        };
        let mut splits = Vec::new();
        for (split, globs) in patterns {
            let matched = match_globs(&globs, files).map_err(|e| bad(&e))?;
            splits.push(Split { name: split, files: matched });
        }
        configs.push(Config { name, default, splits });
    }
    Ok(Some(configs))
}

fn yaml_strings(v: Option<&Yaml>) -> Option<Vec<String>> {
    match v? {
        Yaml::String(s) => Some(vec![s.clone()]),
        Yaml::Sequence(items) => items.iter().map(|i| i.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

/// The YAML between the leading `---` lines of a card.
fn front_matter(card: &str) -> Option<&str> {
    let card = card.strip_prefix('\u{feff}').unwrap_or(card);
    let rest = card.strip_prefix("---")?.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n'))?;
    let end = rest.find("\n---").map(|i| i + 1)?;
    Some(&rest[..end])
}

/// fsspec-style globs (`*` within a folder, `**` across folders) over the repo's data files.
fn match_globs(globs: &[String], files: &[DataFile]) -> std::result::Result<Vec<DataFile>, String> {
    let mut set = GlobSetBuilder::new();
    for g in globs {
        let g = g.trim_start_matches("./");
        set.add(GlobBuilder::new(g).literal_separator(true).build().map_err(|e| e.to_string())?);
    }
    let set = set.build().map_err(|e| e.to_string())?;
    Ok(files.iter().filter(|f| set.is_match(&f.path)).cloned().collect())
}

/// Whether a file belongs to a split keyword.
type KeywordMatch = dyn Fn(&DataFile, &str) -> bool;

/// `datasets`' split keywords (its `SPLIT_KEYWORDS`).
const SPLIT_KEYWORDS: &[(&str, &[&str])] = &[
    ("train", &["train", "training"]),
    ("validation", &["validation", "valid", "dev", "val"]),
    ("test", &["test", "testing", "eval", "evaluation"]),
];

fn is_sep(c: char) -> bool {
    matches!(c, '-' | '.' | '_' | ' ') || c.is_ascii_digit()
}

/// `keyword` as a whole word of `name`: at the start or after a separator, and followed by a
/// separator (or the end, for folder names).
fn has_keyword(name: &str, keyword: &str, is_dir: bool) -> bool {
    let lower = name.to_lowercase();
    let mut start = 0;
    while let Some(i) = lower[start..].find(keyword) {
        let at = start + i;
        let before_ok = at == 0 || lower[..at].chars().last().is_some_and(is_sep);
        let after = &lower[at + keyword.len()..];
        let after_ok = if is_dir { after.is_empty() } else { after.chars().next().is_some_and(is_sep) };
        if before_ok && after_ok {
            return true;
        }
        start = at + keyword.len();
    }
    false
}

/// The sharded naming `data/{split}-00000-of-00003.parquet` gives any split name.
fn sharded_split(path: &str) -> Option<&str> {
    let name = path.strip_prefix("data/")?;
    if name.contains('/') {
        return None;
    }
    let (split, rest) = name.split_once('-')?;
    let b = rest.as_bytes();
    let shard = b.len() > 15
        && b[..5].iter().all(u8::is_ascii_digit)
        && &rest[5..9] == "-of-"
        && b[9..14].iter().all(u8::is_ascii_digit);
    (shard && !split.is_empty()).then_some(split)
}

/// Splits from file names, as `datasets` infers them without a card: sharded names, then split
/// folders, then split words in file names, else everything is `train`.
pub fn from_conventions(files: &[DataFile]) -> Vec<Config> {
    let data: Vec<&DataFile> = files.iter().filter(|f| is_candidate(&f.path)).collect();
    if data.is_empty() {
        return Vec::new();
    }
    let mut splits: Vec<Split> = Vec::new();
    let mut push = |name: &str, f: &DataFile| match splits.iter_mut().find(|s| s.name == name) {
        Some(s) => s.files.push(f.clone()),
        None => splits.push(Split { name: name.to_string(), files: vec![f.clone()] }),
    };
    if data.iter().any(|f| sharded_split(&f.path).is_some()) {
        for f in &data {
            if let Some(s) = sharded_split(&f.path) {
                push(s, f);
            }
        }
    } else {
        let by_dir = |f: &DataFile, kw: &str| {
            let parts: Vec<&str> = f.path.split('/').collect();
            parts[..parts.len() - 1].iter().any(|d| has_keyword(d, kw, true))
        };
        let by_name = |f: &DataFile, kw: &str| has_keyword(f.path.rsplit('/').next().unwrap_or(""), kw, false);
        let matcher: Option<&KeywordMatch> =
            if data.iter().any(|f| SPLIT_KEYWORDS.iter().any(|(_, kws)| kws.iter().any(|k| by_dir(f, k)))) {
                Some(&by_dir)
            } else if data.iter().any(|f| SPLIT_KEYWORDS.iter().any(|(_, kws)| kws.iter().any(|k| by_name(f, k)))) {
                Some(&by_name)
            } else {
                None
            };
        match matcher {
            Some(m) => {
                for (split, kws) in SPLIT_KEYWORDS {
                    for f in &data {
                        if kws.iter().any(|k| m(f, k)) {
                            push(split, f);
                        }
                    }
                }
            }
            None => data.iter().for_each(|f| push("train", f)),
        }
    }
    vec![Config { name: "default".into(), default: true, splits }]
}

/// The layout of the `refs/convert/parquet` branch: `{config}/{split}/NNNN.parquet` (also the
/// older `{config}/partial-{split}/` and `{config}/{name}-{split}.parquet` forms).
pub fn from_parquet_branch(files: &[DataFile]) -> Vec<Config> {
    let mut configs: Vec<Config> = Vec::new();
    for f in files.iter().filter(|f| f.path.ends_with(".parquet")) {
        let parts: Vec<&str> = f.path.split('/').collect();
        let (config, split) = match parts.as_slice() {
            [c, s, _] => (*c, s.strip_prefix("partial-").unwrap_or(s)),
            [c, file] => (*c, file.trim_end_matches(".parquet").rsplit('-').next().unwrap_or("train")),
            _ => continue,
        };
        let cfg = match configs.iter_mut().position(|c| c.name == config) {
            Some(i) => &mut configs[i],
            None => {
                configs.push(Config { name: config.to_string(), default: config == "default", splits: Vec::new() });
                configs.last_mut().expect("just pushed")
            }
        };
        match cfg.splits.iter_mut().find(|s| s.name == split) {
            Some(s) => s.files.push(f.clone()),
            None => cfg.splits.push(Split { name: split.to_string(), files: vec![f.clone()] }),
        }
    }
    configs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> Vec<DataFile> {
        paths.iter().map(|p| DataFile { path: (*p).into(), size: 1 }).collect()
    }

    fn picture(configs: &[Config]) -> Vec<(String, String, Vec<String>)> {
        configs
            .iter()
            .flat_map(|c| {
                c.splits
                    .iter()
                    .map(|s| (c.name.clone(), s.name.clone(), s.files.iter().map(|f| f.path.clone()).collect()))
            })
            .collect()
    }

    fn one(c: &str, s: &str, f: &[&str]) -> (String, String, Vec<String>) {
        (c.into(), s.into(), f.iter().map(|x| (*x).to_string()).collect())
    }

    #[test]
    fn conventions_like_datasets() {
        let c = from_conventions(&files(&[
            "README.md",
            ".gitattributes",
            "data/train-00000-of-00002.parquet",
            "data/train-00001-of-00002.parquet",
            "data/test-00000-of-00001.parquet",
        ]));
        assert_eq!(
            picture(&c),
            [
                one("default", "train", &["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]),
                one("default", "test", &["data/test-00000-of-00001.parquet"])
            ]
        );
        let c = from_conventions(&files(&["train.jsonl", "dev.jsonl.gz", "my_test_set.csv", "notes.txt"]));
        assert_eq!(
            picture(&c),
            [
                one("default", "train", &["train.jsonl"]),
                one("default", "validation", &["dev.jsonl.gz"]),
                one("default", "test", &["my_test_set.csv"])
            ]
        );
        let c = from_conventions(&files(&["train/a.jsonl", "train/b.jsonl", "eval/x.jsonl", "attest.jsonl"]));
        assert_eq!(
            picture(&c),
            [one("default", "train", &["train/a.jsonl", "train/b.jsonl"]), one("default", "test", &["eval/x.jsonl"])]
        );
        // No split words: everything is train; "contest" is not "test".
        let c = from_conventions(&files(&["data/HumanEval.jsonl.gz", "contest.csv"]));
        assert_eq!(picture(&c), [one("default", "train", &["data/HumanEval.jsonl.gz", "contest.csv"])]);
        assert!(from_conventions(&files(&["README.md", "model.bin"])).is_empty());
    }

    #[test]
    fn card_configs_with_every_data_files_form() {
        let card = "---\nlicense: mit\nconfigs:\n- config_name: main\n  default: true\n  data_files:\n  - split: train\n    path: main/train-*.parquet\n  - split: test\n    path:\n    - main/test.parquet\n- config_name: extra\n  data_files: extra/*.jsonl\n- config_name: mapped\n  data_files:\n    train: m/a.csv\n---\n# Card\n";
        let fs = files(&[
            "main/train-0.parquet",
            "main/train-1.parquet",
            "main/sub/train-9.parquet",
            "main/test.parquet",
            "extra/x.jsonl",
            "m/a.csv",
        ]);
        let c = from_card(card, &fs).unwrap().unwrap();
        assert_eq!(
            picture(&c),
            [
                one("main", "train", &["main/train-0.parquet", "main/train-1.parquet"]),
                one("main", "test", &["main/test.parquet"]),
                one("extra", "train", &["extra/x.jsonl"]),
                one("mapped", "train", &["m/a.csv"]),
            ]
        );
        assert!(c[0].default);
        assert!(from_card("# no front matter", &fs).unwrap().is_none());
        assert!(from_card("---\nlicense: mit\n---\n", &fs).unwrap().is_none());
        assert!(matches!(from_card("---\nconfigs: 3\n---\n", &fs), Err(DataError::BadCard { .. })));
    }

    #[test]
    fn parquet_conversion_branch() {
        let c = from_parquet_branch(&files(&[
            "default/train/0000.parquet",
            "default/train/0001.parquet",
            "default/partial-test/0000.parquet",
            "other/validation/0000.parquet",
            ".gitattributes",
        ]));
        assert_eq!(
            picture(&c),
            [
                one("default", "train", &["default/train/0000.parquet", "default/train/0001.parquet"]),
                one("default", "test", &["default/partial-test/0000.parquet"]),
                one("other", "validation", &["other/validation/0000.parquet"]),
            ]
        );
    }
}
