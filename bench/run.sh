#!/usr/bin/env bash
# Runs every benchmark under bench/ (each writes its own section of results to bench/out/).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p out
for b in startup.sh */run.sh; do
	[ -f "$b" ] || continue
	echo "== $b"
	bash "$b" || echo "benchmark $b failed" >&2
done
