#!/usr/bin/env bash
# Runs a libFuzzer target for SECONDS (default 60): FUZZ_TARGET=toml (fuzz_toml.c, the default)
# or profile (fuzz_profile.c, the profile loader); further arguments go to libFuzzer (e.g.
# -max_len=65536 -jobs=2). Builds it first, with clang, in its own build dir (FUZZ_BUILD_DIR,
# default build-fuzz/ in the source root), which also keeps the growing corpus (fuzz-corpus/)
# and any crashing inputs (fuzz-artifacts/) between runs.
# Exit status: 0 when no crash was found, non-zero otherwise.
set -euo pipefail
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
target=${FUZZ_TARGET:-toml}
case $target in toml | profile) ;; *) echo "$0: FUZZ_TARGET must be toml or profile" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$src" -Dfuzz=true >"${TMPDIR:-/tmp}/brig-fuzz-setup.log" 2>&1 ||
		{ cat "${TMPDIR:-/tmp}/brig-fuzz-setup.log" >&2; exit 1; }
fi
ninja -C "$build" "tests/fuzz/fuzz_$target" >/dev/null

corpus=$build/fuzz-corpus/$target
artifacts=$build/fuzz-artifacts/$target-
mkdir -p "$corpus" "$build/fuzz-artifacts"
# The profile target reads a posture byte, then a profile: seed it with a few real ones.
if [ "$target" = profile ] && [ -z "$(ls -A "$corpus")" ]; then
	i=0
	for t in '[project]\nname = "x"\ndir = "/tmp"\n[sandbox]\nwritable = ["~/a"]\n' \
		'[limits]\nmemory = "2G"\npids = 64\n[seccomp]\nptrace = true\n[landlock]\nmin_abi = 3\n' \
		'[protect]\npaths = ["Makefile", "~/.npmrc"]\nlift = [".envrc"]\n[network]\nmode = "none"\n'; do
		printf '\000'"$t" >"$corpus/seed$i"
		i=$((i + 1))
	done
fi
# New inputs go to the first corpus dir only: the seeds in the source tree stay as they are.
exec "$build/tests/fuzz/fuzz_$target" -max_total_time="$secs" -print_final_stats=1 \
	-dict="$src/tests/fuzz/toml.dict" -artifact_prefix="$artifacts" -timeout=10 \
	-rss_limit_mb=2048 "$@" "$corpus" "$src/tests/fuzz/corpus/toml"
