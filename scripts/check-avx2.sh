#!/usr/bin/env bash
# The CPU kernels' tests on an emulated AVX2-only x86-64 (qemu-user's Haswell: AVX2, FMA, F16C, no
# AVX-512). hfx picks its kernels at run time (AVX-512 VNNI, AVX512-BF16, AMX, else AVX2, else
# portable loops), and every machine CI and the benchmarks ran on has AVX-512, so without this the
# AVX2 paths most laptops and desktops take would never run. Checks correctness, not speed
# (emulation is about 30x slower).
#   scripts/check-avx2.sh [test name filters]   (default: the kernels', the training pass's and
#                                                 the sampler's unit tests)
# Needs Debian's qemu-user (installed when missing). The test binary is the dev profile's, as
# scripts/test.sh builds it. About 5 minutes on 2 cores (39 tests in 305-307 s).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v qemu-x86_64 >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user
fi
bin=$(cargo test --locked --lib --no-run --message-format=json |
    jq -r 'select(.reason == "compiler-artifact" and .profile.test and .target.kind == ["lib"]) | .executable')
[ $# -gt 0 ] || set -- models::decoder train:: models::generate
qemu-x86_64 -cpu Haswell-v4 "$bin" --test-threads 2 "$@" 2>&1 | grep -v "TCG doesn't support"
