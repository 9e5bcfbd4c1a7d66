#!/usr/bin/env bash
# Windows and macOS builds checked from Linux: `cargo clippy` (which type-checks everything `cargo
# check` does) for x86_64-pc-windows-gnu and aarch64-apple-darwin, with every target (tests too).
#   scripts/check-platforms.sh
# Needs: Debian's gcc-mingw-w64-x86-64 (the C parts of aws-lc, ring, zstd, onig for Windows),
# rustup's two std libraries, zig (PyPI's ziglang, which brings macOS libc headers) and
# cargo-zigbuild, which points cc at `zig cc` for the macOS C parts. The last two go to a cache
# outside the clone. The `metal` and `cuda` features are not checked: they need Apple's SDK and
# the CUDA toolkit. Cold: about 5 minutes (2 per target, 1 to build cargo-zigbuild).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add x86_64-pc-windows-gnu aarch64-apple-darwin >/dev/null 2>&1 ||
    rustup target add x86_64-pc-windows-gnu aarch64-apple-darwin

cache=${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci
zig_venv=$cache/venv-zig
if ! "$zig_venv/bin/python" -m ziglang version 2>/dev/null | grep -q '^0\.17\.1$'; then
    rm -rf "$zig_venv"
    python3 -m venv "$zig_venv"
    "$zig_venv/bin/pip" install --disable-pip-version-check --quiet ziglang==0.17.1
fi
if ! "$cache/bin/cargo-zigbuild" --version 2>/dev/null | grep -q ' 0\.24\.1$'; then
    cargo install --quiet --locked cargo-zigbuild --version 0.24.1 --root "$cache"
fi
# cargo-zigbuild finds zig as `python -m ziglang` through the venv's python.
export PATH=$zig_venv/bin:$cache/bin:$PATH

echo "== cargo clippy --target x86_64-pc-windows-gnu"
cargo clippy --locked --target x86_64-pc-windows-gnu --all-targets -- -D warnings
echo "== cargo clippy --target aarch64-apple-darwin (through cargo-zigbuild)"
cargo-zigbuild clippy --locked --target aarch64-apple-darwin --all-targets -- -D warnings
