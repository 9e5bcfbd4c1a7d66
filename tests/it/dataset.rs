//! `hfx dataset` on the HumanEval fixture served by the fake Hub in three forms: the original
//! jsonl.gz, parquet with a `configs:` card, and a multi-config multi-split layout built from it.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;
use crate::fixtures::serve_fixtures;

fn humaneval_jsonl() -> Vec<u8> {
    let gz = fs_err::read(fixtures_dir().join("humaneval/HumanEval.jsonl.gz")).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut out).unwrap();
    out
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec()).unwrap().lines().map(str::to_string).collect()
}

fn json(env: &TestEnv, args: &[&str]) -> Value {
    serde_json::from_str(&env.ok(args)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// `hfx dataset export` of the served jsonl form to parquet, used to build the other forms.
fn make_parquet(env: &TestEnv, name: &str) -> PathBuf {
    let out = env.dir.path().join(name);
    env.ok(&["dataset", "export", "openai/openai_humaneval", "--split", "train", "--to", out.to_str().unwrap()]);
    out
}

fn split_rows(info: &Value, config: &str, split: &str) -> u64 {
    let c = info["configs"].as_array().unwrap().iter().find(|c| c["name"] == config).unwrap();
    let s = c["splits"].as_array().unwrap().iter().find(|s| s["name"] == split).unwrap();
    s["num_rows"].as_u64().unwrap()
}

#[test]
fn jsonl_form_info_preview_and_byte_identical_export() {
    let env = TestEnv::new();
    serve_fixtures(&env);
    let info = json(&env, &["dataset", "info", "openai/openai_humaneval", "--json"]);
    assert_eq!(info["source"], "conventions");
    assert_eq!(split_rows(&info, "default", "train"), 164);
    let cols: Vec<&str> =
        info["configs"][0]["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(cols, ["task_id", "prompt", "entry_point", "canonical_solution", "test"]);
    assert_eq!(info["configs"][0]["columns"][0]["type"], "string");
    let file = &info["configs"][0]["splits"][0]["files"][0];
    assert_eq!(file["path"], "data/HumanEval.jsonl.gz");

    let original = humaneval_jsonl();
    let first: Value = serde_json::from_str(&lines(&original)[0]).unwrap();
    let preview = env.ok(&["dataset", "preview", "openai/openai_humaneval", "-n", "3", "--json"]);
    let rows: Vec<Value> = preview.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], first);
    assert_eq!(rows[2]["task_id"], "HumanEval/2");
    // Column selection keeps the order asked for.
    let p = env.ok(&[
        "dataset",
        "preview",
        "openai/openai_humaneval",
        "-n",
        "1",
        "--columns",
        "entry_point,task_id",
        "--json",
    ]);
    assert_eq!(p, r#"{"entry_point":"has_close_elements","task_id":"HumanEval/0"}"#);
    // Human table: one header and n rows, long cells cut.
    let table = env.ok(&["dataset", "preview", "openai/openai_humaneval", "-n", "2"]);
    assert_eq!(table.lines().count(), 3, "{table}");
    assert!(table.lines().next().unwrap().starts_with("task_id"), "{table}");

    let out = env.dir.path().join("out.jsonl");
    env.ok(&["dataset", "export", "openai/openai_humaneval", "--split", "train", "--to", out.to_str().unwrap()]);
    assert_eq!(fs_err::read(&out).unwrap(), original, "jsonl export is not byte-identical");
}

#[test]
fn parquet_form_with_configs_card_round_trips() {
    let env = TestEnv::new();
    serve_fixtures(&env);
    let parquet = make_parquet(&env, "he.parquet");
    assert_eq!(&fs_err::read(&parquet).unwrap()[..4], b"PAR1");
    let card = "---\nlicense: mit\nconfigs:\n- config_name: openai_humaneval\n  data_files:\n  - split: test\n    path: openai_humaneval/test-*\n---\n# HumanEval\n";
    env.hub.add_repo(
        RepoSpec::new(RepoType::Dataset, "acme/humaneval-parquet")
            .gitattributes()
            .file("README.md", card)
            .file_from_disk("openai_humaneval/test-00000-of-00001.parquet", &parquet),
    );
    let info = json(&env, &["dataset", "info", "acme/humaneval-parquet", "--json"]);
    // Row count and columns came from the footer (a Range request), not from the whole file.
    let size = fs_err::metadata(&parquet).unwrap().len();
    let served = env.hub.bytes_served("test-00000-of-00001.parquet");
    assert!(served > 0 && served <= 32 << 10 && served < size, "served {served} of {size} bytes");
    let snaps = env.cache_dir().join("datasets--acme--humaneval-parquet/snapshots");
    let snap = fs_err::read_dir(&snaps).unwrap().next().unwrap().unwrap().path();
    assert!(snap.join("README.md").is_file());
    assert!(!snap.join("openai_humaneval/test-00000-of-00001.parquet").exists());
    assert_eq!(info["source"], "card");
    assert_eq!(info["configs"][0]["name"], "openai_humaneval");
    assert_eq!(split_rows(&info, "openai_humaneval", "test"), 164);
    assert_eq!(info["configs"][0]["columns"][1], serde_json::json!({"name": "prompt", "type": "string"}));

    let original = humaneval_jsonl();
    let preview = env.ok(&["dataset", "preview", "acme/humaneval-parquet", "--split", "test", "-n", "5", "--json"]);
    let want: Vec<Value> = lines(&original)[..5].iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let got: Vec<Value> = preview.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(got, want);

    // parquet -> jsonl gives back the original bytes; parquet -> parquet and -> csv work too.
    let out = env.dir.path().join("back.jsonl");
    env.ok(&["dataset", "export", "acme/humaneval-parquet", "--split", "test", "--to", out.to_str().unwrap()]);
    assert_eq!(fs_err::read(&out).unwrap(), original);
    let pq = env.dir.path().join("copy.parquet");
    env.ok(&["dataset", "export", "acme/humaneval-parquet", "--split", "test", "--to", pq.to_str().unwrap()]);
    let local = env.dir.path().join("local");
    fs_err::create_dir_all(local.join("data")).unwrap();
    fs_err::rename(&pq, local.join("data/test.parquet")).unwrap();
    let info = json(&env, &["dataset", "info", local.to_str().unwrap(), "--json"]);
    assert_eq!(split_rows(&info, "default", "test"), 164);
    let csv = env.dir.path().join("he.csv");
    let res = json(
        &env,
        &["dataset", "export", "acme/humaneval-parquet", "--split", "test", "--to", csv.to_str().unwrap(), "--json"],
    );
    assert_eq!(res["rows"], 164);
    let mut r = csv::Reader::from_path(&csv).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["task_id", "prompt", "entry_point", "canonical_solution", "test"]
    );
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 164);
    assert_eq!(&recs[0][1], want[0]["prompt"].as_str().unwrap());
}

