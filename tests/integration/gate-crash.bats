#!/usr/bin/env bats
# Crash safety of brig apply: killed with SIGKILL at random points, a project file is only ever
# its old or its new version (never half-written), and a second apply brings the project to
# exactly the state a complete apply gives.

load gate-helpers

KILLS=${GATE_CRASH_KILLS:-200}

setup() {
	# SIGKILL, not power loss, is what this test simulates: a tmpfs spares it the disk
	# flushes apply makes (syncfs), which on a busy disk take most of each round.
	if [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
	gate_setup
	cd "$P"
	mkdir -p a/b c big gone/deep
	for i in $(seq 1 150); do printf 'line %s\n%.0s' "$i" $(seq 1 40) >"a/b/f$i"; done
	for i in $(seq 1 30); do echo "c$i" >"c/c$i"; done
	for i in $(seq 1 4); do head -c 1000000 /dev/urandom >"big/blob$i"; done
	for i in $(seq 1 20); do echo "g$i" >"gone/deep/g$i"; done
	PRISTINE=$T/pristine
	cp -a "$P" "$PRISTINE"
	CHANGES='for i in $(seq 1 150); do echo changed-$i >> a/b/f$i; done
		for i in $(seq 1 40); do echo new-$i > c/new$i; done
		for i in $(seq 1 10); do rm c/c$i; done
		for i in $(seq 11 20); do chmod 600 c/c$i; done
		for i in 1 2 3; do head -c 900000 /dev/urandom > big/blob$i; done
		rm -rf gone; mkdir -p fresh/x; echo f > fresh/x/y; ln -s ../a/b/f1 fresh/link'
	EXPECT=$T/expect
	cp -a "$P" "$EXPECT"
	(cd "$EXPECT" && sh -ec "$CHANGES")
}
teardown() { gate_teardown; }

# "path hash" for every regular file, one line each.
hashes() { (cd "$1" && find . -type f ! -name '.brig-apply.*' -exec sha1sum {} + | awk '{print $2, $1}' | sort); }

reset_project() {
	cd "$T"
	rm -rf "$P"
	cp -a "$PRISTINE" "$P"
	cd "$P"
}

# The same session serves every round: apply only reads its upper dir. Each round puts back the
# project and the session's metadata as they were before any apply, with a start time after the
# project was put back (a fresh copy has new ctimes, which would otherwise be conflicts).
reset_round() {
	reset_project
	local d
	d=$(gate_dir "$1")
	rm -f "$d/seen.json" "$d/apply.journal" "$d/apply.journal.tmp"
	jq --argjson t0 "$(date +%s%N)" '.t0_ns = $t0' "$T/meta.pristine" >"$d/meta.json"
}

@test "apply killed with SIGKILL at $KILLS random points: never half-written, second apply completes" {
	reset_project
	id=$(gate_session "$CHANGES")
	cp "$(gate_dir "$id")/meta.json" "$T/meta.pristine"
	# The session wrote random data: the expected end state takes its blobs.
	for i in 1 2 3; do cp "$(gate_dir "$id")/upper/big/blob$i" "$EXPECT/big/blob$i"; done
	reset_round "$id"
	"$BRIG" review "$id" >/dev/null # warm-up: the scanner's compiled rules go to the cache
	start=$(date +%s%N)
	run "$BRIG" apply "$id"
	[ "$status" -eq 0 ]
	dur=$((($(date +%s%N) - start) / 1000)) # microseconds
	diff <(tree_state "$EXPECT") <(tree_state "$P")
	old=$T/old.txt new=$T/new.txt
	hashes "$PRISTINE" >"$old"
	hashes "$(gate_dir "$id")/upper" >"$new"
	interrupted=0 finished=0 resumed=0
	for k in $(seq 1 "$KILLS"); do
		reset_round "$id"
		delay=$(((RANDOM * 32768 + RANDOM) % (dur + dur / 5 + 1)))
		"$BRIG" apply "$id" >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%06d' $((delay / 1000000)) $((delay % 1000000)))"
		kill -KILL "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" 2>/dev/null || rc=$?
		if [ "$rc" -eq 137 ]; then interrupted=$((interrupted + 1)); else finished=$((finished + 1)); fi
		# Every file is its old or its new version.
		bad=$(hashes "$P" | awk -v O="$old" -v N="$new" '
			BEGIN { while ((getline l < O) > 0) { split(l, a, " "); o[a[1]] = a[2] }
				while ((getline l < N) > 0) { split(l, a, " "); n[a[1]] = a[2] } }
			{ if ($2 != o[$1] && $2 != n[$1]) print "half-written: " $1 }')
		[ -z "$bad" ] || { echo "kill $k after ${delay}us: $bad"; return 1; }
		[ -e "$(gate_dir "$id")/apply.journal" ] && resumed=$((resumed + 1))
		run "$BRIG" apply "$id"
		[ "$status" -eq 0 ] || { echo "kill $k after ${delay}us: second apply: $output"; return 1; }
		[ -z "$(find "$P" -name '.brig-apply.*')" ] || { echo "kill $k: temporary files left"; return 1; }
		diff <(tree_state "$EXPECT") <(tree_state "$P") || { echo "kill $k after ${delay}us: state differs"; return 1; }
	done
	echo "# $KILLS kills: $interrupted interrupted ($resumed left a journal to complete), $finished finished first; one apply takes $((dur / 1000)) ms" >&3
}

@test "apply killed with SIGKILL at ${GATE_ROLLBACK_KILLS:-60} random points, then rolled back: exactly the state before" {
	reset_project
	id=$(gate_session "$CHANGES")
	cp "$(gate_dir "$id")/meta.json" "$T/meta.pristine"
	for i in 1 2 3; do cp "$(gate_dir "$id")/upper/big/blob$i" "$EXPECT/big/blob$i"; done
	reset_round "$id"
	"$BRIG" review "$id" >/dev/null
	start=$(date +%s%N)
	run "$BRIG" apply "$id"
	[ "$status" -eq 0 ]
	dur=$((($(date +%s%N) - start) / 1000))
	before=$(tree_state "$PRISTINE")
	rolled=0
	for k in $(seq 1 "${GATE_ROLLBACK_KILLS:-60}"); do
		reset_round "$id"
		# The journal exists in the later part of an apply: aim there.
		delay=$((dur / 3 + (RANDOM * 32768 + RANDOM) % (dur * 2 / 3 + 1)))
		"$BRIG" apply "$id" >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%06d' $((delay / 1000000)) $((delay % 1000000)))"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		if [ -e "$(gate_dir "$id")/apply.journal" ]; then
			run "$BRIG" apply --rollback "$id"
			[ "$status" -eq 0 ] || { echo "kill $k after ${delay}us: rollback: $output"; return 1; }
			rolled=$((rolled + 1))
			[ "$(tree_state "$P")" = "$before" ] || {
				diff <(echo "$before") <(tree_state "$P")
				echo "kill $k after ${delay}us: not the state before"
				return 1
			}
			[ ! -e "$(gate_dir "$id")/apply.journal" ] && [ ! -e "$(gate_dir "$id")/backup" ]
		else
			run "$BRIG" apply --rollback "$id"
			[ "$status" -ne 0 ]
		fi
	done
	echo "# ${GATE_ROLLBACK_KILLS:-60} kills: $rolled left a journal and were rolled back to the exact state before" >&3
}
