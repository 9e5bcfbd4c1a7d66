#!/usr/bin/env bash
# Build hfx with the `cuda` feature on a machine without a GPU, to show the decoder compiles for
# candle's CUDA backend, and check that the binary still runs on the CPU and that
# `--device cuda` there is a clear error rather than a crash.
# Needs a CUDA toolkit (nvcc, headers, libcuda/libcublas/libcurand/libnvrtc to link against):
# on Debian 12, `apt-get install nvidia-cuda-toolkit` from `non-free` (CUDA 11.8). candle's
# kernels are compiled to PTX for CUDA_COMPUTE_CAP (default 80: A100; no nvidia-smi to ask).
# Not part of CI (no toolkit there, and it adds ~10 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvcc >/dev/null || { echo "nvcc not found: install a CUDA toolkit" >&2; exit 2; }
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-80}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/cuda}
cargo build --locked --features cuda --bin hfx
HFX=$CARGO_TARGET_DIR/debug/hfx
MODEL=${MODEL:-fixtures/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
"$HFX" env --json | python3 -c 'import json,sys; f=json.load(sys.stdin)["features"]; assert "cuda" in f, f' \
  || { echo "the build does not report the cuda feature" >&2; exit 1; }
echo "== CPU run with the cuda build"
HF_HUB_OFFLINE=1 "$HFX" run "$MODEL" "The capital of France is" --raw --max-new-tokens 8 --temperature 0
echo "== --device cuda without a usable GPU (expect a clear error, exit 1)"
set +e
HF_HUB_OFFLINE=1 "$HFX" run "$MODEL" "hi" --device cuda --max-new-tokens 1
rc=$?
set -e
if nvidia-smi >/dev/null 2>&1; then
  [ "$rc" = 0 ] || { echo "exit $rc on a machine with a GPU" >&2; exit 1; }
else
  [ "$rc" = 1 ] || { echo "expected exit 1 without a GPU, got $rc" >&2; exit 1; }
fi
echo "ok"
