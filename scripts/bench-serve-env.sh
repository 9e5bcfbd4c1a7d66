# Sourced by scripts/bench-serve.sh and scripts/bench-structured.sh: the repository root, the
# fixtures, and the settings both read (MODEL, THREADS, CLIENTS, TOKENS, ROUNDS, PYTHON, HFX_BIN).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
fixtures=$(scripts/fetch-fixtures.sh)
model=${MODEL:-$fixtures/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
threads=${THREADS:-2} clients=${CLIENTS:-8} tokens=${TOKENS:-96} rounds=${ROUNDS:-3}
python=${PYTHON:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci/venv-hf/bin/python}  # has httpx2 (from openai, scripts/test.sh)
hfx=${HFX_BIN:-$root/target/release/hfx}
[ -x "$hfx" ] || cargo build --release --locked
