#!/usr/bin/env bats
# brig run with the built-in agent preset: what a cell sees, and what it does not.

load helpers

setup() { brig_setup; }
teardown() { brig_teardown; }

@test "the project is visible and writable" {
	cell --net none --direct -- sh -c 'cat README && echo made >new.txt'
	[ "$status" -eq 0 ]
	[ "$output" = "project file" ]
	[ "$(cat "$P/new.txt")" = made ]
}

@test "the home is hidden: no ~/.ssh, no ~/.aws, no other projects" {
	cell --net none --direct -- sh -c 'ls -A "$HOME"; cat "$HOME/.ssh/id_rsa"; cat "$HOME/.aws/credentials"; cat "$HOME/projects/other/secret.txt"'
	[ "$status" -ne 0 ]
	[[ "$output" != *"PRIVATE KEY"* ]]
	[[ "$output" != *"s3cr3t"* ]]
	[[ "$output" != *"other project secret"* ]]
	# the only thing under home is the path down to the project
	cell --net none --direct -- ls -A "$HOME"
	[ "$output" = "projects" ]
}

@test "writes to the hidden home do not reach the real home" {
	cell --net none --direct -- sh -c 'echo pwned >"$HOME/.bashrc"'
	[ "$status" -eq 0 ]
	[ "$(cat "$HOME/.bashrc")" = bashrc ]
}

@test "system directories are read-only" {
	cell --net none --direct -- sh -c 'touch /usr/brig-x || touch /etc/brig-x || echo refused'
	[[ "$output" == *refused* ]]
	[ ! -e /usr/brig-x ]
	[ ! -e /etc/brig-x ]
}

@test "the environment is cleaned; BRIG=1 is set" {
	SECRET_TOKEN=abc123 cell --net none --direct -- env
	[ "$status" -eq 0 ]
	[[ "$output" != *SECRET_TOKEN* ]]
	[[ "$output" == *BRIG=1* ]]
	[[ "$output" == *PATH=* ]]
}

@test "the cell has its own pid namespace" {
	cell --net none --direct -- sh -c 'ls /proc | grep -c "^[0-9]"'
	[ "$status" -eq 0 ]
	[ "$output" -le 4 ]
}

@test "--net none leaves only loopback" {
	cell --net none --direct -- cat /proc/net/dev
	[ "$status" -eq 0 ]
	[[ "$output" == *lo:* ]]
	! [[ "$output" =~ (eth|ens|enp|veth) ]]
}

@test "exit status is the command's" {
	cell --net none --direct -- sh -c 'exit 42'
	[ "$status" -eq 42 ]
}

@test "a command that is not found exits 127, one that cannot run exits 126" {
	run -127 --separate-stderr "$BRIG" run --net none --direct -- no-such-command-brig
	[[ "$stderr" == *"not found"* ]]
	printf 'not executable' >"$P/script"
	chmod 644 "$P/script"
	run -126 "$BRIG" run --net none --direct -- ./script
}

@test "a signal that ends the command gives 128+N" {
	cell --net none --direct -- sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
}

@test "SIGTERM to brig reaches the command" {
	"$BRIG" run --net none --direct -- sh -c 'trap "echo got-term; exit 7" TERM; sleep 30 & wait' >"$T/out" 2>&1 &
	local pid=$!
	sleep 0.5
	kill -TERM "$pid"
	wait "$pid" || status=$?
	[ "${status:-0}" -eq 7 ]
	grep -q got-term "$T/out"
}

@test "die with parent: killing the supervisor kills the whole cell" {
	"$BRIG" run --net none --direct -- sh -c 'sleep 1000 & sleep 1000' >/dev/null 2>&1 &
	local pid=$!
	sleep 0.5
	kill -KILL "$pid"
	sleep 0.5
	run pgrep -f "sleep 1000"
	[ "$status" -ne 0 ]
}

@test "no inherited file descriptors beyond 0-2" {
	exec 7>"$T/fd7"
	cell --net none --direct -- sh -c 'ls /proc/self/fd'
	exec 7>&-
	[ "$status" -eq 0 ]
	! grep -qx 7 <<<"$output"
	! grep -qx 3 <<<"$output" || true
	[ "$(grep -c . <<<"$output")" -le 4 ]
}

