#!/usr/bin/env bats
# Real clients in a filtered cell against the registries this machine reaches. Skipped (not
# failed) when the host itself cannot reach them: a network blip must not fail CI.

load helpers
load net-lib

setup() { brig_setup; }
teardown() { brig_teardown; }

reachable() {
	curl -sS -m 8 -o /dev/null "$1" 2>/dev/null || skip "the host cannot reach $1"
}

@test "npm install of a small package succeeds with the npm preset" {
	reachable https://registry.npmjs.org/is-number
	netprofile 'allow_presets = ["npm"]'
	netcell sh -c 'npm install --no-audit --no-fund --no-update-notifier is-number >/dev/null 2>&1; node -e "console.log(require(\"is-number\")(5))"'
	[ "$status" -eq 0 ]
	[ "$output" = "true" ]
	events | grep '"host":"registry.npmjs.org"' | grep -q '"decision":"allow"'
}

@test "apt-get download of a small Debian package works with the debian preset" {
	reachable http://deb.debian.org/debian/
	ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || skip "no apt lists on this host"
	netprofile 'allow_presets = ["debian"]'
	netcell sh -c 'apt-get download -q -o APT::Sandbox::User=root hello >/dev/null 2>&1; ls hello_*.deb'
	[ "$status" -eq 0 ]
	[[ "$output" == hello_*.deb ]]
	dpkg-deb -f "$P"/hello_*.deb Package | grep -qx hello
}

@test "curl https://example.com and a raw socket to an IP are refused with the explanation" {
	netprofile 'allow_presets = ["npm"]'
	netcell sh -c 'curl -sS -m 10 https://example.com/; python3 -c "
import socket
try:
    socket.create_connection((\"93.184.215.14\", 443), timeout=10).recv(1); print(\"connected\")
except OSError as e:
    print(\"refused\")"'
	[[ "$stderr" == *'refused example.com:443: no allow rule matches it'*'allow = ["example.com:443"]'* ]]
	[[ "$stderr" == *'refused 93.184.215.14:443'*'allow = ["93.184.215.14/32:443"]'* ]]
	[[ "$output" == *refused* ]]
}

@test "dig and nslookup of a refused name get NXDOMAIN" {
	netprofile 'allow_presets = ["npm"]'
	netcell sh -c 'dig +time=2 +tries=1 example.com | grep -o "status: [A-Z]*"; nslookup example.com 2>&1 | grep -o NXDOMAIN; dig +short +time=2 +tries=1 registry.npmjs.org'
	[ "${lines[0]}" = "status: NXDOMAIN" ]
	[ "${lines[1]}" = "NXDOMAIN" ]
	[[ "${lines[2]}" == 198.18.* ]]
}

@test "the broker is confined: seccomp filter, no_new_privs, no capabilities, nothing but sockets open" {
	netprofile 'allow_presets = ["npm"]'
	timeout 60 "$BRIG" run net --direct -- sh -c 'touch ready; while [ ! -e done ]; do sleep 0.1; done' 2>/dev/null &
	bpid=$!
	for _ in $(seq 100); do [ -e "$P/ready" ] && break; sleep 0.1; done
	brig=$(ps -o pid= --ppid "$bpid" | tr -d ' ')
	broker=$(ps -o pid=,comm= --ppid "$brig" | awk '$2 == "brig-broker" {print $1}')
	st=$(cat "/proc/$broker/status")
	fds=$(for f in /proc/"$broker"/fd/*; do [ "${f##*/}" -ge 3 ] && readlink "$f"; done |
		grep -v -e '^socket:' -e '^anon_inode:' -e 'events.jsonl$' || true)
	touch "$P/done"
	wait "$bpid"
	[[ "$st" == *"Seccomp:	2"* ]]
	[[ "$st" == *"NoNewPrivs:	1"* ]]
	[[ "$st" == *"CapEff:	0000000000000000"* ]]
	[ -z "$fds" ]
}