/// Several configs and splits in several formats, built from HumanEval's rows.
fn serve_multi(env: &TestEnv) -> Vec<String> {
    let all = lines(&humaneval_jsonl());
    let dir = env.dir.path().join("multi");
    fs_err::create_dir_all(dir.join("full")).unwrap();
    fs_err::create_dir_all(dir.join("parity")).unwrap();
    let join = |ls: &[String]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    // full: train = rows 0..100 (jsonl, two shards), test = rows 100..164 (zstd jsonl)
    fs_err::write(dir.join("full/train-0.jsonl"), join(&all[..50])).unwrap();
    fs_err::write(dir.join("full/train-1.jsonl"), join(&all[50..100])).unwrap();
    fs_err::write(dir.join("full/test.jsonl.zst"), zstd::encode_all(join(&all[100..]).as_bytes(), 3).unwrap()).unwrap();
    // parity: even rows as csv (train), odd rows as a json array (validation)
    let even: Vec<Value> = all.iter().step_by(2).map(|l| serde_json::from_str(l).unwrap()).collect();
    let odd: Vec<Value> = all.iter().skip(1).step_by(2).map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut w = csv::Writer::from_path(dir.join("parity/even.csv")).unwrap();
    w.write_record(["task_id", "entry_point"]).unwrap();
    for r in &even {
        w.write_record([r["task_id"].as_str().unwrap(), r["entry_point"].as_str().unwrap()]).unwrap();
    }
    w.flush().unwrap();
    fs_err::write(dir.join("parity/odd.json"), serde_json::to_vec(&odd).unwrap()).unwrap();
    let card = "---\nconfigs:\n- config_name: full\n  default: true\n  data_files:\n  - split: train\n    path: full/train-*.jsonl\n  - split: test\n    path: full/test.jsonl.zst\n- config_name: parity\n  data_files:\n    train: parity/even.csv\n    validation: [parity/odd.json]\n---\n";
    fs_err::write(dir.join("README.md"), card).unwrap();
    env.hub.add_repo(RepoSpec::new(RepoType::Dataset, "acme/humaneval-multi").gitattributes().dir(&dir));
    all
}

