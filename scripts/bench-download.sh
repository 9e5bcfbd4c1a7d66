#!/usr/bin/env bash
# Side-by-side download benchmark: hfx vs huggingface_hub's `hf download` (2.4.0) against the
# same local fake Hub. Scenarios:
#   a) one 1 GiB LFS file            b) a repo of 500 small files
#   c) the 1 GiB file with a 40 MB/s per-connection cap   d) re-download of a cached pinned snapshot
# Needs hyperfine (Debian: apt-get install hyperfine). Results: target/bench/*.json and a summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 2; }
runs=${RUNS:-5}

cargo build --release --locked --bin hfx --example fake_hub >&2
hfx=$root/target/release/hfx
hub=$root/target/release/examples/fake_hub
venv=${HFX_HF_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci/venv-hf}
[ -x "$venv/bin/hf" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q huggingface_hub==2.4.0; }
hf=$venv/bin/hf

work=${BENCH_DIR:-$root/target/bench}
mkdir -p "$work/big" "$work/many"
[ -s "$work/big/model.safetensors" ] || head -c $((1 << 30)) /dev/urandom > "$work/big/model.safetensors"
if [ ! -e "$work/many/file-499.txt" ]; then
    for i in $(seq 0 499); do head -c $((1000 + (i * 37) % 20000)) /dev/urandom | base64 > "$work/many/file-$i.txt"; done
fi

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
start_hub() { # start_hub OUTFILE ARGS...
    local out=$1; shift
    "$hub" "$@" > "$out" & pids+=($!)
    for _ in $(seq 300); do [ -s "$out" ] && break; sleep 0.1; done
    head -n1 "$out"
}
fast=$(start_hub "$work/fast.url" --repo "bench/big=$work/big" --repo "bench/many=$work/many")
slow=$(start_hub "$work/slow.url" --repo "bench/big=$work/big" --bandwidth $((40 * 1000 * 1000)))

export HF_HUB_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_UPDATE_CHECK=1 HF_HUB_DISABLE_XET=1 HFX_NO_PROGRESS=1
bench() { # bench NAME ENDPOINT REPO
    local name=$1 ep=$2 repo=$3
    hyperfine --runs "$runs" --warmup 1 --export-json "$work/$name.json" \
        --prepare "rm -rf $work/cache-hfx $work/cache-hf" \
        -n hfx "HF_ENDPOINT=$ep HF_HUB_CACHE=$work/cache-hfx $hfx download $repo" \
        -n hf "HF_ENDPOINT=$ep HF_HUB_CACHE=$work/cache-hf $hf download $repo"
}
bench a-1gib "$fast" bench/big
bench b-500-files "$fast" bench/many
bench c-1gib-40mbps "$slow" bench/big

# d) cached, pinned snapshot: no network call at all.
commit=$(HF_ENDPOINT=$fast HF_HUB_CACHE=$work/cache-hfx "$hfx" download bench/many --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["commit"])')
hyperfine --runs 20 --warmup 2 --export-json "$work/d-cached.json" \
    -n hfx-cached "HF_ENDPOINT=http://127.0.0.1:9 HF_HUB_CACHE=$work/cache-hfx $hfx download bench/many --revision $commit"

python3 - "$work" <<'PY'
import json, sys, statistics, pathlib
work = pathlib.Path(sys.argv[1])
for f in sorted(work.glob("*.json")):
    res = {r["command"]: r["times"] for r in json.load(open(f))["results"]}
    if "hf" in res:
        ratios = [b / a for a, b in zip(res["hfx"], res["hf"])]
        print(f"{f.stem}: hfx median {statistics.median(res['hfx']):.3f}s, hf median {statistics.median(res['hf']):.3f}s, "
              f"speed-up min {min(ratios):.2f}x median {statistics.median(ratios):.2f}x max {max(ratios):.2f}x")
    else:
        t = res["hfx-cached"]
        print(f"{f.stem}: median {statistics.median(t)*1000:.1f} ms (min {min(t)*1000:.1f}, max {max(t)*1000:.1f})")
PY
