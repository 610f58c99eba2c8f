# Shared set-up for the hardening escape cases: the integration suite's fake home and project,
# the attack programs (attack.c, built once per file), and a check that nothing outside the
# project changed. Each case runs an attack in a cell and asserts the kernel's answer.
load ../integration/helpers

# setup_file: builds attack.c once for the whole file.
attack_build() {
	export ATTACK_BIN="$BATS_FILE_TMPDIR/attack"
	cc -O1 -o "$ATTACK_BIN" "$BATS_TEST_DIRNAME/attack.c"
}

# The state of everything under the test root except the project and brig's own session
# records: names, sizes, modes and contents.
outside_state() {
	(cd "$T" && find . \( -path "./home/projects/okb" -o -path "./home/.local/state/brig" \) -prune \
		-o -printf '%p %s %m %y\n' | LC_ALL=C sort
	 find "$T" \( -path "$P" -o -path "$HOME/.local/state/brig" \) -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0 -r cat 2>/dev/null) | md5sum
}

escape_setup() {
	brig_setup
	cp "$ATTACK_BIN" "$P/attack"
	mkdir -p "$XDG_STATE_HOME/brig" # brig records sessions there: not an escape
	BEFORE=$(outside_state)
}

escape_teardown() {
	local after
	after=$(outside_state)
	local rc=0
	if [ "$after" != "$BEFORE" ]; then
		echo "something outside the project changed" >&2
		rc=1
	fi
	brig_teardown
	return $rc
}

# attack ARGS: runs ./attack ARGS in a cell with the agent preset (no network, direct writes).
attack() {
	run "$BRIG" run -q --net none --direct -- ./attack "$@"
}

# in_cell SCRIPT: runs sh -c SCRIPT in the same kind of cell.
in_cell() {
	run "$BRIG" run -q --net none --direct -- sh -c "$1"
}

# The last line of output (brig's warnings, if any, come before the command's output).
last() {
	printf '%s\n' "$output" | tail -n 1
}
