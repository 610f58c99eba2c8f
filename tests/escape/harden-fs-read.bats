#!/usr/bin/env bats
# Reading what the cell must not see: credentials in the home, other projects, root's home,
# other processes' environment and command lines, through symlinks, hard links and /proc.

load harden_helpers

setup_file() { attack_build; }
setup() { escape_setup; }
teardown() { escape_teardown; }

@test "[secret-read ~/.ssh] the user's private key is not readable" {
	in_cell 'cat "$HOME/.ssh/id_rsa"; ls "$HOME/.ssh"'
	[ "$status" -ne 0 ]
	[[ "$output" != *"PRIVATE KEY"* ]]
}

@test "[secret-read ~/.aws] cloud credentials are not readable" {
	in_cell 'cat "$HOME/.aws/credentials"'
	[ "$status" -ne 0 ]
	[[ "$output" != *s3cr3t* ]]
}

@test "[secret-read other-project] another project's files are not readable" {
	in_cell 'cat "$HOME/projects/other/secret.txt"; echo; echo "list: $(ls "$HOME/projects")"'
	[[ "$output" != *"other project secret"* ]]
	[ "$(last)" = "list: okb" ]
}

@test "[secret-read /root] root's home is empty in the cell" {
	in_cell 'ls -A /root | wc -l'
	[ "$status" -eq 0 ]
	[ "$(last)" = 0 ]
}

@test "[secret-read /etc/shadow] password hashes are hidden, even from uid 0" {
	in_cell 'wc -c </etc/shadow'
	[ "$(last)" = 0 ] || [ "$status" -ne 0 ]
}

@test "[secret-read /proc/1/environ] brig's own environment is not readable from the cell" {
	BRIG_ESCAPE_SECRET=hunter2-escape run "$BRIG" run -q --net none --direct -- \
		sh -c 'cat /proc/1/environ; cat /proc/[0-9]*/environ; true'
	[[ "$output" != *hunter2-escape* ]]
}

@test "[secret-read /proc/*/cmdline] the host's processes are invisible" {
	sh -c 'sleep 60; : brig-escape-marker-cmdline' >/dev/null 2>&1 3>&- &
	local pid=$!
	in_cell 'cat /proc/[0-9]*/cmdline | tr "\0" " "; echo; ls /proc | grep -c "^[0-9]"'
	kill "$pid" 2>/dev/null || true
	[[ "$output" != *brig-escape-marker-cmdline* ]]
	[ "$(last)" -le 5 ]
}

@test "[secret-read /proc/1/root] pid 1's root and cwd do not lead to the host" {
	in_cell 'ls /proc/1/root/ 2>&1; cat "/proc/1/root$HOME/.ssh/id_rsa"; ls /proc/1/cwd/ 2>&1'
	[[ "$output" != *"PRIVATE KEY"* ]]
	[[ "$output" == *"Permission denied"* ]]
}

@test "[secret-read /proc/1/fd] pid 1's descriptors cannot be opened" {
	in_cell 'for f in /proc/1/fd/*; do cat "$f" </dev/null; done 2>&1; ls -l /proc/1/fd/ 2>&1'
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" != *"PRIVATE KEY"* ]]
}

@test "[symlink-read] a symlink made in the project does not reach ~/.ssh" {
	in_cell 'ln -s "$HOME/.ssh/id_rsa" key && cat key'
	[ "$status" -ne 0 ]
	[[ "$output" != *"PRIVATE KEY"* ]]
	rm -f "$P/key"
}

@test "[symlink-read planted] a symlink planted in the project before the run does not reach ~/.aws" {
	ln -s "$HOME/.aws/credentials" "$P/creds"
	in_cell 'cat creds'
	[ "$status" -ne 0 ]
	[[ "$output" != *s3cr3t* ]]
	rm -f "$P/creds"
}

@test "[hardlink-read] hard links from the project to files of other mounts are refused" {
	in_cell 'ln /etc/passwd pw || echo refused1; ln "$HOME/.ssh/id_rsa" k || echo refused2'
	[[ "$output" == *refused1* ]]
	[[ "$output" == *refused2* ]]
	[ ! -e "$P/pw" ]
	[ ! -e "$P/k" ]
}

@test "[secret-read brig state] brig's profiles and session records are not visible" {
	echo 'secret profile' >"$XDG_CONFIG_HOME/brig/marker"
	in_cell 'cat "$XDG_CONFIG_HOME/brig/marker" "$HOME/.config/brig/marker"; ls "$HOME/.local/state" 2>&1'
	[[ "$output" != *"secret profile"* ]]
	rm -f "$XDG_CONFIG_HOME/brig/marker"
}

@test "[env-leak] the host's environment does not reach the command" {
	AWS_SECRET_ACCESS_KEY=leak-me-please run "$BRIG" run -q --net none --direct -- env
	[ "$status" -eq 0 ]
	[[ "$output" != *leak-me-please* ]]
}
