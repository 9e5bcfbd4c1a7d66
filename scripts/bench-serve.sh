#!/usr/bin/env bash
# hfx serve under concurrent streaming clients, and llama-server side by side when LLAMA_SERVER
# points at one (built from the PyPI llama-cpp-python sdist's llama.cpp, as scripts/bench-run.sh
# describes). Same GGUF, same threads, servers measured one after the other, rounds alternating.
#   LLAMA_SERVER=/path/to/llama-server [LLAMA_SERVER_ARGS=--no-repack] ROUNDS=3 scripts/bench-serve.sh
# Prints one JSON line per round and server: aggregate tok/s and TTFT p50/p95 for CLIENTS
# streams of TOKENS tokens, and for one stream alone.
source "$(dirname "$0")/bench-serve-env.sh"

wait_ready() {
    for _ in $(seq 600); do
        curl -sf "$1/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server at $1 never became ready" >&2
    return 1
}

run_one() { # NAME URL
    local name=$1 url=$2
    echo "{\"server\": \"$name\", \"single\": $("$python" scripts/bench-serve.py "$url" 1 "$tokens" 1)}"
    "$python" scripts/bench-serve.py "$url" "$clients" "$tokens" 1 | sed "s/^/{\"server\": \"$name\", \"batch\": /; s/\$/}/"
}

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
"$hfx" serve "$model" --port 18181 --threads "$threads" --max-batch-size "$clients" 2>/dev/null &
pids+=($!)
wait_ready http://127.0.0.1:18181
if [ -n "${LLAMA_SERVER:-}" ]; then
    # shellcheck disable=SC2086 # LLAMA_SERVER_ARGS holds several words (--no-repack where
    # llama.cpp's repacked kernels die with SIGILL, as on the AMX CI machines).
    "$LLAMA_SERVER" -m "$model" --port 18182 -t "$threads" -np "$clients" -cb -c $((clients * 1024)) ${LLAMA_SERVER_ARGS:-} >/dev/null 2>&1 &
    pids+=($!)
    wait_ready http://127.0.0.1:18182
fi
for _ in $(seq "$rounds"); do
    run_one hfx http://127.0.0.1:18181
    if [ -n "${LLAMA_SERVER:-}" ]; then
        run_one llama-server http://127.0.0.1:18182
    fi
done
