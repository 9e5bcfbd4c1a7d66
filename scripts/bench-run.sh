#!/usr/bin/env bash
# hfx bench against llama.cpp's llama-bench on SmolLM2-135M, alternating, 2 threads:
#   hfx on the f32 and bf16 safetensors folders (made by `hfx convert`) vs llama.cpp on F32 and BF16
#   GGUFs of the same weights (`llama-quantize --allow-requantize ... F32`), and both on the Q4_1 GGUF.
# With QWEN=$(scripts/fetch-fixtures.sh --qwen) (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, the larger demo
# model), that file too.
# Needs LLAMA_BIN: a llama.cpp build directory's bin/ (built from the sources vendored in the
# llama-cpp-python sdist: `pip download --no-deps --no-binary llama-cpp-python llama-cpp-python`,
# then `cmake -B build -DGGML_NATIVE=ON && cmake --build build --target llama-bench llama-quantize`).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LLAMA_BIN:?set LLAMA_BIN to the bin directory of a llama.cpp build}"
ROUNDS=${ROUNDS:-3}
# llama.cpp 0.3.36's weight repacking dies with SIGILL on the CI machines' AMX CPUs (any
# quantized type): set LLAMA_REPACK=1 where it runs.
LLAMA_REPACK=${LLAMA_REPACK:-0}
WORK=${WORK:-/tmp/hfx-bench-run}
mkdir -p "$WORK"
cargo build --release --quiet
HFX=target/release/hfx
Q4=fixtures/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
[ -f "$WORK/f32.gguf" ] || "$LLAMA_BIN/llama-quantize" --allow-requantize "$Q4" "$WORK/f32.gguf" F32 >/dev/null 2>&1
[ -d "$WORK/f32-hf" ] || "$HFX" convert "$Q4" --to safetensors "$WORK/f32-hf" >/dev/null
[ -f "$WORK/bf16.gguf" ] || "$LLAMA_BIN/llama-quantize" --allow-requantize "$Q4" "$WORK/bf16.gguf" BF16 >/dev/null 2>&1
[ -d "$WORK/bf16-hf" ] || "$HFX" convert "$Q4" --to safetensors --dtype bf16 "$WORK/bf16-hf" >/dev/null
: > "$WORK/results.jsonl"
pairs=("f32:$WORK/f32-hf:$WORK/f32.gguf" "bf16:$WORK/bf16-hf:$WORK/bf16.gguf" "q4_1:$Q4:$Q4")
[ -z "${QWEN:-}" ] || pairs+=("qwen_q4_k_m:$QWEN:$QWEN")
for round in $(seq "$ROUNDS"); do
  for pair in "${pairs[@]}"; do
    IFS=: read -r name hfx_model cpp_model <<<"$pair"
    "$HFX" bench "$hfx_model" -p 512 -n 128 -r 3 --threads 2 --json |
      python3 -c 'import json,sys; [print(json.dumps({"tool":"hfx","model":sys.argv[1],"test":r["test"],"tok_s":r["tok_s"]})) for r in json.load(sys.stdin)]' "$name" >>"$WORK/results.jsonl"
    "$LLAMA_BIN/llama-bench" -m "$cpp_model" -p 512 -n 128 -r 3 -t 2 --repack "$LLAMA_REPACK" -o json 2>/dev/null |
      python3 -c 'import json,sys; [print(json.dumps({"tool":"llama.cpp","model":sys.argv[1],"test":"pp" if r["n_prompt"] else "tg","tok_s":r["avg_ts"]})) for r in json.load(sys.stdin)]' "$name" >>"$WORK/results.jsonl"
  done
done
python3 scripts/bench-summary.py "$WORK/results.jsonl"
