# Shared by tests/integration/gate-*.bats and tests/escape/gate-*.bats.
# A gated session is made the way the launcher makes one (overlay of the project, upper and work
# in the session directory), in a user+mount namespace of the test's own, so these tests need
# neither root nor the launcher.

gate_setup() {
	T=$(mktemp -d)
	export XDG_STATE_HOME=$T/state
	P=$T/proj
	mkdir -p "$P"
	P=$(realpath "$P")
	unshare -Urm true 2>/dev/null || skip "no unprivileged user namespaces here"
}

gate_teardown() {
	[ -n "${T:-}" ] || return 0
	chmod -R u+rwX "$T" 2>/dev/null || true
	rm -rf "$T"
}

# gate_session 'shell commands run inside the overlaid project' -> prints the session id
gate_session() {
	# Called in $(...): the counter lives in a file so that ids stay unique and ordered.
	local n id d t0
	n=$(($(cat "$T/.gate-n" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$T/.gate-n"
	id=$(date -u +%Y%m%dT%H%M%S)-$(printf '%06x' "$n")
	d=$XDG_STATE_HOME/brig/sessions/$id
	mkdir -p "$d/upper" "$d/work"
	# brig counts host changes made in the last 20 ms before a session starts as conflicts
	# (timestamps come from a coarse clock); the tests' own set-up is older than that.
	sleep 0.03
	t0=$(($(date +%s%N) - 20000000))
	cat >"$d/meta.json" <<JSON
{"id": "$id", "profile": "test", "source": "test", "project": "$P", "project_real": "$P",
 "gated": true, "t0_ns": $t0, "upper": "upper", "state": "running", "supervisor_pid": $$,
 "host_userns": "$(stat -L -c %d:%i /proc/self/ns/user)", "started": "$(date -u +%FT%TZ)"}
JSON
	unshare -Urm sh -ec "mount -t overlay overlay -o lowerdir=$P,upperdir=$d/upper,workdir=$d/work,userxattr $P; cd $P; $1" >&2
	jq '.state = "exited" | .exit_status = 0' "$d/meta.json" >"$d/meta.tmp" && mv "$d/meta.tmp" "$d/meta.json"
	echo "$id"
}

gate_dir() { echo "$XDG_STATE_HOME/brig/sessions/$1"; }

# A sorted listing of a tree (outside .git): type, mode, size or link target, path; then the
# content hash of every regular file.
tree_state() {
	(
		cd "$1" || exit 1
		find . -path ./.git -prune -o \( -type d -printf 'd %m - %p\n' \) \
			-o \( -type l -printf 'l %m %l %p\n' \) -o \( -type f -printf 'f %m %s %p\n' \) \
			-o -printf '%y %m - %p\n'
		find . -path ./.git -prune -o -type f -exec sha1sum {} +
	) | sort
}
