#!/usr/bin/env bash
# The full test suite: builds (gcc release, gcc ASan+UBSan, clang), runs unit tests and the
# TOML conformance suite under the sanitizers, then the integration and escape suites as the
# current user and, when run as root, again as an unprivileged user created for the purpose.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log=$root/build-test-logs
rm -rf "$log"; mkdir -p "$log"

passed=0 failed=0
note_fail() { echo "FAILED: $*" >&2; failed=$((failed + 1)); }

step() { echo "== $*"; }

build() { # dir, extra meson args...
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$log/setup-$dir.log" 2>&1 || { cat "$log/setup-$dir.log"; return 1; }
	fi
	ninja -C "$dir" >"$log/ninja-$dir.log" 2>&1 || { cat "$log/ninja-$dir.log"; return 1; }
}

step "build: gcc"
build build || { echo "0 passed, 1 failed"; exit 1; }
step "build: gcc with ASan+UBSan"
build build-asan -Db_sanitize=address,undefined -Db_lundef=false || { echo "0 passed, 1 failed"; exit 1; }
step "build: clang"
CC=clang build build-clang || { echo "0 passed, 1 failed"; exit 1; }

# Sanitizer reports fail the run; leaks too.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

count_tap() { # file -> adds to passed/failed
	local p f
	p=$(grep -cE '^ok ' "$1" || true)
	f=$(grep -cE '^not ok ' "$1" || true)
	passed=$((passed + p)); failed=$((failed + f))
	echo "   $p passed, $f failed ($(basename "$1"))"
	[ "$f" -eq 0 ] || grep -E '^not ok ' "$1" | head -40
}

step "unit + conformance tests (ASan+UBSan)"
meson test -C build-asan --suite unit --suite toml --print-errorlogs >"$log/meson-unit.log" 2>&1
rc=$?
# Count the TAP lines each test printed (cmocka cases, the 700-odd toml-test cases); meson's own
# summary counts executables only, and is the fallback.
tl=build-asan/meson-logs/testlog.txt
ok=$(grep -cE '^ok [0-9]+' "$tl" 2>/dev/null || true)
fl=$(grep -cE '^not ok [0-9]+' "$tl" 2>/dev/null || true)
if [ "${ok:-0}" -eq 0 ]; then
	ok=$(awk '/^Ok:/{print $2}' "$log/meson-unit.log"); ok=${ok:-0}
	fl=$(awk '/^Fail:/{print $2}' "$log/meson-unit.log"); fl=${fl:-0}
fi
passed=$((passed + ok)); failed=$((failed + fl))
echo "   $ok passed, $fl failed (unit and conformance cases)"
if [ "$rc" -ne 0 ]; then
	grep -E '^not ok [0-9]+' "$tl" | head -40
	tail -30 "$log/meson-unit.log"
	[ "$fl" -gt 0 ] || note_fail "meson test exited $rc"
fi

# The TOML and profile fuzz targets, briefly (longer on demand: tests/fuzz/run-fuzz.sh SECONDS).
for target in toml profile; do
	script=tests/fuzz/run-fuzz.sh
	[ "$target" = profile ] && script=tests/fuzz/run-fuzz-profile.sh
	[ -f "$script" ] || continue
	step "fuzz: $target, ${FUZZ_SECONDS:-20} s"
	if FUZZ_BUILD_DIR=$root/build-fuzz bash "$script" "${FUZZ_SECONDS:-20}" >"$log/fuzz-$target.log" 2>&1; then
		passed=$((passed + 1))
		grep -E 'stat::number_of_executed_units' "$log/fuzz-$target.log" | tail -1 | sed 's/^/   /'
	else
		note_fail "fuzzing $target found a crash (see $log/fuzz-$target.log)"
		tail -30 "$log/fuzz-$target.log"
	fi
done

run_bats() { # label, brig binary, user(optional)
	local label=$1 bin=$2 user=${3:-}
	for suite in integration escape; do
		ls tests/$suite/*.bats >/dev/null 2>&1 || continue
		local out="$log/bats-$suite-$label.tap"
		if [ -z "$user" ]; then
			BRIG=$bin BRIG_SRC=$root bats --tap tests/$suite >"$out" 2>&1
		else
			runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$(getent passwd "$user" | cut -d: -f6)" \
				BRIG="$bin" BRIG_SRC="$stage" ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
				bats --tap "$stage/tests/$suite" >"$out" 2>&1
		fi
		count_tap "$out"
	done
}

step "integration + escape suites as $(id -un) (ASan+UBSan binary)"
run_bats "$(id -un)" "$root/build-asan/brig"

if [ "$(id -u)" -eq 0 ]; then
	user=brigtest
	id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
	# The checkout may sit under a directory the test user cannot enter (/root): stage a
	# world-readable copy of what the suites need.
	stage=$(mktemp -d /tmp/brig-stage.XXXXXX)
	chmod 755 "$stage"
	mkdir -p "$stage/bin"
	cp build-asan/brig "$stage/bin/brig"
	cp -r tests scripts "$stage/"
	[ -d build-asan/tests ] && mkdir -p "$stage/build-asan" && cp -r build-asan/tests "$stage/build-asan/" 2>/dev/null
	chmod -R a+rX "$stage"
	step "integration + escape suites as $user (unprivileged)"
	run_bats "$user" "$stage/bin/brig" "$user"
	rm -rf "$stage"
fi

echo
echo "brig test suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
