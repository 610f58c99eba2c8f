#!/usr/bin/env bats
# Resource exhaustion: a fork bomb, a memory hog, descriptor and CPU hogs, and filling /tmp or
# the project, each against small [limits]. The point is that brig returns, the host stays
# usable, and the limit is what stopped the attack.

load harden_helpers

setup_file() { attack_build; }

setup() {
	escape_setup
	profile lim "[project]
dir = \"~/projects/okb\"

[limits]
pids = 64
memory = \"64M\"
nofile = 64
fsize = \"8M\"
cpu_seconds = 1"
	BEFORE=$(outside_state)
}

teardown() { escape_teardown; }

lim() {
	run timeout -s KILL 120 "$BRIG" run -q --net none --direct lim -- "$@"
}

@test "[fork-bomb] forking stops at the pids limit" {
	lim ./attack forkbomb 2000
	[ "$status" -ne 124 ]
	[[ "$output" =~ fork\ failed\ after\ ([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -lt 64 ]
}

@test "[fork-bomb shell] the classic shell fork bomb ends and brig returns" {
	lim sh -c 'f() { f | f & }; f; sleep 3; echo survived'
	[ "$status" -ne 124 ]
	# the host can still fork
	run true
	[ "$status" -eq 0 ]
}

@test "[memory-hog] allocating far past the memory limit fails inside the cell" {
	lim ./attack mem 1024
	[ "$status" -ne 124 ]
	[[ "$output" != *"allocated 1024"* ]]
	[[ "$output" =~ allocation\ failed\ after\ ([0-9]+) ]] || [ "$status" -eq 137 ]
}

@test "[fd-exhaustion] open files are limited" {
	lim sh -c 'ulimit -n; ulimit -Hn'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | tail -n 2 | sort -n | tail -n 1)" -le 64 ]
}

@test "[cpu-hog] a busy loop is stopped by the CPU time limit" {
	lim sh -c 'while :; do :; done'
	[ "$status" -ne 124 ]
	[ "$status" -eq $((128 + 24)) ] || [ "$status" -eq $((128 + 9)) ]
}

@test "[disk-fill /tmp] filling the cell's /tmp stops at the file size limit, the host's /tmp is untouched" {
	local m="brig-fill-$$"
	lim sh -c "dd if=/dev/zero of=/tmp/$m bs=1M count=64 2>&1; ls -l /tmp/$m"
	[[ "$output" == *"File too large"* ]] || [[ "$output" == *"File size limit exceeded"* ]]
	[[ "$output" == *" 8388608 "* ]]
	[ ! -e "/tmp/$m" ]
}

@test "[disk-fill project] a file written into the project stops at the file size limit" {
	lim sh -c 'dd if=/dev/zero of=big bs=1M count=64 2>&1'
	[ "$(stat -c %s "$P/big")" -le $((8 << 20)) ]
	rm -f "$P/big"
}

@test "[visibility] brig check shows the limits the cell gets" {
	run "$BRIG" check lim --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"pids": 64'* ]] || [[ "$output" == *'"pids":64'* ]]
}
