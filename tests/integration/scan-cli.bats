#!/usr/bin/env bats
# brig scan: files, directories, stdin, .gitignore, binaries, git history, output formats and
# exit codes. Tokens are generated at run time (valid checksums), never stored in the repo.

setup() {
	T=$(mktemp -d)
	GEN="$BRIG_SRC/tests/scan/gen_corpus.py"
	GHP=$(python3 "$GEN" token github-pat)
	NPM=$(python3 "$GEN" token npm-token)
}

teardown() {
	rm -rf "$T"
}

@test "scan: a clean tree exits 0 and prints nothing" {
	mkdir -p "$T/src"
	printf 'int main(void) { return 0; }\n' >"$T/src/main.c"
	printf 'name: app\nversion: 1.2.3\n' >"$T/app.yaml"
	run "$BRIG" scan "$T"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "scan: a token is reported with file:line:col, rule and a redacted preview, exit 1" {
	printf 'a: 1\ntoken: "%s"\n' "$GHP" >"$T/conf.yaml"
	run "$BRIG" scan "$T/conf.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/conf.yaml:2:9: github-pat"* ]]
	[[ "$output" == *"[checksum valid]"* ]]
	# never the whole secret
	[[ "$output" != *"$GHP"* ]]
	[[ "$output" != *"${GHP:10:20}"* ]]
}

@test "scan: a checksum-invalid look-alike is not reported" {
	bad="${GHP:0:39}$([ "${GHP:39:1}" = A ] && echo B || echo A)"
	printf 'token: "%s"\n' "$bad" >"$T/conf.yaml"
	run "$BRIG" scan "$T/conf.yaml"
	[ "$status" -eq 0 ]
}

@test "scan: stdin with -" {
	run bash -c "printf 'NPM_TOKEN=%s\n' '$NPM' | '$BRIG' scan -"
	[ "$status" -eq 1 ]
	[[ "$output" == *"<stdin>:1:11: npm-token"* ]]
}

@test "scan: --json lists findings with rule, family, line, column, preview, validated" {
	printf 'x\n\n  key = "%s"\n' "$GHP" >"$T/a.py"
	run "$BRIG" scan --json "$T"
	[ "$status" -eq 1 ]
	echo "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
f = d["findings"]
assert d["count"] == 1 and len(f) == 1, d
f = f[0]
assert f["rule"] == "github-pat" and f["family"] == "source-host", f
assert f["line"] == 3 and f["column"] == 10 and f["validated"] is True, f
assert f["file"].endswith("/a.py") and f["preview"].startswith("ghp_"), f
assert d["files_scanned"] == 1
'
}

@test "scan: --sarif is SARIF 2.1.0 with rules and located results" {
	printf 'token: "%s"\n' "$GHP" >"$T/a.yaml"
	run "$BRIG" scan --sarif "$T/a.yaml"
	[ "$status" -eq 1 ]
	echo "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["version"] == "2.1.0" and "sarif" in d["$schema"]
run = d["runs"][0]
assert run["tool"]["driver"]["name"] == "brig"
ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
assert ids == ["github-pat"], ids
res = run["results"][0]
assert res["ruleId"] == "github-pat" and res["level"] == "error"
loc = res["locations"][0]["physicalLocation"]
assert loc["artifactLocation"]["uri"].endswith("a.yaml")
assert loc["region"] == {"startLine": 1, "startColumn": 9}, loc
'
}

@test "scan: binary files are skipped" {
	printf 'token: "%s"\n\0\1\2' "$GHP" >"$T/blob.bin"
	run "$BRIG" scan "$T"
	[ "$status" -eq 0 ]
}

@test "scan: .gitignore is honoured, --no-gitignore scans everything" {
	mkdir -p "$T/build" "$T/sub"
	printf 'build/\n*.log\n!keep.log\n' >"$T/.gitignore"
	printf 'T=%s\n' "$GHP" >"$T/build/out.txt"
	printf 'T=%s\n' "$GHP" >"$T/sub/debug.log"
	printf 'T=%s\n' "$NPM" >"$T/sub/keep.log"
	run "$BRIG" scan "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *"keep.log"* ]]
	[[ "$output" != *"out.txt"* ]]
	[[ "$output" != *"debug.log"* ]]
	run "$BRIG" scan --no-gitignore "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *"out.txt"* ]]
	[[ "$output" == *"debug.log"* ]]
}

