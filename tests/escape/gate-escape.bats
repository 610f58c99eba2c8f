#!/usr/bin/env bats
# Attacks on the review gate: an agent that applies its own changes, writes that leave the
# project through symlinks, review output forged by file names, paths that climb out.

load ../integration/gate-helpers

setup() {
	gate_setup
	cd "$P"
	mkdir -p src
	echo 'int main;' >src/main.c
	OUT=$T/outside
	mkdir -p "$OUT"
}
teardown() { gate_teardown; }

@test "[gate self-apply] apply, review, diff and discard refuse from another user namespace" {
	id=$(gate_session 'echo evil > src/main.c')
	for c in apply review diff discard; do
		run unshare -Ur "$BRIG" "$c" "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"refusing to run inside a brig cell"* ]] || { echo "$c: $output"; return 1; }
	done
	# Unsetting or forging environment variables changes nothing: the namespace decides.
	run unshare -Ur env -u BRIG_CELL -u container "$BRIG" apply "$id"
	[ "$status" -ne 0 ]
	[ "$(cat src/main.c)" = 'int main;' ]
	[ -d "$(gate_dir "$id")/upper" ]
}

@test "[gate self-apply] an agent in a gated brig cell cannot apply its own changes" {
	cp "$BRIG" "$P/brig-copy"
	run "$BRIG" run --gated --net none -- sh -c \
		"echo evil > src/main.c; XDG_STATE_HOME=$XDG_STATE_HOME ./brig-copy apply; ./brig-copy apply; ls $XDG_STATE_HOME/brig/sessions; true"
	if [[ "$output" == *"cannot"* && "$status" -ne 0 ]]; then skip "brig run cannot build a cell here: $output"; fi
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat src/main.c)" = 'int main;' ]
	run "$BRIG" ps --json
	echo "$output" | jq -e '.[-1].state == "exited with changes"'
}

@test "[symlink traversal] a directory the host turned into a symlink is never written through" {
	mkdir -p docs
	id=$(gate_session 'echo new > docs/new.md; echo x > docs/x')
	rm -rf docs
	ln -s "$OUT" docs
	run "$BRIG" apply "$id"
	echo "$output"
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$OUT")" ]
}

@test "[symlink traversal] a symlink the agent made outward is applied only as a link, never followed" {
	id=$(gate_session "ln -s $OUT out; mkdir -p real; echo data > real/file")
	run "$BRIG" apply "$id" --accept symlink-escape
	[ "$status" -eq 0 ]
	[ -L out ] && [ "$(readlink out)" = "$OUT" ]
	[ -z "$(ls -A "$OUT")" ]
}

@test "[symlink traversal] a symlink in the upper dir where the project has a directory replaces it, nothing more" {
	mkdir -p lib && echo keep >lib/keep
	id=$(gate_session "rm -rf lib; ln -s $OUT lib")
	run "$BRIG" apply "$id" --accept symlink-escape
	[ "$status" -eq 0 ]
	[ -L lib ] && [ -z "$(ls -A "$OUT")" ]
}

@test "[path traversal] apply and diff refuse paths that climb out of the project" {
	id=$(gate_session 'echo x > x')
	run "$BRIG" apply "$id" ../../etc/passwd
	[ "$status" -ne 0 ]
	[[ "$output" == *"not a path inside the project"* ]]
	run "$BRIG" diff "$id" /etc
	[ "$status" -ne 0 ]
	[ ! -e x ]
}

@test "[terminal injection] control characters in names and link targets are escaped in review" {
	id=$(gate_session "touch \"\$(printf 'a\\033[2K\\rA  README')\"; ln -s \"\$(printf '\\033]0;x\\007')\" l; touch \"\$(printf 'n\\nA  fake')\"")
	run "$BRIG" review --all "$id"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\033'* && "$output" != *$'\r'* ]]
	[[ "$output" == *'a\x1b[2K\x0dA  README'* ]]
	[[ "$output" == *'n\x0aA  fake'* ]]
	run "$BRIG" diff --color=always "$id"
	[[ "$output" != *$'\033]0'* ]]
}

@test "[hidden change] an unreadable directory in the upper dir fails the review closed" {
	[ "$(id -u)" -ne 0 ] || skip "root reads every directory"
	id=$(gate_session 'mkdir hide; echo x > hide/hook; chmod 000 hide')
	run "$BRIG" review "$id"
	[ "$status" -ne 0 ]
	run "$BRIG" apply "$id"
	[ "$status" -ne 0 ]
	[ ! -e hide ]
}

@test "[setuid] a set-user-ID file the agent made is held back and inert in the cell" {
	id=$(gate_session 'cp /bin/true sh-suid; chmod 4755 sh-suid')
	run "$BRIG" apply "$id"
	[ "$status" -eq 1 ]
	[ ! -e sh-suid ]
}
