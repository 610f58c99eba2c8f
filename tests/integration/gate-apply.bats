#!/usr/bin/env bats
# brig review / diff / apply / discard / ps on gated sessions: what apply writes is exactly what
# the same commands would have done to the project directly (checked against a copy), minus what
# is held back (findings, conflicts).

load gate-helpers

setup() {
	gate_setup
	cd "$P"
	mkdir -p src docs old/deep
	echo 'int main;' >src/main.c
	echo 'keep' >docs/keep.md
	echo 'a' >old/deep/a
	echo 'b' >old/b
	echo '#!/bin/sh' >tool.sh
	chmod 644 tool.sh
}
teardown() { gate_teardown; }

# same_as_direct 'commands': runs them in a gated session and, directly, on a copy of the project;
# then applies the session (extra apply args in APPLY_ARGS) and compares the two trees.
same_as_direct() {
	rm -rf "$T/expect"
	cp -a "$P" "$T/expect"
	(cd "$T/expect" && sh -ec "$1") >/dev/null 2>&1
	id=$(gate_session "$1")
	run "$BRIG" apply $APPLY_ARGS "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	diff <(tree_state "$T/expect") <(tree_state "$P")
}

@test "the project does not change until apply; apply makes it what the agent made" {
	before=$(tree_state "$P")
	id=$(gate_session 'echo more >> src/main.c; echo new > src/new.c; rm docs/keep.md')
	[ "$(tree_state "$P")" = "$before" ]
	run "$BRIG" review "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"M  src/main.c"* && "$output" == *"A  src/new.c"* && "$output" == *"D  docs/keep.md"* ]]
	run "$BRIG" apply "$id"
	[ "$status" -eq 0 ]
	grep -q more src/main.c && [ -f src/new.c ] && [ ! -e docs/keep.md ]
}

@test "deletions: a file, a whole tree, a directory replaced as a whole (opaque)" {
	same_as_direct 'rm old/b; rm -rf old/deep'
	same_as_direct 'rm -rf docs; mkdir docs; echo fresh > docs/new.md'
}

@test "renames (copy + delete in the cell) are shown as renames and applied" {
	echo 'some content long enough' >docs/r.md
	id=$(gate_session 'mkdir -p moved; mv docs/r.md moved/r.md; mv old other')
	run "$BRIG" review "$id"
	[[ "$output" == *"R  docs/r.md -> moved/r.md"* ]]
	run "$BRIG" apply "$id"
	[ "$status" -eq 0 ]
	[ ! -e docs/r.md ] && [ -f moved/r.md ] && [ ! -e old ] && [ -f other/deep/a ]
}

@test "permissions: files and directories keep their modes; mode-only changes apply" {
	same_as_direct 'chmod 600 docs/keep.md; chmod 755 tool.sh; mkdir priv; chmod 700 priv; echo s > priv/s; chmod 640 priv/s'
	[ "$(stat -c %a tool.sh)" = 755 ] && [ "$(stat -c %a priv)" = 700 ] && [ "$(stat -c %a priv/s)" = 640 ]
}

@test "type changes: file to directory and directory to file" {
	same_as_direct 'rm tool.sh; mkdir tool.sh; echo x > tool.sh/x; rm -rf old; echo now-a-file > old'
}

@test "symlinks: inside the project applied; out of it held back until accepted, never followed" {
	same_as_direct 'ln -s src/main.c link'
	id=$(gate_session 'ln -s /etc escape')
	run "$BRIG" apply "$id"
	[ "$status" -eq 1 ]
	[[ "$output" == *"symlink-escape"* ]]
	[ ! -L escape ]
	run "$BRIG" apply "$id" --accept escape
	[ "$status" -eq 0 ]
	[ "$(readlink escape)" = /etc ]
}