@test "scan: brig:allow on the line silences a finding" {
	printf 't = "%s"  # brig:allow (test fixture)\n' "$GHP" >"$T/a.py"
	run "$BRIG" scan "$T/a.py"
	[ "$status" -eq 0 ]
}

@test "scan: --git finds a secret removed from the work tree in an older commit" {
	command -v git >/dev/null || skip "git not installed"
	cd "$T"
	git init -q repo && cd repo
	git config user.email t@example.test && git config user.name t
	printf 'a\nb\nTOKEN=%s\n' "$GHP" >conf.env
	git add conf.env && git commit -qm add
	printf 'a\nb\n' >conf.env
	git commit -qam remove
	run "$BRIG" scan "$T/repo"
	[ "$status" -eq 0 ]
	run "$BRIG" scan --git "$T/repo"
	[ "$status" -eq 1 ]
	first=$(git rev-parse HEAD~1)
	[[ "$output" == *"${first:0:12}:conf.env:3:7: github-pat"* ]]
	run "$BRIG" scan --git --json "$T/repo"
	echo "$output" | python3 -c "import json,sys; f=json.load(sys.stdin)['findings']; assert len(f)==1 and f[0]['commit']=='$first', f"
}

@test "scan: errors exit 2 and name the path" {
	run "$BRIG" scan "$T/does-not-exist"
	[ "$status" -eq 2 ]
	[[ "$output" == *"does-not-exist"* ]]
	run "$BRIG" scan --git "$T"
	[ "$status" -eq 2 ]
	run "$BRIG" scan --color=sometimes "$T"
	[ "$status" -eq 2 ]
}

@test "scan: colour only when asked or on a terminal" {
	printf 'token: "%s"\n' "$GHP" >"$T/a.yaml"
	run "$BRIG" scan "$T/a.yaml"
	[[ "$output" != *$'\033['* ]]
	run "$BRIG" scan --color=always "$T/a.yaml"
	[[ "$output" == *$'\033['* ]]
}

@test "scan: --rules lists at least 150 rules" {
	run "$BRIG" scan --rules
	[ "$status" -eq 0 ]
	n=$(echo "$output" | tail -1 | cut -d' ' -f1)
	[ "$n" -ge 150 ]
}

@test "scan: the compiled rules are cached privately, and a bad cache is ignored" {
	printf 'token: "%s"\n' "$GHP" >"$T/a.yaml"
	XDG_CACHE_HOME="$T/cache" run "$BRIG" scan "$T/a.yaml"
	[ "$status" -eq 1 ]
	f=$(ls "$T"/cache/brig/scan-rules-*.hsdb)
	[ "$(stat -c %a "$f")" = 600 ]
	[ "$(stat -c %a "$T/cache/brig")" = 700 ]
	XDG_CACHE_HOME="$T/cache" run "$BRIG" scan "$T/a.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"github-pat"* ]]
	# corrupted: Vectorscan refuses it, the rules are compiled again and the cache rewritten;
	# an earlier rule set's database goes at the same time
	echo stale >"$T/cache/brig/scan-rules-00000000.hsdb"
	dd if=/dev/urandom of="$f" bs=1 count=64 seek=200 conv=notrunc 2>/dev/null
	XDG_CACHE_HOME="$T/cache" run "$BRIG" scan "$T/a.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"github-pat"* ]]
	[ ! -e "$T/cache/brig/scan-rules-00000000.hsdb" ]
	# writable by others: not trusted
	head -c 100 /dev/zero >"$f"
	chmod 666 "$f"
	XDG_CACHE_HOME="$T/cache" run "$BRIG" scan "$T/a.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"github-pat"* ]]
}
