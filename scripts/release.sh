#!/usr/bin/env bash
# Release binaries for the three platforms, with checksums, into dist/VERSION/:
#   hfx-VERSION-x86_64-unknown-linux-gnu.tar.gz   (built here, natively)
#   hfx-VERSION-x86_64-pc-windows-gnu.zip         (cross-built with Debian's mingw-w64)
#   hfx-VERSION-aarch64-apple-darwin.tar.gz       (cross-built with cargo-zigbuild; needs Apple's
#                                                   SDK in SDKROOT for the system frameworks,
#                                                   or run this script on a Mac)
#   SHA256SUMS                                    (sha256sum format, for `sha256sum -c`)
#
#   scripts/release.sh [TARGET...]     (default: all three; VERSION comes from Cargo.toml)
#
# Maintainers: tag the commit (`git tag vVERSION`), run this on a clean checkout with CI green,
# check `sha256sum -c SHA256SUMS` in dist/VERSION, then attach every file of dist/VERSION to the
# release. CI type-checks and lints the Windows and macOS builds on every change
# (scripts/check-platforms.sh); only the Linux binary is built and run by the test suite.
# Smoke test of the Windows binary on Linux: Debian's wine64 (8.0) runs it once it finds
# bcryptprimitives.dll (Rust's std imports ProcessPrng from it; Wine 8 lacks it): a shim that
# forwards ProcessPrng to BCryptGenRandom, built with x86_64-w64-mingw32-gcc -shared and put
# next to hfx.exe. `hfx download`, `cache verify` and `run` were checked that way (0.1.0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x86_64-unknown-linux-gnu x86_64-pc-windows-gnu aarch64-apple-darwin)
out=$root/dist/$version
mkdir -p "$out"
[ -z "$(git status --porcelain)" ] || echo "warning: the working tree has uncommitted changes" >&2

for target in "${targets[@]}"; do
    echo "== $target" >&2
    rustup target add "$target" >/dev/null
    case $target in
        *-apple-darwin)
            # scripts/check-platforms.sh installs zig and cargo-zigbuild into this cache.
            cache=${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci
            PATH=$cache/venv-zig/bin:$cache/bin:$PATH cargo-zigbuild build --release --locked --target "$target"
            ;;
        *) cargo build --release --locked --target "$target" ;;
    esac
    name=hfx-$version-$target
    stage=$(mktemp -d)
    mkdir "$stage/$name"
    exe=hfx
    [[ $target == *windows* ]] && exe=hfx.exe
    cp "target/$target/release/$exe" "$stage/$name/"
    cp README.md CHANGELOG.md LICENSE* "$stage/$name/" 2>/dev/null || true
    cp -r completions man "$stage/$name/"
    rm -f "$out/$name".*
    if [[ $target == *windows* ]]; then
        (cd "$stage" && python3 -m zipfile -c "$out/$name.zip" "$name")
    else
        tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
    fi
    rm -rf "$stage"
done

(cd "$out" && rm -f SHA256SUMS && sha256sum hfx-* > SHA256SUMS && cat SHA256SUMS)