@test "conflicts: a path the host changed during the session is refused, the others apply" {
	id=$(gate_session 'echo agent >> src/main.c; echo agent > docs/keep.md; echo n > new.txt')
	echo host >>src/main.c
	rm docs/keep.md
	run "$BRIG" review "$id"
	[[ "$output" == *CONFLICT* ]]
	run "$BRIG" apply "$id"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"src/main.c  conflict"* ]]
	grep -q host src/main.c && ! grep -q agent src/main.c
	[ -f new.txt ]
	# docs/keep.md was modified by the agent and deleted by the host: shown as added (see docs)
}

@test "conflicts: the host changed a file the agent deleted" {
	id=$(gate_session 'rm old/b')
	echo changed-on-host >old/b
	run "$BRIG" apply "$id"
	[ "$status" -eq 1 ]
	[ "$(cat old/b)" = changed-on-host ]
}

@test "partial apply: only the named paths, the rest stays pending" {
	id=$(gate_session 'echo 1 > one; mkdir -p two/sub; echo 2 > two/sub/f; echo 3 > three')
	run "$BRIG" apply "$id" two one
	[ "$status" -eq 0 ]
	[ -f one ] && [ -f two/sub/f ] && [ ! -e three ]
	run "$BRIG" review "$id"
	[[ "$output" == *"A  three"* && "$output" != *"A  one"* ]]
	run "$BRIG" ps
	[[ "$output" == *"$id"*exited* ]]
	run "$BRIG" apply "$id"
	[ "$status" -eq 0 ]
	[ -f three ]
	run "$BRIG" ps --json
	[ "$(echo "$output" | jq -r --arg id "$id" '.[] | select(.id == $id) | .state')" = applied ]
}

