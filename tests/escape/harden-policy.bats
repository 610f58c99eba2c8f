#!/usr/bin/env bats
# Downgrades: a profile must never get a weaker cell than `brig check` shows, and relaxing a
# layer is never silent.

load harden_helpers

setup_file() { attack_build; }
setup() { escape_setup; }
teardown() { escape_teardown; }

# prof NAME EXTRA: a brig profile for the test project, no network, then a fresh snapshot.
prof() {
	profile "$1" "[project]
dir = \"~/projects/okb\"
[network]
mode = \"none\"
$2"
	BEFORE=$(outside_state)
}

@test "[downgrade landlock] a profile demanding a Landlock ABI the kernel lacks refuses to start" {
	prof ll "[landlock]
min_abi = 64"
	run "$BRIG" run -q --direct ll -- sh -c 'echo ran'
	[ "$status" -eq 125 ]
	[[ "$output" != *ran* ]]
	[[ "$output" == *"Landlock ABI 64"* ]]
}

@test "[downgrade seccomp] the mount rule cannot be lifted by a profile" {
	prof sm "[seccomp]
mount = true"
	run "$BRIG" run -q --direct sm -- sh -c 'echo ran'
	[ "$status" -eq 125 ]
	[[ "$output" != *ran* ]]
	[[ "$output" == *"cannot be lifted"* ]]
}

@test "[downgrade typo] a misspelt hardening key is an error, not a weaker cell" {
	prof ty "[seccomp]
ptrase = true"
	run "$BRIG" run -q --direct ty -- sh -c 'echo ran'
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown key 'ptrase'"* ]]
}

@test "[relax ptrace] lifting the ptrace rule is warned about at every start, and shown by check" {
	prof pt "[seccomp]
ptrace = true"
	run "$BRIG" run -q --direct pt -- sh -c 'sleep 5 & ./attack ptrace-seize $!; kill $!'
	[[ "$output" == *"seccomp rule 'ptrace' is lifted by"*"project.toml:"* ]]
	[[ "$output" == *ok* ]]
	run "$BRIG" check pt --json
	[[ "$output" == *'"lifted_by"'* ]]
}

@test "[visibility] brig check shows every layer of the agent preset as active" {
	run "$BRIG" check --json
	[ "$status" -eq 0 ]
	local h
	h=$(printf '%s\n' "$output" | jq -r '.hardening | [.seccomp.enabled, ([.seccomp.rules[] | select(.active)] | length), .landlock.state, .privileges.no_new_privs, .limits.enabled, .protect.enabled] | map(tostring) | join(" ")')
	[ "$h" = "true 13 active true true true" ]
}
