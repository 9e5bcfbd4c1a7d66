#!/usr/bin/env bash
# llama.cpp runs the files `hfx convert` exports: the reference PEFT adapter merged into SmolLM2
# (GGUF f32, q8_0, q4_k_m, q4_0) and the adapter as a LoRA GGUF on the Q4_1 and f32 bases. For
# each, llama.cpp's greedy continuation of a raw prompt is compared with hfx's on the same file.
#
# Needs LLAMA_BIN: a llama.cpp build's bin/ with llama-completion (built from the sources vendored
# in the llama-cpp-python sdist: `cmake -B build -DGGML_NATIVE=ON && cmake --build build --target
# llama-completion`). Not part of CI (the build takes about 10 minutes).
#
# llama.cpp is run with --no-repack: on CPUs with AMX its repacked Q4_1 path crashes (SIGSEGV /
# SIGILL in this build, with or without an adapter), which has nothing to do with the files.
set -euo pipefail
: "${LLAMA_BIN:?set LLAMA_BIN to the bin directory of a llama.cpp build}"
cd "$(dirname "$0")/.."
[ -x target/release/hfx ] || cargo build --release --quiet
HFX=$PWD/target/release/hfx
Q4=$PWD/fixtures/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
ADAPTER=$PWD/tests/data/reference/smollm2/lora-adapter
WORK=${WORK:-$(mktemp -d)}
PROMPT=${PROMPT:-"The capital of France is"}
N=24

"$HFX" -q convert "$Q4" "$WORK/base-f32.gguf" --to gguf --dtype f32 >/dev/null
"$HFX" -q convert "$ADAPTER" "$WORK/adapter.gguf" --to gguf-lora --base "$Q4" >/dev/null
for q in f32 q8_0 q4_k_m q4_0; do
  if [ $q = f32 ]; then flag=(--dtype f32); else flag=(--quant $q); fi
  "$HFX" -q convert "$Q4" "$WORK/merged-$q.gguf" --to gguf --lora "$ADAPTER" "${flag[@]}" >/dev/null
done

hfx_text() { "$HFX" -q run "$@" "$PROMPT" --raw --temperature 0 --max-new-tokens $N; }
llama_text() {
  "$LLAMA_BIN/llama-completion" "$@" -p "$PROMPT" -n $N --temp 0 -t 2 -nr -no-cnv 2>/dev/null |
    python3 -c 'import sys; t = sys.stdin.read(); p = sys.argv[1]; print(t[len(p):] if t.startswith(p) else t, end="")' "$PROMPT"
}

status=0
check() {
  local label=$1; shift
  local -a hargs=() largs=()
  while [ "$1" != "--" ]; do hargs+=("$1"); shift; done; shift
  largs=("$@")
  local a b
  a=$(hfx_text "${hargs[@]}" | sed -e 's/[[:space:]]*$//')
  b=$(llama_text "${largs[@]}" | sed -e 's/[[:space:]]*$//')
  if [ "$a" = "$b" ]; then
    printf '%-34s same greedy text: %s\n' "$label" "$(printf '%s' "$a" | head -c 60 | tr '\n' ' ')"
  else
    status=1
    printf '%-34s DIFFERENT\n  hfx:       %s\n  llama.cpp: %s\n' "$label" "$(printf '%s' "$a" | tr '\n' ' ')" "$(printf '%s' "$b" | tr '\n' ' ')"
  fi
}
for q in f32 q8_0 q4_k_m q4_0; do
  check "merged-$q.gguf" "$WORK/merged-$q.gguf" -- -m "$WORK/merged-$q.gguf"
done
check "Q4_1 base + adapter.gguf" "$Q4" --lora "$WORK/adapter.gguf" -- -m "$Q4" --lora "$WORK/adapter.gguf"
check "f32 base + adapter.gguf" "$WORK/base-f32.gguf" --lora "$WORK/adapter.gguf" -- -m "$WORK/base-f32.gguf" --lora "$WORK/adapter.gguf"
check "Q4_1 base + PEFT folder (hfx)" "$Q4" --lora "$ADAPTER" -- -m "$Q4" --lora "$WORK/adapter.gguf"
exit $status
