#!/usr/bin/env bash
# CI recipe: download only what a job needs, pinned to a revision, into a cache the CI keeps
# between runs; later steps read it offline, so they never drift and never touch the network.
#
#   REPO=org/name REVISION=<commit or tag> HF_HUB_CACHE=/ci/cache/hf ./examples/ci-pinned-download.sh
#
# Prints the snapshot folder on stdout.
set -euo pipefail

HFX=${HFX:-hfx}
REPO=${REPO:?set REPO=org/name}
REVISION=${REVISION:-main}
export HF_HUB_CACHE=${HF_HUB_CACHE:-$PWD/.hf-cache}

# 1. Online step: configs and weights only, at the pinned revision.
snapshot=$("$HFX" download "$REPO" --revision "$REVISION" --include '*.json' --include '*.safetensors' --quiet)

# 2. Offline steps (tests, evaluation): same request, no network, fails loudly if incomplete.
offline=$(HF_HUB_OFFLINE=1 "$HFX" download "$REPO" --revision "$REVISION" --include '*.json' --include '*.safetensors')
if [ "$snapshot" != "$offline" ]; then
    echo "offline snapshot differs: $offline" >&2
    exit 1
fi

# 3. Guard against a corrupted CI cache: re-hash every file against its etag.
"$HFX" cache verify "$REPO" --revision "$REVISION" --quiet

echo "$snapshot"
