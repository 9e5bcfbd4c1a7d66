"""Ratios of hfx to llama.cpp from scripts/bench-run.sh's results, paired round by round."""
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
for model in dict.fromkeys(r["model"] for r in rows):
    for test in ("pp", "tg"):
        h = [r["tok_s"] for r in rows if r["tool"] == "hfx" and r["model"] == model and r["test"] == test]
        c = [r["tok_s"] for r in rows if r["tool"] == "llama.cpp" and r["model"] == model and r["test"] == test]
        ratios = sorted(a / b for a, b in zip(h, c))
        print(f"{model:11} {test}{512 if test == 'pp' else 128}: hfx {statistics.median(h):7.1f} tok/s, "
              f"llama.cpp {statistics.median(c):7.1f} tok/s, ratio min {ratios[0]:.2f} "
              f"median {statistics.median(ratios):.2f} max {ratios[-1]:.2f}")
