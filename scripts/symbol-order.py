#!/usr/bin/env python3
"""Functions of one object, hottest first, from callgrind output files.

    symbol-order.py OBJECT CALLGRIND_OUT... > order.txt

Reads callgrind's format (name compression, `ob=`/`cob=` objects, `calls=` lines whose next cost
line is the callee's inclusive cost) and prints each function of OBJECT that ran, by its own
instruction count summed over the files, most first. Names are printed as callgrind saw them:
run valgrind with `--demangle=no` so that they are the linker's symbol names.
"""
import collections
import os
import re
import sys


def parse(path, obj, cost):
    names = {}  # (kind, id) -> name, for callgrind's "(id) name" compression

    def name(kind, spec):
        spec = spec.strip()
        if spec.startswith("("):
            i = spec.index(")")
            key, rest = spec[1:i], spec[i + 1 :].strip()
            if rest:
                names[(kind, key)] = rest
            spec = names.get((kind, key), "")
        # callgrind marks recursion levels as name'2, name'3: one symbol.
        return re.sub(r"'\d+$", "", spec) if kind == "fn" else spec

    ob = fn = cob = None
    skip_next = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                ob = name("ob", line[3:])
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
                cob = ob
            elif line.startswith("cob="):
                cob = name("ob", line[4:])
            elif line.startswith("cfn="):
                callee = name("fn", line[4:])
                # A called function ran, whatever its own cost comes to.
                if os.path.basename(cob or ob or "") == obj:
                    cost[callee] += 0
                cob = ob
            elif line.startswith("calls="):
                skip_next = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                parts = line.split()
                if fn and len(parts) > 1 and os.path.basename(ob or "") == obj:
                    cost[fn] += int(parts[1])


def main():
    obj, files = sys.argv[1], sys.argv[2:]
    cost = collections.Counter()
    for path in files:
        parse(path, os.path.basename(obj), cost)
    for fn, _ in sorted(cost.items(), key=lambda kv: (-kv[1], kv[0])):
        # Skip addresses without a symbol and valgrind's own entries ("(below main)").
        if fn and not fn.startswith(("0x", "(")) and " " not in fn:
            print(fn)


if __name__ == "__main__":
    main()
