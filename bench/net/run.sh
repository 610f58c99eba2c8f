#!/usr/bin/env bash
# Network benchmarks, side by side in one run: brig's broker (in a filtered cell), a direct
# connection, tinyproxy (Debian) and sandbox-runtime's HTTP proxy (npm), all against servers on
# the host's loopback. Prints a Markdown table for docs/BENCHMARKS.md.
#   bench/net/run.sh [BRIG]
#   env: SIZE_MIB (1024) REQS (10000) TUNNELS (1000) RUNS (20) SRT_DIR (sandbox-runtime package dir;
#        without it, `npm install @anthropic-ai/sandbox-runtime` into a temp dir is attempted)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BRIG=${1:-$here/../../build/brig}
SIZE=$(( ${SIZE_MIB:-1024} * 1048576 ))
REQS=${REQS:-10000}
TUNNELS=${TUNNELS:-1000}
RUNS=${RUNS:-20}
W=$(mktemp -d /tmp/brig-bench-net.XXXXXX)
chmod 755 "$W"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
export XDG_STATE_HOME=$W/state BRIG_NET_TEST_HOSTS=bench.test=127.0.0.1
mkdir -p "$W/proj" "$W/cfg"
cp "$here/client.py" "$W/proj/"
printf '[project]\ndir = "%s"\n[network]\nmode = "filtered"\nallow = ["bench.test", "127.0.0.1/32"]\n' \
	"$W/proj" >"$W/cfg/p.toml"