@test "git commits made in the cell: objects and refs applied, hooks and config held back" {
	git init -q . && git add -A && git -c user.name=t -c user.email=t@t commit -qm base
	sleep 0.1 # changes in the last 20 ms before a session starts count as conflicts (docs/REVIEW.md)
	id=$(gate_session 'echo change >> src/main.c; git add -A; git -c user.name=a -c user.email=a@a commit -qm agent;
		printf "#!/bin/sh\necho pwned\n" > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit;
		git config core.hooksPath /tmp/evil-hooks')
	run "$BRIG" apply "$id"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(git log -1 --format=%s)" = agent ]
	git fsck --no-dangling
	[ -z "$(git status --porcelain)" ]
	[ ! -e .git/hooks/pre-commit ]
	[ -z "$(git config core.hooksPath)" ]
	run "$BRIG" apply "$id" --accept git-hook --accept .git/config
	[ "$status" -eq 0 ]
	[ -x .git/hooks/pre-commit ] && [ "$(git config core.hooksPath)" = /tmp/evil-hooks ]
}

@test "discard: changes gone, project untouched, apply refuses afterwards" {
	before=$(tree_state "$P")
	id=$(gate_session 'echo x > x; rm tool.sh')
	run "$BRIG" discard "$id"
	[ "$status" -eq 0 ]
	[ ! -e "$(gate_dir "$id")/upper" ]
	run "$BRIG" apply "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *discarded* ]]
	[ "$(tree_state "$P")" = "$before" ]
	run "$BRIG" ps
	[[ "$output" == *"$id"*discarded* ]]
}

@test "apply twice: the second run has nothing to do" {
	id=$(gate_session 'echo x > x')
	run "$BRIG" apply "$id"
	[ "$status" -eq 0 ]
	echo host-edit >x
	run "$BRIG" apply "$id"
	[ "$status" -eq 0 ]
	[ "$(cat x)" = host-edit ]
}

@test "sessions of one project are independent; the default is the latest" {
	a=$(gate_session 'echo a > from-a')
	b=$(gate_session 'test ! -e from-a; echo b > from-b')
	run "$BRIG" review
	[[ "$output" == *"session $b"* && "$output" == *from-b* && "$output" != *from-a* ]]
	run "$BRIG" review "$a"
	[[ "$output" == *from-a* && "$output" != *from-b* ]]
	run "$BRIG" review 20991231
	[ "$status" -ne 0 ]
}

@test "diff: unified diff, paths, --stat" {
	id=$(gate_session 'echo added-line >> src/main.c; echo n > docs/n.md; chmod +x tool.sh')
	run "$BRIG" diff "$id"
	[ "$status" -eq 0 ]
	[[ "$output" == *"--- a/src/main.c"* && "$output" == *"+added-line"* && "$output" == *"+++ b/docs/n.md"* ]]
	[[ "$output" == *"mode change 0644 => 0755 tool.sh"* ]]
	[[ "$output" != *$'\033['* ]]
	run "$BRIG" diff "$id" docs
	[[ "$output" == *docs/n.md* && "$output" != *main.c* ]]
	run "$BRIG" diff --stat "$id"
	[[ "$output" == *"src/main.c | 1 +"* && "$output" == *"3 files changed"* ]]
	run "$BRIG" diff --color=always "$id"
	[[ "$output" == *$'\033[32m+added-line'* ]]
}

@test "review --json: summary and per-change fields" {
	id=$(gate_session 'echo x > x; mkdir -p .github/workflows; echo y > .github/workflows/ci.yml')
	run "$BRIG" review --json "$id"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.summary.high == 1 and .state == "exited"'
	echo "$output" | jq -e '.changes[] | select(.path == "x") | .kind == "added" and .type == "file" and .mode == "0644"'
}

@test "brig run --gated: summary line, project unchanged, then apply" {
	cd "$P"
	# The fixture was written a moment ago; a host change in the last 20 ms before a session
	# starts counts as a conflict (docs/REVIEW.md), so let that window pass.
	sleep 0.1
	run "$BRIG" run --gated --net none -- sh -c 'echo via-run > ran.txt; rm docs/keep.md'
	if [[ "$output" == *"cannot"* && "$status" -ne 0 ]]; then
		skip "brig run cannot build a cell here: $output"
	fi
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 changes"*"brig review "*"brig apply "*"brig discard "* ]]
	[ ! -e ran.txt ] && [ -f docs/keep.md ]
	run "$BRIG" ps
	[[ "$output" == *"exited with changes"* ]]
	run "$BRIG" apply
	[ "$status" -eq 0 ]
	[ "$(cat ran.txt)" = via-run ] && [ ! -e docs/keep.md ]
}

@test "a profile's [review] expect reaches the review: changes elsewhere are findings" {
	mkdir -p "$T/prof"
	cat >"$T/prof/project.toml" <<TOML
[project]
dir = "$P"

[network]
mode = "none"

[review]
mode = "gated"
expect = ["src/"]
TOML
	chmod 600 "$T/prof/project.toml"
	sleep 0.1
	run "$BRIG" run --profile "$T/prof/project.toml" -- sh -c 'echo y > src/y.c; echo x > docs/x.md'
	if [[ "$output" == *"cannot"* && "$status" -ne 0 ]]; then skip "brig run cannot build a cell here: $output"; fi
	echo "$output"
	[ "$status" -eq 0 ]
	run "$BRIG" review --json
	echo "$output" | jq -e '[.changes[] | select(.path == "docs/x.md") | .findings[] | select(.rule == "unexpected-path")] | length == 1'
	echo "$output" | jq -e '[.changes[] | select(.path == "src/y.c") | .findings[]] | length == 0'
}

@test "copy-ups without a change (touch, open for writing) are not listed; mode-only changes are" {
	id=$(gate_session 'touch src/main.c; sh -c ": >> docs/keep.md"; chmod 600 tool.sh; chmod 600 tool.sh; chmod 644 tool.sh')
	run "$BRIG" review --json "$id"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq '.changes | length')" -eq 0 ] || { echo "$output"; return 1; }
	id=$(gate_session 'chmod 700 src')
	run "$BRIG" review "$id"
	[[ "$output" == *"m  src/  (mode 0755 -> 0700)"* ]]
}
