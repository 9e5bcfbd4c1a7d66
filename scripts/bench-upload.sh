#!/usr/bin/env bash
# Side-by-side upload benchmark: hfx vs huggingface_hub's `hf upload` (2.4.0, LFS path with
# HF_HUB_DISABLE_XET=1) against a fresh local fake Hub per run. Scenarios: a 1 GiB file and a
# 2,000-file folder. Needs hyperfine. Results: target/bench-upload/*.json and a summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "install hyperfine first (apt-get install hyperfine)" >&2; exit 2; }
runs=${RUNS:-5}
cargo build --release --locked --bin hfx --example fake_hub >&2
venv=${HFX_HF_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci/venv-hf}
[ -x "$venv/bin/hf" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q huggingface_hub==2.4.0; }
work=${BENCH_DIR:-$root/target/bench-upload}
mkdir -p "$work/big" "$work/many"
[ -s "$work/big/model.safetensors" ] || head -c $((1 << 30)) /dev/urandom > "$work/big/model.safetensors"
if [ ! -e "$work/many/file-1999.txt" ]; then
    for i in $(seq 0 1999); do head -c $((200 + (i * 37) % 4000)) /dev/urandom | base64 > "$work/many/file-$i.txt"; done
fi
# One run: a fresh fake Hub (so nothing is already stored), one upload, stop the Hub.
cat > "$work/one.sh" <<SH
#!/usr/bin/env bash
set -eu
tool=\$1 dir=\$2
url=\$(mktemp)
"$root/target/release/examples/fake_hub" --token hf_bench_token_000000=bench --repo bench/seed="$work/many" > "\$url" 2>/dev/null &
hub=\$!
trap 'kill \$hub; rm -f \$url' EXIT
while [ ! -s "\$url" ]; do sleep 0.02; done
export HF_ENDPOINT=\$(head -n1 "\$url") HF_TOKEN=hf_bench_token_000000 HF_HOME=$work/home
export HF_HUB_DISABLE_XET=1 HF_HUB_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_UPDATE_CHECK=1 HFX_NO_PROGRESS=1
if [ "\$tool" = hfx ]; then "$root/target/release/hfx" upload bench/up "\$dir" >/dev/null
else "$venv/bin/hf" upload bench/up "\$dir" >/dev/null; fi
SH
chmod +x "$work/one.sh"
for s in big many; do
    hyperfine --runs "$runs" --warmup 1 --export-json "$work/$s.json" -n hfx "$work/one.sh hfx $work/$s" -n hf "$work/one.sh hf $work/$s"
done
python3 - "$work" <<'PY'
import json, sys, statistics, pathlib
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    res = {r["command"]: r["times"] for r in json.load(open(f))["results"]}
    ratios = [b / a for a, b in zip(res["hfx"], res["hf"])]
    print(f"{f.stem}: hfx median {statistics.median(res['hfx']):.2f}s, hf median {statistics.median(res['hf']):.2f}s, "
          f"speed-up min {min(ratios):.2f}x median {statistics.median(ratios):.2f}x max {max(ratios):.2f}x")
PY