chmod 600 "$W/cfg/p.toml"
brig_run() { (cd "$W/proj" && "$BRIG" run -q --profile "$W/cfg/p.toml" --direct "$@"); }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "timeout: $1" >&2; return 1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss_kib() {
	local s=0 v p
	for p in "$@"; do
		v=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=bench.test -days 1 \
	-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1
python3 "$here/upstream.py" blast "$W/blast.port" & pids+=($!)
python3 "$here/upstream.py" tls "$W/tls.port" "$W/cert.pem" "$W/key.pem" & pids+=($!)
python3 "$here/upstream.py" hold "$W/hold.port" & pids+=($!)
wait_file "$W/blast.port"; wait_file "$W/tls.port"; wait_file "$W/hold.port"
BP=$(cat "$W/blast.port") TP=$(cat "$W/tls.port") HP=$(cat "$W/hold.port")

TINY=$(free_port)
printf 'Port %s\nListen 127.0.0.1\nTimeout 600\nMaxClients 4000\nLogLevel Critical\n' "$TINY" >"$W/tiny.conf"
[ "$(id -u)" -eq 0 ] && printf 'User nobody\nGroup nogroup\n' >>"$W/tiny.conf"
tinyproxy -d -c "$W/tiny.conf" >/dev/null 2>&1 & pids+=($!)
TINY_PID=$!

if [ -z "${SRT_DIR:-}" ]; then
	(cd "$W" && npm install --silent --no-audit --no-fund @anthropic-ai/sandbox-runtime >/dev/null 2>&1) &&
		SRT_DIR=$W/node_modules/@anthropic-ai/sandbox-runtime || SRT_DIR=
fi
SRT=
if [ -n "$SRT_DIR" ]; then
	SRT=$(free_port)
	SRT_DIR=$SRT_DIR node "$here/srt-proxy.mjs" "$SRT" >"$W/srt.out" 2>&1 & pids+=($!)
	SRT_PID=$!
	wait_file "$W/srt.out"
fi
sleep 0.5

echo "# throughput: ${SIZE_MIB:-1024} MiB through one CONNECT tunnel (median of 3, MB/s)" >&2
tput() { # label, command...
	local label=$1; shift
	local v
	v=$(for _ in 1 2 3; do "$@"; echo; done | median)
	printf '%s %.0f\n' "$label" "$(echo "$v / 1000000" | bc -l)"
}
curl_speed() { curl -s -o /dev/null -w '%{speed_download}' "$@"; }
{
	tput direct curl_speed "http://127.0.0.1:$BP/$SIZE"
	tput brig brig_run -- curl -s -o /dev/null -w '%{speed_download}' -p -x http://127.0.0.1:3128 "http://bench.test:$BP/$SIZE"
	tput tinyproxy curl_speed -p -x "http://127.0.0.1:$TINY" "http://127.0.0.1:$BP/$SIZE"
	[ -n "$SRT" ] && tput sandbox-runtime curl_speed -p -x "http://127.0.0.1:$SRT" "http://127.0.0.1:$BP/$SIZE"
} >"$W/tput.txt"
cat "$W/tput.txt" >&2

echo "# latency: $REQS sequential HTTPS requests, each through a new CONNECT tunnel" >&2
{
	echo "direct $(python3 "$here/client.py" latency "$REQS" 127.0.0.1 "$TP")"
	echo "brig $(brig_run -- python3 client.py latency "$REQS" bench.test "$TP" 127.0.0.1:3128)"
	echo "tinyproxy $(python3 "$here/client.py" latency "$REQS" 127.0.0.1 "$TP" "127.0.0.1:$TINY")"
	[ -n "$SRT" ] && echo "sandbox-runtime $(python3 "$here/client.py" latency "$REQS" 127.0.0.1 "$TP" "127.0.0.1:$SRT")"
} >"$W/lat.txt"
cat "$W/lat.txt" >&2

echo "# memory: RSS with $TUNNELS idle tunnels" >&2
rm -f "$W/proj/go" "$W/proj/ready.txt"
brig_run -- sh -c "python3 client.py tunnels $TUNNELS bench.test $HP 127.0.0.1:3128 go > ready.txt" &
bpid=$!
wait_file "$W/proj/ready.txt"
brig_pid=$(ps -o pid= --ppid "$bpid" | tr -d ' ' | head -1)
broker=$(ps -o pid=,comm= --ppid "${brig_pid:-$bpid}" | awk '$2 == "brig-broker" {print $1}')
[ -z "$broker" ] && broker=$(ps -o pid=,comm= --ppid "$bpid" | awk '$2 == "brig-broker" {print $1}')
brig_rss=$(rss_kib "$broker")
touch "$W/proj/go"
wait "$bpid" || true
host_rss() { # label pids-command proxy
	local label=$1 proxy=$2; shift 2
	rm -f "$W/go" "$W/ready.txt"
	python3 "$here/client.py" tunnels "$TUNNELS" 127.0.0.1 "$HP" "$proxy" "$W/go" >"$W/ready.txt" &
	local c=$!
	wait_file "$W/ready.txt"
	echo "$label $(rss_kib $("$@"))"
	touch "$W/go"
	wait "$c" || true
}
{
	echo "brig $brig_rss"
	host_rss tinyproxy "127.0.0.1:$TINY" sh -c "echo $TINY_PID; pgrep -P $TINY_PID"
	[ -n "$SRT" ] && host_rss sandbox-runtime "127.0.0.1:$SRT" echo "$SRT_PID"
} >"$W/mem.txt"
cat "$W/mem.txt" >&2

echo "# start-up: brig run -- true, --net none vs filtered ($RUNS runs)" >&2
(cd "$W/proj" && hyperfine -N --style none --warmup 2 --runs "$RUNS" --export-json "$W/start.json" \
	"$BRIG run -q --profile $W/cfg/p.toml --direct --net none -- true" \
	"$BRIG run -q --profile $W/cfg/p.toml --direct -- true" >/dev/null 2>&1)
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("none %.1f %.1f" % (r[0]["mean"] * 1000, r[0]["stddev"] * 1000))
print("filtered %.1f %.1f" % (r[1]["mean"] * 1000, r[1]["stddev"] * 1000))' "$W/start.json" >"$W/start.txt"
cat "$W/start.txt" >&2

# The Markdown table.
direct=$(awk '$1 == "direct" {print $2}' "$W/tput.txt")
dlat50=$(awk '$1 == "direct" {print $3}' "$W/lat.txt")
dlat99=$(awk '$1 == "direct" {print $5}' "$W/lat.txt")
echo
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -r); ${SIZE_MIB:-1024} MiB transfer, $REQS requests, $TUNNELS tunnels."
echo
echo "| | throughput MB/s (x direct) | latency p50 ms (added) | latency p99 ms (added) | RSS with $TUNNELS idle tunnels |"
echo "|---|---|---|---|---|"
for who in direct brig tinyproxy sandbox-runtime; do
	t=$(awk -v w=$who '$1 == w {print $2}' "$W/tput.txt")
	[ -z "$t" ] && continue
	l50=$(awk -v w=$who '$1 == w {print $3}' "$W/lat.txt")
	l99=$(awk -v w=$who '$1 == w {print $5}' "$W/lat.txt")
	m=$(awk -v w=$who '$1 == w {print $2}' "$W/mem.txt")
	printf '| %s | %s (%.2fx) | %s (%+.2f) | %s (%+.2f) | %s |\n' "$who" "$t" "$(echo "$t / $direct" | bc -l)" \
		"$l50" "$(echo "$l50 - $dlat50" | bc -l)" "$l99" "$(echo "$l99 - $dlat99" | bc -l)" \
		"$([ -n "$m" ] && echo "$((m / 1024)) MiB" || echo -)"
done
read -r _ nm ns <"$W/start.txt"
fm=$(awk '$1 == "filtered" {print $2}' "$W/start.txt")
fs=$(awk '$1 == "filtered" {print $3}' "$W/start.txt")
echo
echo "Start-up (\`brig run -- true\`, mean of $RUNS): --net none $nm ms (±$ns), filtered $fm ms (±$fs): +$(echo "$fm - $nm" | bc -l) ms."