@test "arguments after -- are the command's, options included" {
	cell --net none --direct -- sh -c 'printf "%s|" "$@"' sh --net --profile x
	[ "$status" -eq 0 ]
	[ "$output" = "--net|--profile|x|" ]
}

@test "the command runs in a new session without the user's terminal" {
	cell --net none --direct -- sh -c 'read -r pid comm state ppid pgrp sid rest </proc/$$/stat; [ "$sid" = "$$" ] && echo leader; (exec 3</dev/tty) 2>/dev/null && echo has-tty || echo no-tty'
	[ "$status" -eq 0 ]
	[[ "$output" == *leader* ]]
	[[ "$output" == *no-tty* ]]
}

@test "brig refuses / and the home directory as the project" {
	cd "$HOME"
	cell --net none --direct -- true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"refusing"* ]]
}

@test "the cell has no capabilities, even as root" {
	cell --net none --direct -- sh -c 'grep -E "^Cap(Eff|Prm|Bnd|Amb)" /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"CapBnd:	0000000000000000"* ]]
	[[ "$output" == *"CapPrm:	0000000000000000"* ]]
}

@test "an interactive shell gets a terminal with job control and the window size" {
	command -v python3 >/dev/null || skip "python3 needed to drive a pty"
	run python3 "$BRIG_SRC/tests/integration/pty_drive.py" "$BRIG" run --net none --direct -- bash --norc -i
	[ "$status" -eq 0 ]
	[[ "$output" == *"ROWS=33 COLS=101"* ]]
	[[ "$output" == *"JOB=[1]"* ]]
}

@test "no nested user namespaces inside the cell" {
	command -v unshare >/dev/null || skip "unshare not installed"
	cell --net none --direct -- sh -c 'unshare -U true && echo nested-ok || echo nested-refused'
	[[ "$output" == *nested-refused* ]]
	cell --net none --direct -- cat /proc/sys/user/max_user_namespaces
	[ "$output" = 0 ]
}

@test "the cell's /run has no daemon sockets and /run/user/UID is private and empty" {
	cell --net none --direct -- sh -c 'ls -A /run; ls -A /run/user/$(id -u) | wc -l; ls /var/run/docker.sock 2>&1 || echo no-docker'
	[ "$status" -eq 0 ]
	[[ "$output" == *no-docker* ]]
	[[ "$output" != *dbus* ]]
}

@test "brig doctor probes every feature and names the fix for missing ones" {
	run "$BRIG" doctor
	[[ "$output" == *"user, mount, ipc, uts, cgroup namespaces"* ]]
	[[ "$output" == *"overlayfs in a user namespace"* ]]
	[[ "$output" == *"Landlock"* ]]
	[[ "$output" == *"seccomp"* ]]
	[[ "$output" == *"cgroup"* ]]
	[[ "$output" == *"nftables"* ]]
	# every MISSING line is followed by what to do about it
	! grep -A1 '^MISSING' <<<"$output" | grep -v '^MISSING' | grep -qv -- '->' || [ "$(grep -c '^MISSING' <<<"$output")" -eq 0 ]
}

@test "brig --help lists every subcommand; an unknown one is an error" {
	run "$BRIG" --help
	[ "$status" -eq 0 ]
	for c in run shell check init doctor scan log ps review diff apply discard; do
		[[ "$output" == *"  $c "* ]]
	done
	run "$BRIG" frobnicate
	[ "$status" -eq 2 ]
}

@test "the session's audit log records the start with the mount view, and the exit" {
	cell --net none --direct -- true
	[ "$status" -eq 0 ]
	run "$BRIG" log --json
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
start = [e for e in ev if e.get("event") == "start"][0]
assert "proc /proc" in start["view"] and "tmpfs '"$HOME"'" in start["view"], start["view"]
assert [e for e in ev if e.get("event") == "exit"][0]["status"] == 0
' <<<"$output"
}
