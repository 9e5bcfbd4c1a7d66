#!/usr/bin/env bash
# Scripting against hfx's JSON output with jq (fields are snake_case, sizes in bytes).
#
#   REPO=org/name ./examples/json-with-jq.sh
set -euo pipefail

HFX=${HFX:-hfx}
REPO=${REPO:?set REPO=org/name}

# Which commit did we get? (download --json describes every file too)
commit=$("$HFX" download "$REPO" --include '*.json' --json | jq -r '.commit')

# How much of the repository is still missing locally?
missing=$("$HFX" download "$REPO" --dry-run --json | jq '[.files[] | select(.status == "planned") | .size] | add // 0')

# How big is it on disk, according to the cache?
on_disk=$("$HFX" cache ls --json | jq --arg r "$REPO" '[.repos[] | select(.repo_id == $r) | .size_on_disk] | add // 0')

echo "commit=$commit missing_bytes=$missing on_disk_bytes=$on_disk"
