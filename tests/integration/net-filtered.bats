#!/usr/bin/env bats
# The filtered network: what a cell can reach through the broker, and how a refusal reads.

load helpers
load net-lib

setup() { net_setup; }
teardown() { net_teardown; }

ALLOW='allow = ["upstream.test", "127.0.0.1/32"]'

@test "proxy variables point at the broker on the cell's loopback" {
	netprofile "$ALLOW"
	netcell sh -c 'echo "$HTTP_PROXY $HTTPS_PROXY $ALL_PROXY $NO_PROXY $http_proxy $all_proxy"; cat /etc/resolv.conf'
	[ "$status" -eq 0 ]
	[[ "$output" == *"http://127.0.0.1:3128 http://127.0.0.1:3128 socks5h://127.0.0.1:1080 localhost,127.0.0.1,::1 http://127.0.0.1:3128 socks5h://127.0.0.1:1080"* ]]
	[[ "$output" == *"nameserver 127.0.0.1"* ]]
}

@test "HTTP CONNECT and absolute-form requests reach an allowed host" {
	netprofile "$ALLOW"
	netcell sh -c "curl -sS -m 10 -p http://upstream.test:$UP_PORT/a && curl -sS -m 10 http://upstream.test:$UP_PORT/b"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'hello from upstream\nhello from upstream')" ]
	events | grep '"event":"net"' | grep '"decision":"allow"' | grep -q '"method":"CONNECT"'
	events | grep '"decision":"allow"' | grep '"method":"GET"' | grep -q '"bytes_in":'
}

@test "SOCKS5 with remote name resolution reaches an allowed host" {
	netprofile "$ALLOW"
	netcell curl -sS -m 10 -x "socks5h://127.0.0.1:1080" "http://upstream.test:$UP_PORT/"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from upstream" ]
	# what ssh's ProxyCommand (git over SSH) does: nc through SOCKS5 with a remote name
	netcell sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 10 -X 5 -x 127.0.0.1:1080 upstream.test $UP_PORT | tail -1"
	[ "$output" = "hello from upstream" ]
	events | grep '"via":"socks5"' | grep -q '"decision":"allow"'
}

@test "a program that ignores proxy variables is captured and judged by name" {
	netprofile "$ALLOW"
	netcell sh -c "curl --noproxy '*' -sS -m 10 http://upstream.test:$UP_PORT/; getent hosts upstream.test"
	[ "$status" -eq 0 ]
	[[ "$output" == "hello from upstream"* ]]
	[[ "$output" == *"198.18."*"upstream.test"* ]]
	events | grep '"via":"transparent"' | grep '"host":"upstream.test"' | grep -q allow
}

@test "a refusal explains itself: 403 body, stderr line, event, profile line" {
	netprofile "$ALLOW"
	netcell curl -sS -m 10 "http://other.test:$UP_PORT/"
	[[ "$output" == *"refused other.test:$UP_PORT"* ]]
	[[ "$output" == *"allow = [\"other.test:$UP_PORT\"]"* ]]
	[[ "$stderr" == *"brig: network: refused other.test:$UP_PORT"*"project.toml"* ]]
	events | grep '"decision":"deny"' | grep -q '"host":"other.test"'
}

@test "deny wins over allow, and the refusal names the deny rule" {
	netprofile 'allow = ["*.test", "127.0.0.1/32"]
deny = ["upstream.test"]'
	netcell curl -sS -m 10 "http://upstream.test:$UP_PORT/"
	[[ "$output" == *"denied by deny rule \"upstream.test\""* ]]
	[[ "$output" != *"hello from upstream"* ]]
}

@test "a port in a rule limits it to that port" {
	netprofile "allow = [\"upstream.test:1\", \"127.0.0.1/32\"]"
	netcell curl -sS -m 10 "http://upstream.test:$UP_PORT/"
	[[ "$output" == *"refused upstream.test:$UP_PORT"* ]]
	netprofile "allow = [\"upstream.test:$UP_PORT\", \"127.0.0.1/32\"]"
	netcell curl -sS -m 10 "http://upstream.test:$UP_PORT/"
	[ "$output" = "hello from upstream" ]
}

@test "the DNS stub answers allowed names and NXDOMAIN for the rest" {
	netprofile "$ALLOW"
	netcell sh -c 'dig +short +time=2 +tries=1 upstream.test; dig +time=2 +tries=1 nope.example.org | grep -o "status: [A-Z]*"; dig +tcp +time=2 +tries=1 nope.example.org | grep -o "status: [A-Z]*"'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == 198.18.* ]]
	[ "${lines[1]}" = "status: NXDOMAIN" ]
	[ "${lines[2]}" = "status: NXDOMAIN" ]
}

@test "an allowed name that resolves to loopback needs an address rule (rebinding)" {
	netprofile 'allow = ["upstream.test"]'
	netcell curl -sS -m 10 "http://upstream.test:$UP_PORT/"
	[[ "$output" == *"resolves to 127.0.0.1/32 (loopback)"* ]]
	[[ "$output" == *'allow = ["127.0.0.1/32"]'* ]]
	[[ "$output" != *"hello from upstream"* ]]
}

