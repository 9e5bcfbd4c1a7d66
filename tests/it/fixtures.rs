//! The real PyPI-shipped fixtures served from the fake Hub under their Hub names.

use std::path::PathBuf;

use crate::common::*;

/// sha256 of the GGUF, from `../shared/reference/smollm2/model.json`.
const SMOLLM2_GGUF_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

pub(crate) fn serve_fixtures(env: &TestEnv) -> (String, String, String) {
    let f = fixtures_dir();
    let gguf = env.hub.add_repo(
        RepoSpec::new(RepoType::Model, "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF")
            .gitattributes()
            .file("README.md", "---\nlicense: apache-2.0\nbase_model: HuggingFaceTB/SmolLM2-135M-Instruct\n---\n")
            .file_from_disk("smollm2-135m-instruct-q4_1.gguf", f.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
            .tags(&["gguf", "llama", "text-generation"])
            .library_name("gguf"),
    );
    let minilm = env.hub.add_repo(
        RepoSpec::new(RepoType::Model, "sentence-transformers/all-MiniLM-L6-v2")
            .dir(f.join("minilm"))
            .tags(&["sentence-transformers", "bert", "feature-extraction"])
            .pipeline_tag("sentence-similarity"),
    );
    let humaneval = env.hub.add_repo(
        RepoSpec::new(RepoType::Dataset, "openai/openai_humaneval")
            .gitattributes()
            .file("README.md", "---\nlicense: mit\n---\n# HumanEval\n")
            .file_from_disk("data/HumanEval.jsonl.gz", f.join("humaneval/HumanEval.jsonl.gz")),
    );
    (gguf, minilm, humaneval)
}

#[test]
fn real_models_download_and_verify() {
    let env = TestEnv::new();
    let (gguf_commit, _, _) = serve_fixtures(&env);
    let path = PathBuf::from(env.ok(&["download", "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", "--include", "*.gguf"]));
    assert!(path.ends_with(&gguf_commit));
    let gguf = path.join("smollm2-135m-instruct-q4_1.gguf");
    let blob = fs_err::canonicalize(&gguf).unwrap();
    assert_eq!(blob.file_name().unwrap().to_str().unwrap(), SMOLLM2_GGUF_SHA256, "blob named by the reference sha256");
    assert_eq!(&fs_err::read(&gguf).unwrap()[..4], b"GGUF");

    let minilm = PathBuf::from(env.ok(&["download", "sentence-transformers/all-MiniLM-L6-v2"]));
    for f in ["config.json", "tokenizer.json", "model.safetensors", "1_Pooling/config.json", "modules.json"] {
        assert!(minilm.join(f).is_file(), "{f}");
    }
    assert_eq!(
        fs_err::read(minilm.join("model.safetensors")).unwrap(),
        fs_err::read(fixtures_dir().join("minilm/model.safetensors")).unwrap()
    );
    let ds = PathBuf::from(env.ok(&["download", "openai/openai_humaneval", "--repo-type", "dataset"]));
    assert!(ds.join("data/HumanEval.jsonl.gz").is_file());
    for repo in [
        &["HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"][..],
        &["sentence-transformers/all-MiniLM-L6-v2"],
        &["openai/openai_humaneval", "--repo-type", "dataset"],
    ] {
        let mut args = vec!["cache", "verify"];
        args.extend_from_slice(repo);
        env.ok(&args);
    }
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["search", "--filter", "gguf", "--json"])).unwrap();
    assert_eq!(v[0]["id"], "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF");
}
