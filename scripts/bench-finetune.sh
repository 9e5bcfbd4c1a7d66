#!/usr/bin/env bash
# hfx finetune against transformers + PEFT on this machine, same settings: SmolLM2-135M-Instruct in
# f32 (the PyPI GGUF converted by `hfx convert`), LoRA r=8 alpha 16 dropout 0.05 on q_proj/v_proj,
# AdamW lr 2e-4, 4 records of 256 tokens per step (HumanEval prompts and solutions as text), 2 threads.
# Alternates the two RUNS times and prints each run's steady tokens/s (steps after the first) and peak
# RSS, then min/median/max of both and of the ratios.
#   scripts/bench-finetune.sh [RUNS=3] [STEPS=8] [HFX FINETUNE ARGS...]   (e.g. --matmul-precision highest)
# PEFT_PRECISION=bf16 runs PEFT's forward under torch.autocast bf16 (TRL's bf16=True), the
# counterpart of `--matmul-precision medium`.
# Needs the PEFT venv scripts/test.sh installs (or HFX_PEFT_PYTHON) and a release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${1:-3}
steps=${2:-8}
shift $(($# < 2 ? $# : 2))
python=${HFX_PEFT_PYTHON:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci/venv-peft/bin/python}
scripts/fetch-fixtures.sh >/dev/null
cargo build --release --locked -q
hfx=target/release/hfx
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model="$work/smollm2-f32"
"$hfx" convert fixtures/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --to safetensors "$model" -q >/dev/null
"$python" - "$work/data.jsonl" <<'PY'
import gzip, json, sys
rows = [json.loads(l) for l in gzip.open("fixtures/humaneval/HumanEval.jsonl.gz")]
with open(sys.argv[1], "w") as f:
    for r in rows:
        t = r["prompt"] + r["canonical_solution"]
        while len(t) < 2000:
            t = t + "\n" + t
        f.write(json.dumps({"text": t}) + "\n")
PY
peak() { awk '/Maximum resident/ {printf "%.0f", $6 / 1024}' "$1"; }
: > "$work/results"
for i in $(seq "$runs"); do
    rm -rf "$work/out"
    RAYON_NUM_THREADS=2 /usr/bin/time -v "$hfx" finetune "$model" --lora --data "$work/data.jsonl" --output "$work/out" \
        --max-steps "$steps" --batch-size 4 --max-seq-len 256 --seed 42 -q "$@" >/dev/null 2>"$work/time-hfx"
    h=$("$python" -c 'import json,sys; s=[json.loads(l) for l in open(sys.argv[1]) if "\"loss\"" in l][1:]; print(sum(x["tokens"] for x in s)/sum(x["tokens"]/x["tokens_per_s"] for x in s))' "$work/out/training_log.jsonl")
    /usr/bin/time -v "$python" scripts/bench-finetune-peft.py "$model" "$work/data.jsonl" "$steps" 4 256 "${PEFT_PRECISION:-f32}" >"$work/peft.json" 2>"$work/time-peft"
    p=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens_per_s"])' "$work/peft.json")
    echo "$h $(peak "$work/time-hfx") $p $(peak "$work/time-peft")" | tee -a "$work/results" |
        awk '{printf "run: hfx %.0f tok/s %d MiB | peft %.0f tok/s %d MiB\n", $1, $2, $3, $4}'
done
"$python" - "$work/results" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
def mmm(v): return f"{min(v):.2f}/{statistics.median(v):.2f}/{max(v):.2f}"
print("hfx tokens/s   min/median/max", mmm([r[0] for r in rows]))
print("peft tokens/s  min/median/max", mmm([r[2] for r in rows]))
print("speed ratio hfx/peft        ", mmm([r[0] / r[2] for r in rows]))
print("peak RSS MiB hfx / peft      ", mmm([r[1] for r in rows]), "/", mmm([r[3] for r in rows]))
print("memory ratio hfx/peft       ", mmm([r[1] / r[3] for r in rows]))
PY
