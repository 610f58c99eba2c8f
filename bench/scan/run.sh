#!/usr/bin/env bash
# Scanning benchmark, side by side in one run (docs/BENCHMARKS.md, "Scanning"):
#  1. brig scan on a realistic source tree (default 512 MiB) and on adversarial base64 runs;
#  2. secretlint with its recommended preset (installed from npm here, at bench time) and brig
#     on the same subset of the tree (default 16 MiB: secretlint is slow);
#  3. the streaming API fed 1 GiB in 64 KiB and 1 KiB chunks, and 32 MiB in 1-byte chunks.
# Everything runs pinned to one core (taskset -c 0). Inputs go to bench/out/scan (ignored by
# git). Environment: BRIG (binary; default: build/brig, built if missing), TREE_MIB, SUBSET_MIB,
# RUNS (brig measurements are the best of RUNS, default 5; secretlint runs once).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/bench/out/scan
mkdir -p "$out"
TREE_MIB=${TREE_MIB:-512}
SUBSET_MIB=${SUBSET_MIB:-16}
RUNS=${RUNS:-5}
core="taskset -c 0"
command -v taskset >/dev/null || core=""

BRIG=${BRIG:-$root/build/brig}
if [ ! -x "$BRIG" ]; then
	meson setup "$out/build" "$root" >/dev/null && ninja -C "$out/build" brig >/dev/null
	BRIG=$out/build/brig
fi
export XDG_CACHE_HOME=$out/cache
"$BRIG" scan --rules >/dev/null # compiles and caches the rules once

results=$out/results.txt
: >"$results"
say() { echo "$*" | tee -a "$results"; }
mib() { du -sb "$1" | awk '{printf "%.1f", $1 / 1048576}'; }
# timed LABEL BYTES CMD...: wall and CPU (user+sys) throughput of CMD, best of $RUNS runs (the
# machine is shared: the best run is the one least disturbed by others)
timed() {
	local label=$1 bytes=$2
	shift 2
	: >"$out/times.txt"
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -o "$out/time.txt" -f '%e %U %S' "$@" >"$out/last.out" 2>"$out/last.err" || true
		tail -1 "$out/time.txt" >>"$out/times.txt"
	done
	sort -n -k1,1 "$out/times.txt" | head -1 >"$out/best-wall.txt"
	awk '{print $2 + $3}' "$out/times.txt" | sort -n | head -1 >"$out/best-cpu.txt"
	paste -d' ' "$out/best-wall.txt" "$out/best-cpu.txt" | awk -v l="$label" -v b="$bytes" -v n="$RUNS" \
		'{w=$1; c=$4; if (w<0.01) w=0.01; if (c<0.01) c=0.01;
		printf "%-44s %8.1f MiB  %7.2f s wall %8.1f MiB/s  %7.2f s cpu %8.1f MiB/s  (best of %d)\n", l, b/1048576, w, b/1048576/w, c, b/1048576/c, n}' | tee -a "$results"
}
bytes_of() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s}'; }

say "# brig scan benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
say "# $("$BRIG" --version), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

[ -d "$out/tree" ] && [ "$(du -sm "$out/tree" | cut -f1)" -ge "$TREE_MIB" ] || "$here/gen_tree.sh" "$out/tree" "$TREE_MIB"
[ -f "$out/adv/runs.b64" ] || python3 "$here/gen_adversarial.py" "$out/adv" 256
tree_bytes=$(bytes_of "$out/tree")
adv_bytes=$(bytes_of "$out/adv")
cat "$out"/tree/copy0/.env.1 >/dev/null
find "$out/tree" "$out/adv" -type f -exec cat {} + >/dev/null # page cache, so disks do not count

say "## 1. throughput, one core"
timed "brig scan, realistic tree ($(find "$out/tree" -type f | wc -l) files)" "$tree_bytes" $core "$BRIG" scan "$out/tree"
timed "brig scan, adversarial base64 runs" "$adv_bytes" $core "$BRIG" scan "$out/adv"

say "## 2. secretlint (recommended preset) vs brig, same input"
if [ ! -x "$here/node_modules/.bin/secretlint" ]; then
	(cd "$here" && npm install --prefix "$here" --no-audit --no-fund --silent \
		secretlint @secretlint/secretlint-rule-preset-recommend >/dev/null)
fi
printf '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}\n' >"$out/secretlintrc.json"
rm -rf "$out/subset" && mkdir -p "$out/subset"
# the first files of the tree (sorted) up to SUBSET_MIB
(cd "$out/tree/copy0" && find . -type f -printf '%p\t%s\n' | sort >"$out/all.list")
awk -F'\t' -v max=$((SUBSET_MIB << 20)) '{ t += $2; if (t > max) exit; print $1 }' "$out/all.list" >"$out/subset.list"
(cd "$out/tree/copy0" && tar -cf - -T "$out/subset.list" | tar -xf - -C "$out/subset")
sub_bytes=$(bytes_of "$out/subset")
"$here/node_modules/.bin/secretlint" --version >/dev/null
RUNS=1 timed "secretlint $("$here/node_modules/.bin/secretlint" --version)" "$sub_bytes" \
	timeout 900 $core "$here/node_modules/.bin/secretlint" --secretlintrc "$out/secretlintrc.json" --no-color "$out/subset/**/*"
timed "brig scan" "$sub_bytes" $core "$BRIG" scan "$out/subset"

say "## 3. streaming API: chunk size"
cc -O2 -D_GNU_SOURCE -DBRIG_VERSION='"bench"' -I"$root/src" "$here/stream_bench.c" \
	"$root"/src/scan/engine.c "$root"/src/scan/db.c "$root"/src/scan/decode.c \
	"$root"/src/scan/checks.c "$root"/src/scan/rules.c \
	"$root"/src/util/xalloc.c "$root"/src/util/log.c $(pkg-config --cflags --libs libhs) -lstdc++ -lm \
	-o "$out/stream_bench"
find "$out/tree/copy0" -type f -name '*.h' | sort >"$out/headers.list"
head -n 4000 "$out/headers.list" | xargs cat >"$out/stream-input.txt"
for c in 65536 1024; do
	$core "$out/stream_bench" "$out/stream-input.txt" 1024 $c | tee -a "$results"
done
$core "$out/stream_bench" "$out/stream-input.txt" 32 1 | tee -a "$results"
say "results in $results"