#[test]
fn multi_config_multi_split_layout() {
    let env = TestEnv::new();
    let all = serve_multi(&env);
    // fetch one config/split: only its files (plus the card) are downloaded; then offline works.
    let path = env.ok(&["dataset", "fetch", "acme/humaneval-multi", "--config", "parity", "--split", "train"]);
    let snap = Path::new(&path);
    assert!(snap.join("parity/even.csv").is_file());
    assert!(snap.join("README.md").is_file());
    assert!(!snap.join("parity/odd.json").exists());
    let local = env.dir.path().join("local-copy");
    env.ok(&[
        "dataset",
        "fetch",
        "acme/humaneval-multi",
        "--config",
        "full",
        "--split",
        "test",
        "--local-dir",
        local.to_str().unwrap(),
    ]);
    assert!(local.join("full/test.jsonl.zst").is_file() && !local.join("full/train-0.jsonl").exists());
    assert!(!fs_err::symlink_metadata(local.join("full/test.jsonl.zst")).unwrap().file_type().is_symlink());
    let before = env.hub.requests("").len();
    let out = env
        .hfx()
        .env("HF_HUB_OFFLINE", "1")
        .args(["dataset", "preview", "acme/humaneval-multi", "--config", "parity", "-n", "1", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"task_id":"HumanEval/0","entry_point":"has_close_elements"}"#
    );
    assert_eq!(env.hub.requests("").len(), before, "offline preview made requests");
    let info = json(&env, &["dataset", "info", "acme/humaneval-multi", "--json"]);
    assert_eq!(split_rows(&info, "full", "train"), 100);
    assert_eq!(split_rows(&info, "full", "test"), 64);
    assert_eq!(split_rows(&info, "parity", "train"), 82);
    assert_eq!(split_rows(&info, "parity", "validation"), 82);
    let parity = info["configs"].as_array().unwrap().iter().find(|c| c["name"] == "parity").unwrap();
    assert_eq!(
        parity["columns"],
        serde_json::json!([{"name": "task_id", "type": "string"}, {"name": "entry_point", "type": "string"}])
    );

    // Default config, named split; the zstd file is read through.
    let p = env.ok(&[
        "dataset",
        "preview",
        "acme/humaneval-multi",
        "--split",
        "test",
        "-n",
        "1",
        "--columns",
        "task_id",
        "--json",
    ]);
    assert_eq!(p, r#"{"task_id":"HumanEval/100"}"#);
    let p = env.ok(&[
        "dataset",
        "preview",
        "acme/humaneval-multi",
        "--config",
        "parity",
        "--split",
        "validation",
        "-n",
        "2",
        "--columns",
        "task_id",
        "--json",
    ]);
    assert_eq!(p, "{\"task_id\":\"HumanEval/1\"}\n{\"task_id\":\"HumanEval/3\"}");
    // Preview across shard boundaries: rows 48..52 come from two files.
    let p = env.ok(&["dataset", "preview", "acme/humaneval-multi", "-n", "52", "--columns", "task_id", "--json"]);
    assert_eq!(p.lines().nth(51).unwrap(), r#"{"task_id":"HumanEval/51"}"#);

    // Export of a two-shard split concatenates in order, byte for byte.
    let out = env.dir.path().join("train.jsonl");
    env.ok(&["dataset", "export", "acme/humaneval-multi", "--split", "train", "--to", out.to_str().unwrap()]);
    assert_eq!(lines(&fs_err::read(&out).unwrap()), all[..100]);
}

#[test]
fn parquet_conversion_branch_is_the_fallback() {
    let env = TestEnv::new();
    serve_fixtures(&env);
    let parquet = make_parquet(&env, "conv.parquet");
    env.hub.add_repo(
        RepoSpec::new(RepoType::Dataset, "acme/scripted")
            .gitattributes()
            .file("README.md", "---\nlicense: mit\n---\n")
            .file("scripted.py", "# a loading script hfx does not run\n"),
    );
    env.hub.commit(
        RepoType::Dataset,
        "acme/scripted",
        "refs/convert/parquet",
        vec![("default/test/0000.parquet".into(), FileSource::Path(parquet))],
        &["README.md", "scripted.py", ".gitattributes"],
        "parquet conversion",
    );
    let info = json(&env, &["dataset", "info", "acme/scripted", "--json"]);
    assert_eq!(info["source"], "parquet_conversion");
    assert_eq!(info["revision"], "refs/convert/parquet");
    assert_eq!(split_rows(&info, "default", "test"), 164);
}

#[test]
fn bad_input_is_a_clear_error() {
    let env = TestEnv::new();
    serve_fixtures(&env);
    let (code, _, err) = env.run(&["dataset", "preview", "openai/openai_humaneval", "--split", "validation"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("split `validation` does not exist") && err.contains("hint: available splits: train"),
        "{err}"
    );

    let (code, _, err) = env.run(&["dataset", "info", "nobody/nothing"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nobody/nothing") && err.contains("hint:"), "{err}");

    // A corrupt parquet file: named, exit 1, no panic.
    let dir = env.dir.path().join("corrupt");
    fs_err::create_dir_all(dir.join("data")).unwrap();
    let mut bytes = fs_err::read(make_parquet(&env, "ok.parquet")).unwrap();
    let n = bytes.len();
    bytes[n / 2..n - 8].fill(0x5a);
    fs_err::write(dir.join("data/train.parquet"), &bytes).unwrap();
    let (code, _, err) = env.run(&["dataset", "info", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("data/train.parquet") && err.contains("hint:"), "{err}");
    let (code, _, err) = env.run(&["dataset", "preview", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("train.parquet"), "{err}");

    // Invalid UTF-8 and invalid JSON in jsonl: file and line number.
    let dir = env.dir.path().join("badjsonl");
    fs_err::create_dir_all(&dir).unwrap();
    fs_err::write(dir.join("train.jsonl"), b"{\"a\": 1}\n{\"a\": 2}\n{\"a\": \"\xff\"}\n").unwrap();
    let out = env.dir.path().join("x.jsonl");
    let (code, _, err) =
        env.run(&["dataset", "export", dir.to_str().unwrap(), "--split", "train", "--to", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("train.jsonl") && err.contains("line 3") && err.contains("UTF-8") && err.contains("hint:"),
        "{err}"
    );
    assert!(!out.exists(), "a failed export left {}", out.display());
    assert!(
        fs_err::read_dir(env.dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".hfx-export"))
    );
    fs_err::write(dir.join("train.jsonl"), b"{\"a\": 1}\n{\"a\": 2,}\n").unwrap();
    let (code, _, err) = env.run(&["dataset", "preview", dir.to_str().unwrap(), "--json"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line 2") && err.contains("invalid JSON"), "{err}");

    let (code, _, err) =
        env.run(&["dataset", "export", "openai/openai_humaneval", "--split", "train", "--to", "x.xlsx"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unsupported output") && err.contains("hint:"), "{err}");
}

/// Plain text files are datasets of one `text` column, one row per line (blank lines kept, line
/// ends dropped, as `datasets`' text builder reads them); `export --to .tsv` writes exactly these
/// rows, quoting only cells that hold a tab or a quote, and a TSV file reads back as a dataset.
#[test]
fn text_files_read_as_rows_and_export_to_tsv_exactly() {
    let env = TestEnv::new();
    let train = "first line\n\nsecond\twith a tab\n\"quoted\" line\r\nnaïve café 🦀\nlast line, no newline";
    env.hub.add_repo(
        RepoSpec::new(RepoType::Dataset, "acme/notes")
            .gitattributes()
            .file("README.md", "---\nlicense: mit\n---\n")
            .file("train.txt", train)
            .file("test.txt", "only one\n"),
    );
    let info = json(&env, &["dataset", "info", "acme/notes", "--json"]);
    assert_eq!(split_rows(&info, "default", "train"), 6);
    assert_eq!(split_rows(&info, "default", "test"), 1);
    assert_eq!(info["configs"][0]["columns"], serde_json::json!([{"name": "text", "type": "string"}]));

    let jsonl = env.dir.path().join("train.jsonl");
    env.ok(&["dataset", "export", "acme/notes", "--split", "train", "--to", jsonl.to_str().unwrap()]);
    let want_jsonl = concat!(
        "{\"text\": \"first line\"}\n",
        "{\"text\": \"\"}\n",
        "{\"text\": \"second\\twith a tab\"}\n",
        "{\"text\": \"\\\"quoted\\\" line\"}\n",
        "{\"text\": \"na\\u00efve caf\\u00e9 \\ud83e\\udd80\"}\n",
        "{\"text\": \"last line, no newline\"}\n",
    );
    assert_eq!(fs_err::read_to_string(&jsonl).unwrap(), want_jsonl);

    let tsv = env.dir.path().join("train.tsv");
    let v =
        json(&env, &["dataset", "export", "acme/notes", "--split", "train", "--to", tsv.to_str().unwrap(), "--json"]);
    assert_eq!(v["rows"], 6);
    let want_tsv = concat!(
        "text\n",
        "first line\n",
        "\"\"\n",
        "\"second\twith a tab\"\n",
        "\"\"\"quoted\"\" line\"\n",
        "naïve café 🦀\n",
        "last line, no newline\n",
    );
    assert_eq!(fs_err::read_to_string(&tsv).unwrap(), want_tsv);
    let test = env.dir.path().join("test.tsv");
    env.ok(&["dataset", "export", "acme/notes", "--split", "test", "--to", test.to_str().unwrap()]);
    assert_eq!(fs_err::read_to_string(&test).unwrap(), "text\nonly one\n");

    // The TSV is a dataset again: the same rows, back to the same JSON lines, except that an
    // empty cell reads as null (as `datasets`' CSV builder, through pandas, reads it).
    let local = env.dir.path().join("local");
    fs_err::create_dir_all(&local).unwrap();
    fs_err::copy(&tsv, local.join("train.tsv")).unwrap();
    let back = env.dir.path().join("back.jsonl");
    env.ok(&["dataset", "export", local.to_str().unwrap(), "--split", "train", "--to", back.to_str().unwrap()]);
    assert_eq!(fs_err::read_to_string(&back).unwrap(), want_jsonl.replace("{\"text\": \"\"}", "{\"text\": null}"));
}

/// `dataset fetch --include` keeps only the data files its globs match (fnmatch: `*` crosses
/// `/`; several patterns add up), plus the card; nothing else is requested.
#[test]
fn fetch_include_downloads_only_the_matching_data_files() {
    let env = TestEnv::new();
    serve_multi(&env);
    let files_under = |root: &Path| -> Vec<String> {
        tree_picture(root).into_iter().filter(|(_, k)| k != "dir").map(|(p, _)| p).collect()
    };
    env.hub.clear_log();
    let v = json(&env, &["dataset", "fetch", "acme/humaneval-multi", "--include", "full/train-*", "--json"]);
    let listed: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(listed, ["full/train-0.jsonl", "full/train-1.jsonl"]);
    let snap = PathBuf::from(v["path"].as_str().unwrap());
    assert_eq!(files_under(&snap), ["README.md", "full/train-0.jsonl", "full/train-1.jsonl"]);
    let log = env.hub.log();
    let fetched: Vec<&str> = log.iter().filter(|r| r.path.contains("/resolve")).map(|r| r.path.as_str()).collect();
    assert!(
        fetched.iter().all(|p| !p.contains("test.jsonl.zst") && !p.contains("parity")),
        "files outside --include were requested: {fetched:?}"
    );

    let local = env.dir.path().join("picked");
    let v = json(
        &env,
        &[
            "dataset",
            "fetch",
            "acme/humaneval-multi",
            "--include",
            "*.csv",
            "--include",
            "*.zst",
            "--local-dir",
            local.to_str().unwrap(),
            "--json",
        ],
    );
    let listed: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(listed, ["full/test.jsonl.zst", "parity/even.csv"]);
    let got: Vec<String> = files_under(&local).into_iter().filter(|p| !p.starts_with(".cache")).collect();
    assert_eq!(got, ["README.md", "full/test.jsonl.zst", "parity/even.csv"]);
    assert_eq!(
        fs_err::read(local.join("parity/even.csv")).unwrap(),
        fs_err::read(env.dir.path().join("multi/parity/even.csv")).unwrap()
    );

    // A pattern that matches no data file fetches none (only the card).
    let v = json(&env, &["dataset", "fetch", "acme/humaneval-multi", "--include", "*.parquet", "--json"]);
    assert_eq!(v["files"], serde_json::json!([]));
}