@test "presets are named lists; an unknown preset is an error naming the known ones" {
	netprofile 'allow_presets = ["npm", "nosuch"]'
	netcell true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *'unknown preset "nosuch"'*npm*pypi*github*anthropic*openai*debian* ]]
	netprofile 'allow = ["1.2.3.4"]'
	netcell true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *'"1.2.3.4/32"'* ]]
}

@test "publish makes a server on the cell's loopback reachable from the host" {
	port=$((20000 + RANDOM % 20000))
	netprofile "$ALLOW
publish = [\"$port\"]"
	"$BRIG" run net --direct -- python3 -c "
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'inside the cell\n')
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', $port), H)
s.handle_request()
" 2>"$T/pub.err" &
	bpid=$!
	got=
	for _ in $(seq 100); do
		got=$(curl -sS -m 2 "http://127.0.0.1:$port/" 2>/dev/null) && [ -n "$got" ] && break
		sleep 0.1
	done
	wait "$bpid"
	[ "$got" = "inside the cell" ]
}

@test "killing the broker leaves the cell with no way out (fail closed)" {
	netprofile "$ALLOW"
	# The cell's /tmp is its own: the project directory carries the signals.
	timeout 60 "$BRIG" run net --direct -- sh -c "
		curl -sS -m 5 -o /dev/null -w 'before %{http_code}\n' http://upstream.test:$UP_PORT/
		touch ready; while [ ! -e killed ]; do sleep 0.1; done
		curl -sS -m 5 -o /dev/null -w 'after %{http_code}\n' http://upstream.test:$UP_PORT/ 2>&1
		curl --noproxy '*' -sS -m 5 -o /dev/null -w 'after-direct %{http_code}\n' http://127.0.0.1:$UP_PORT/ 2>&1
		curl --noproxy '*' -sS -m 5 -o /dev/null -w 'after-ip %{http_code}\n' http://192.0.2.1:$UP_PORT/ 2>&1
		true" >"$T/out" 2>&1 &
	bpid=$!
	for _ in $(seq 100); do [ -e "$P/ready" ] && break; sleep 0.1; done
	brig=$(ps -o pid= --ppid "$bpid" | tr -d ' ')
	broker=$(ps -o pid=,comm= --ppid "$brig" | awk '$2 == "brig-broker" {print $1}')
	[ -n "$broker" ] && kill -KILL "$broker"
	touch "$P/killed"
	wait "$bpid" || true
	[ -n "$broker" ]
	cat "$T/out"
	grep -q 'before 200' "$T/out"
	[ -z "$(grep 'after 200' "$T/out")" ]
	[ -z "$(grep 'after-direct 200' "$T/out")" ]
	[ -z "$(grep 'after-ip 200' "$T/out")" ]
	grep -q 'the broker has stopped; this cell has no network' "$T/out"
}

@test "brig log shows the decisions; --json gives the raw events" {
	netprofile "$ALLOW"
	netcell sh -c "curl -sS -m 10 http://upstream.test:$UP_PORT/; curl -sS -m 10 http://other.test/"
	run "$BRIG" log
	[ "$status" -eq 0 ]
	[[ "$output" == *"allow  upstream.test:$UP_PORT GET via http"* ]]
	[[ "$output" == *"deny   other.test:80 GET via http"* ]]
	run "$BRIG" log --json
	[ "$status" -eq 0 ]
	echo "$output" | grep '"event":"net"' | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'
}

@test "brig log --follow shows events as they come and stops when the session ends" {
	netprofile "$ALLOW"
	timeout 60 "$BRIG" run net --direct -- sh -c "
		while [ ! -e go ]; do sleep 0.1; done
		curl -sS -m 10 -o /dev/null http://upstream.test:$UP_PORT/followed" 2>/dev/null &
	bpid=$!
	for _ in $(seq 100); do ls "$XDG_STATE_HOME"/brig/sessions/*/events.jsonl >/dev/null 2>&1 && break; sleep 0.1; done
	timeout 30 "$BRIG" log --follow >"$T/follow.out" &
	lpid=$!
	sleep 0.5
	touch "$P/go"
	wait "$bpid"
	wait "$lpid"
	grep -q "allow  upstream.test:$UP_PORT GET via http" "$T/follow.out"
	grep -q "exit" "$T/follow.out"
}

@test "--net none: loopback only, no broker, no proxy variables" {
	netprofile "$ALLOW"
	run --separate-stderr timeout 60 "$BRIG" run net --net none --direct -- sh -c "echo \"[\$HTTP_PROXY]\"; curl --noproxy '*' -sS -m 5 http://127.0.0.1:$UP_PORT/"
	[ "${lines[0]}" = "[]" ]
	[[ "$output" != *"hello from upstream"* ]]
}
