#!/usr/bin/env bash
# Runs the profile-loader libFuzzer target (fuzz_profile.c) for SECONDS (default 60); further
# arguments go to libFuzzer. Same build dir and conventions as run-fuzz.sh (FUZZ_BUILD_DIR,
# default build-fuzz/); seeds come from the TOML corpus and the profiles in tests/.
# Exit status: 0 when no crash was found, non-zero otherwise.
set -euo pipefail
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$src" -Dfuzz=true >"${TMPDIR:-/tmp}/brig-fuzz-setup.log" 2>&1 ||
		{ cat "${TMPDIR:-/tmp}/brig-fuzz-setup.log" >&2; exit 1; }
fi
ninja -C "$build" tests/fuzz/fuzz_profile >/dev/null

corpus=$build/fuzz-corpus/profile
artifacts=$build/fuzz-artifacts/profile-
mkdir -p "$corpus" "$build/fuzz-artifacts"
# Seed with a few real profiles (posture byte first) when the corpus is empty.
if [ -z "$(ls -A "$corpus")" ]; then
	i=0
	for t in '[project]\nname = "x"\ndir = "/tmp"\n[sandbox]\nwritable = ["~/a"]\n' \
		'[limits]\nmemory = "2G"\npids = 64\n[seccomp]\nptrace = true\n[landlock]\nmin_abi = 3\n' \
		'[protect]\npaths = ["Makefile", "~/.npmrc"]\nlift = [".envrc"]\n[network]\nmode = "none"\n'; do
		printf '\000'"$t" >"$corpus/seed$i"
		i=$((i + 1))
	done
fi
exec "$build/tests/fuzz/fuzz_profile" -max_total_time="$secs" -print_final_stats=1 \
	-dict="$src/tests/fuzz/toml.dict" -artifact_prefix="$artifacts" -timeout=10 \
	-rss_limit_mb=2048 "$@" "$corpus" "$src/tests/fuzz/corpus/toml"
