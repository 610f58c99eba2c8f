#!/usr/bin/env bash
# Review gate benchmark: `brig review`, `brig diff --stat` and `brig apply` on a project of
# FILES files with CHANGED changed files, against `git status` on the same tree.
#   bash bench/gate/bench.sh [BRIG]    (default: build/brig; FILES, CHANGED, ROUNDS from env)
# Needs unprivileged user namespaces (the session is made as brig's launcher makes it: an
# overlay of the project with its upper dir in the session directory), git, jq.
set -euo pipefail
BRIG=${1:-build/brig}
BRIG=$(realpath "$BRIG")
FILES=${FILES:-100000}
CHANGED=${CHANGED:-1000}
ROUNDS=${ROUNDS:-5}
T=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
echo "work dir: $T" >&2
export XDG_STATE_HOME=$T/state
P=$T/proj
mkdir -p "$P"

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

echo "making $FILES files..." >&2
(
	cd "$P"
	dirs=$((FILES / 100))
	for d in $(seq 1 "$dirs"); do
		mkdir -p "d$((d % 100))/s$d"
		for f in $(seq 1 100); do echo "file $d $f" >"d$((d % 100))/s$d/f$f.txt"; done
	done
	git init -q . && git add -A && git -c user.name=b -c user.email=b@b commit -qm base
)
sleep 0.1

# CHANGED changes: 60% modified, 20% added, 10% deleted, 10% mode-only, spread over the tree.
(cd "$P" && find . -path ./.git -prune -o -type f -print | awk -v n="$CHANGED" 'NR % 7 == 0 && ++k <= n') >"$T/pick"
head -n $((CHANGED * 6 / 10)) "$T/pick" >"$T/modify"
sed -n "$((CHANGED * 6 / 10 + 1)),$((CHANGED * 7 / 10))p" "$T/pick" >"$T/delete"
sed -n "$((CHANGED * 7 / 10 + 1)),$((CHANGED * 8 / 10))p" "$T/pick" >"$T/chmod"
changes_script() {
	echo "set -e"
	echo "while read -r f; do echo changed >> \"\$f\"; done < $T/modify"
	echo "xargs rm < $T/delete; xargs chmod 600 < $T/chmod"
	echo "mkdir -p new; for i in \$(seq 1 $((CHANGED * 2 / 10))); do echo new > new/n\$i.txt; done"
}

id=bench-session
make_session() {
	local d=$XDG_STATE_HOME/brig/sessions/$id
	rm -rf "$d"
	mkdir -p "$d/upper" "$d/work"
	cat >"$d/meta.json" <<JSON
{"id": "$id", "profile": "bench", "project": "$P", "project_real": "$P", "gated": true,
 "t0_ns": $(($(date +%s%N) - 20000000)), "state": "exited", "supervisor_pid": 0,
 "host_userns": "$(stat -L -c %d:%i /proc/self/ns/user)"}
JSON
	unshare -Urm sh -ec "mount -t overlay overlay -o lowerdir=$P,upperdir=$d/upper,workdir=$d/work,userxattr $P; cd $P; $(changes_script)"
}
# brig ids start with a date; this one is named on the command line by its full name.
id=20000101T000000-bench0

echo "session with $CHANGED changes..." >&2
make_session
cd "$P"
git status --porcelain >/dev/null # warm the cache

gs=() rv=() rj=() ds=() ap=() gs_after=()
for r in $(seq 1 "$ROUNDS"); do
	gs+=("$(ms git status --porcelain)")
	rv+=("$(ms "$BRIG" review "$id")")
	rj+=("$(ms "$BRIG" review --json "$id")")
	ds+=("$(ms "$BRIG" diff --stat "$id")")
done
n_changes=$("$BRIG" review --json "$id" | jq '.changes | length')
for r in $(seq 1 "$ROUNDS"); do
	ap+=("$(ms "$BRIG" apply "$id")")
	gs_after+=("$(ms git status --porcelain)")
	# Back to the base state, and the session as if never applied.
	git reset -q --hard && git clean -qfd
	sleep 0.05
	d=$XDG_STATE_HOME/brig/sessions/$id
	rm -f "$d/seen.json"
	jq --argjson t "$(($(date +%s%N) - 20000000))" '.t0_ns = $t | .state = "exited" | del(.applied)' \
		"$d/meta.json" >"$d/m" && mv "$d/m" "$d/meta.json"
done

med() { printf '%s\n' "$@" | median; }
fs=$(df -T "$P" | awk 'NR == 2 {print $2}')
echo
echo "project: $FILES files ($fs), session: $CHANGED changed files ($n_changes entries in the review, directories included); median of $ROUNDS runs, milliseconds"
echo
echo "| operation | ms | vs git status |"
echo "|---|---:|---:|"
g=$(med "${gs[@]}")
row() { echo "| $1 | $2 | $(awk -v a="$2" -v b="$g" 'BEGIN { printf "%.2fx", (b ? a / b : 0) }') |"; }
row "git status --porcelain (clean tree, warm cache)" "$g"
row "brig review" "$(med "${rv[@]}")"
row "brig review --json" "$(med "${rj[@]}")"
row "brig diff --stat" "$(med "${ds[@]}")"
row "brig apply (all $CHANGED changes, 2 syncfs)" "$(med "${ap[@]}")"
row "git status --porcelain (after apply)" "$(med "${gs_after[@]}")"
