#!/usr/bin/env bash
# The start-up cost of each hardening layer: `brig run --net none --direct -- true` with every
# layer on, then with one layer off at a time (profiles that set [seccomp], [landlock],
# [limits] or [protect] enabled = false), next to bwrap --unshare-all. hyperfine, -N (no shell).
# Results: bench/out/harden.md and .json. RUNS (default 100) per command.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
brig=${BRIG:-$root/build/brig}
runs=${RUNS:-100}
out=$PWD/out
mkdir -p "$out"
command -v hyperfine >/dev/null || { echo "hyperfine missing"; exit 1; }

t=$(mktemp -d /tmp/brig-bench-harden.XXXXXX)
trap 'rm -rf "$t"' EXIT
export HOME=$t/home XDG_CONFIG_HOME=$t/home/.config XDG_STATE_HOME=$t/home/.local/state
mkdir -p "$HOME/project/.git/hooks" "$XDG_STATE_HOME"
echo '[core]' >"$HOME/project/.git/config"
cd "$HOME/project"

# profile NAME EXTRA: a brig profile for the project with EXTRA appended.
profile() {
	mkdir -p "$XDG_CONFIG_HOME/brig/$1"
	chmod 700 "$XDG_CONFIG_HOME/brig/$1"
	printf '[project]\ndir = "%s"\n[network]\nmode = "none"\n%b' "$HOME/project" "$2" \
		>"$XDG_CONFIG_HOME/brig/$1/project.toml"
	chmod 600 "$XDG_CONFIG_HOME/brig/$1/project.toml"
}
profile all ''
profile no-seccomp '[seccomp]\nenabled = false\n'
profile no-landlock '[landlock]\nenabled = false\n'
profile no-limits '[limits]\nenabled = false\n'
profile no-protect '[protect]\nenabled = false\n'
profile none '[seccomp]\nenabled = false\n[landlock]\nenabled = false\n[limits]\nenabled = false\n[protect]\nenabled = false\n'

run() { echo "$brig run -q --net none --direct $1 -- true"; }
hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$out/harden.md" --export-json "$out/harden.json" \
	-n "all layers" "$(run all)" \
	-n "seccomp off" "$(run no-seccomp)" \
	-n "landlock off" "$(run no-landlock)" \
	-n "limits off" "$(run no-limits)" \
	-n "protect off" "$(run no-protect)" \
	-n "no hardening layer" "$(run none)" \
	-n "bwrap --unshare-all" "bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc true"

# Per-layer figures, in-process (bench/harden_layers.c, linked against the same build).
lib=$(dirname "$brig")/libbrig.a
if [ -f "$lib" ] && command -v cc >/dev/null; then
	cc -O2 -D_GNU_SOURCE -I"$root/src" -o "$t/harden_layers" "$root/bench/harden_layers.c" "$lib" \
		$(pkg-config --libs libseccomp jansson libhs libsodium liboath libqrencode openssl) -lm -lstdc++
	git init -q "$HOME/layers-project"
	"$t/harden_layers" "$HOME/layers-project" | tee "$out/harden-layers.md"
fi
