#!/usr/bin/env bash
# Start-up cost of a cell, side by side in one hyperfine run: brig's agent preset (every layer
# on), brig with --net none, bubblewrap --unshare-all, unshare -Urmpf, and sandbox-runtime (srt,
# from the npm registry). Results: bench/out/startup.md (hyperfine's markdown table) and .json.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
brig=${BRIG:-$root/build/brig}
runs=${RUNS:-200}
out=${OUT:-$PWD/out}
mkdir -p "$out"
command -v hyperfine >/dev/null || { echo "hyperfine missing: bash scripts/install-deps.sh --bench"; exit 1; }

# srt from npm into bench/node_modules (not committed).
if [ ! -x node_modules/.bin/srt ] && [ -w . ]; then
	npm install --no-audit --no-fund --silent --prefix . @anthropic-ai/sandbox-runtime >/dev/null 2>&1 || true
fi

proj=$(mktemp -d /tmp/brig-bench.XXXXXX)
trap 'rm -rf "$proj"' EXIT
cd "$proj"
export XDG_STATE_HOME="$proj/.state"

cmds=(
	-n "brig run -- true (agent preset: all layers)" "$brig run -q -- true"
	-n "brig run --net none --direct -- true" "$brig run -q --net none --direct -- true"
	-n "bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true" "bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true"
	-n "unshare -Urmpf true" "unshare -Urmpf true"
)
if [ -x "$OLDPWD/node_modules/.bin/srt" ]; then
	cmds+=(-n "srt true" "$OLDPWD/node_modules/.bin/srt true")
fi
hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$out/startup.md" \
	--export-json "$out/startup.json" "${cmds[@]}"
