# Shared set-up for the filtered-network suites (net-*.bats, tests/escape/net-*.bats): an upstream
# HTTP server on the host's loopback, names that resolve to it (BRIG_NET_TEST_HOSTS), and a profile.

# Starts an HTTP server on the host's 127.0.0.1 (any path answers "hello from upstream").
upstream_start() {
	python3 - "$T/up.port" <<'PY' &
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from upstream\n"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    do_POST = do_GET
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1])); __import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
	UP_PID=$!
	for _ in $(seq 50); do [ -s "$T/up.port" ] && break; sleep 0.1; done
	UP_PORT=$(cat "$T/up.port")
	export BRIG_NET_TEST_HOSTS="upstream.test=127.0.0.1,meta.test=169.254.169.254,lan.test=10.0.0.7,v6.test=::1"
}

upstream_stop() {
	[ -n "${UP_PID:-}" ] && kill "$UP_PID" 2>/dev/null
	wait 2>/dev/null || true
}

# netprofile '[network] lines': the profile "net" for the project $P in filtered mode.
netprofile() {
	profile net "$(printf '[project]\ndir = "%s"\n[network]\nmode = "filtered"\n%s\n' "$P" "$1")"
}

# Runs CMD in a filtered cell; stdout in $output, stderr (brig's and the cell's) in $stderr.
netcell() {
	run --separate-stderr timeout 60 "$BRIG" run net --direct -- "$@"
}

net_setup() {
	brig_setup
	upstream_start
}

net_teardown() {
	upstream_stop
	brig_teardown
}

# The newest session's events.jsonl.
events() {
	cat "$XDG_STATE_HOME"/brig/sessions/*/events.jsonl 2>/dev/null
}
