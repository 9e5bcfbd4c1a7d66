#!/usr/bin/env bash
# What constrained decoding costs the batch: CLIENTS concurrent streams of TOKENS tokens on one
# `hfx serve`, unconstrained and with a JSON Schema `response_format`, rounds alternating.
#   ROUNDS=5 scripts/bench-structured.sh
# Prints one JSON line per round and mode (aggregate tok/s, TTFT), then the constrained /
# unconstrained tok/s ratios and the grammar's share of decode time, as min/median/max. The schema (an array of at least 1000 objects)
# cannot end within TOKENS tokens, so both modes generate exactly CLIENTS x TOKENS tokens.
source "$(dirname "$0")/bench-serve-env.sh"
schema='{"type": "json_schema", "json_schema": {"name": "rows", "schema": {"type": "array", "minItems": 1000,
  "items": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string", "maxLength": 16},
  "ok": {"type": "boolean"}}, "required": ["id", "name", "ok"], "additionalProperties": false}}}}'

"$hfx" serve "$model" --port 18183 --threads "$threads" --max-batch-size "$clients" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do curl -sf http://127.0.0.1:18183/health >/dev/null 2>&1 && break; sleep 0.1; done
metric() { curl -sf http://127.0.0.1:18183/metrics | awk -v m="$1" '$1 == m {print $2}'; }
out=$(mktemp)
for _ in $(seq "$rounds"); do
    "$python" scripts/bench-serve.py http://127.0.0.1:18183 "$clients" "$tokens" 1 | sed 's/^/{"mode": "free", "batch": /; s/$/}/' | tee -a "$out"
    d0=$(metric hfx_decode_microseconds_total) g0=$(metric hfx_grammar_microseconds_total)
    r=$("$python" scripts/bench-serve.py http://127.0.0.1:18183 "$clients" "$tokens" 1 "$schema")
    d1=$(metric hfx_decode_microseconds_total) g1=$(metric hfx_grammar_microseconds_total)
    # The grammar's share of decode-step time (masks and parser steps of all rows).
    echo "{\"mode\": \"json_schema\", \"batch\": $r, \"grammar_share\": $(awk "BEGIN {printf \"%.4f\", ($g1 - $g0) / ($d1 - $d0)}")}" | tee -a "$out"
done
"$python" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
free = [r["batch"]["tok_s"] for r in rows if r["mode"] == "free"]
cons = [r["batch"]["tok_s"] for r in rows if r["mode"] == "json_schema"]
share = sorted(r["grammar_share"] for r in rows if r["mode"] == "json_schema")
ratios = sorted(c / f for c, f in zip(cons, free))
mmm = lambda v: {"min": round(v[0], 3), "median": round(statistics.median(v), 3), "max": round(v[-1], 3)}
print(json.dumps({"constrained_over_free": mmm(ratios), "grammar_share_of_decode": mmm(share)}))
PY
