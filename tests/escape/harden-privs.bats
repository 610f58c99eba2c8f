#!/usr/bin/env bats
# Privileges, descriptors, sockets and signals: what the command holds, what it inherits, and
# what of the host it can reach without a path in its file view.

load harden_helpers

setup_file() { attack_build; }
setup() { escape_setup; }
teardown() {
	[ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null
	[ -n "${VICTIM:-}" ] && kill "$VICTIM" 2>/dev/null
	escape_teardown
}

# serve NAME: a host-side unix socket server (path or @abstract) for this test.
serve() {
	"$ATTACK_BIN" serve "$1" 60 >/dev/null 2>&1 3>&- &
	SERVER=$!
	for _ in $(seq 50); do
		"$ATTACK_BIN" connect "$1" 2>/dev/null | grep -q HOST-SECRET && return 0
		sleep 0.1
	done
	return 1
}

@test "[capabilities] the command holds no capability, no_new_privs is set, seccomp is on" {
	in_cell 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep -cE '^Cap(Inh|Prm|Eff|Bnd|Amb):\s+0000000000000000$')" -eq 5 ]
	[[ "$output" == *"NoNewPrivs:"*1* ]]
	[[ "$output" =~ Seccomp:[[:space:]]+2 ]]
}

@test "[setuid] a setuid binary gains nothing in the cell" {
	cp "$ATTACK_BIN" "$P/suid"
	if [ "$(id -u)" -eq 0 ]; then
		chown 65534 "$P/suid"
	fi
	chmod 4755 "$P/suid"
	in_cell './suid euid'
	[ "$(last)" = "$(id -u)" ]
	rm -f "$P/suid"
}

@test "[setuid host] the host's setuid-root mount(8) cannot mount anything" {
	[ -u /usr/bin/mount ] || skip "no setuid mount(8) on this host"
	in_cell '/usr/bin/mount -t tmpfs none /tmp 2>&1 || echo refused'
	[ "$(last)" = refused ]
}

@test "[root-without-capabilities] uid 0 in the cell cannot read a mode-000 file" {
	[ "$(id -u)" -eq 0 ] || skip "only meaningful when brig runs as root"
	echo secret >"$P/locked"
	chmod 000 "$P/locked"
	in_cell 'cat locked || echo refused'
	[ "$(last)" = refused ]
	rm -f "$P/locked"
}

@test "[inherited-fd] a descriptor to a secret file does not cross into the cell" {
	run "$BRIG" run -q --net none --direct -- ./attack read-fd 5 5<"$HOME/.ssh/id_rsa"
	[ "$(last)" = errno=EBADF ]
}

@test "[inherited-fd directory] a directory descriptor cannot be used to walk the host (openat escape)" {
	run "$BRIG" run -q --net none --direct -- sh -c 'ls /proc/self/fd/7/.ssh 2>&1; cat /proc/self/fd/7/.ssh/id_rsa 2>&1; true' 7<"$HOME"
	[[ "$output" != *"PRIVATE KEY"* ]]
	[[ "$output" != *id_rsa$'\n'* ]]
}

@test "[abstract-unix X11] the host's abstract X11 socket is unreachable" {
	serve "@/tmp/.X11-unix/X$$"
	attack connect "@/tmp/.X11-unix/X$$"
	[[ "$(last)" == errno=* ]]
	[[ "$output" != *HOST-SECRET* ]]
}

@test "[abstract-unix D-Bus] the host's abstract D-Bus socket is unreachable" {
	serve "@/tmp/dbus-brigtest$$"
	attack connect "@/tmp/dbus-brigtest$$"
	[[ "$(last)" == errno=* ]]
	[[ "$output" != *HOST-SECRET* ]]
}

@test "[abstract-unix shared-net] with the host's network, Landlock scoping still refuses" {
	[ "$(awk '{print $1}' /proc/sys/kernel/osrelease | cut -d. -f1)" -ge 6 ] || skip "old kernel"
	serve "@brigtest-shared-$$"
	run "$BRIG" run -q --net host --direct -- ./attack connect "@brigtest-shared-$$"
	[ "$(last)" = errno=EPERM ]
}

@test "[docker.sock] a daemon socket in the user's runtime directory is unreachable" {
	mkdir -p "$T/run"
	chmod 700 "$T/run"
	serve "$T/run/docker.sock"
	BEFORE=$(outside_state)
	XDG_RUNTIME_DIR="$T/run" run "$BRIG" run -q --net none --direct -- \
		sh -c './attack connect "$XDG_RUNTIME_DIR/docker.sock"; ./attack connect '"$T/run/docker.sock"'; ls /run/docker.sock /var/run/docker.sock 2>&1'
	[[ "$output" != *HOST-SECRET* ]]
	[ "$(printf '%s\n' "$output" | grep -c '^errno=')" -eq 2 ]
}

@test "[docker.sock /run] the host's /run sockets are not in the cell" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to serve in /run"
	serve "/run/brig-escape-docker-$$.sock"
	attack connect "/run/brig-escape-docker-$$.sock"
	rm -f "/run/brig-escape-docker-$$.sock"
	[ "$(last)" = errno=ENOENT ]
}

@test "[kill host process] a host process cannot be signalled by pid" {
	sleep 60 >/dev/null 2>&1 3>&- &
	VICTIM=$!
	attack kill "$VICTIM" 9
	[ "$(last)" = errno=ESRCH ]
	kill -0 "$VICTIM"
}

@test "[kill -1] killing every process it can see leaves the host's alone" {
	sleep 60 >/dev/null 2>&1 3>&- &
	VICTIM=$!
	in_cell 'kill -9 -1; echo after'
	kill -0 "$VICTIM"
}

@test "[signal supervisor] pid 1 of the cell (brig) cannot be killed from inside" {
	in_cell './attack kill 1 9; ./attack kill 1 15; echo still-here'
	[[ "$output" == *still-here* ]]
	[ "$(printf '%s\n' "$output" | grep -c '^errno=EPERM')" -eq 2 ]
}
