#!/usr/bin/env bats
# Profiles: pwrap's two postures from the seed (okb, okb-llm) with paths adjusted, brig's own
# profiles, and every way a profile can be wrong.

load helpers

setup() {
	brig_setup
	mkdir -p "$T/mnt/wsl" "$T/mnt/c" "$T/x11" "$HOME/.claude.json.lock"
	echo "windows drive" >"$T/mnt/c/file"
	echo "wsl bits" >"$T/mnt/wsl/file"
	# the seed's okb: a person's shell with project boundaries
	profile okb "[project]
name = \"okb\"
dir = \"~/projects/okb\"
shell = \"/bin/bash\"

[sandbox]
enabled = true
blacklist = [
    \"~/projects/\",           # other projects, none of this one's business
    \"~/.aws\",                # different AWS account lives here
    \"~/.config/gcloud\",      # same story for GCP
    \"$T/mnt\",                # escalation path on WSL2
]
whitelist = [
    \"$T/mnt/wsl\",            # I want WSL integration to work
]
writable = [
  \"$T/x11\",                  # X11 display socket
]" pwrap
	# the seed's okb-llm: the agent's cell
	profile okb-llm "[project]
name = \"okb-llm\"
dir = \"~/projects/okb\"          # same directory as the shell config
shell = \"/bin/bash\"

[sandbox]
enabled = true
clean_env = true
blacklist = [
    \"~\",
    \"$T/mnt\",
]
whitelist = [
    \"~/.pyenv/\",
    \"~/.cache/pip\",
]
writable = [
    \"~/.claude.json.lock/\",
    \"$T/x11\",
]
[env]
CLAUDE_CONFIG_DIR = \".claude-okb\"" pwrap
}
teardown() { brig_teardown; }

@test "pwrap okb: home read-only, credentials and other projects hidden, project writable" {
	SECRET_TOKEN=abc run "$BRIG" run okb -- sh -c '
		cat ~/.ssh/id_rsa; ls -A ~/.aws | wc -l; ls -A ~/.config/gcloud | wc -l
		cat ~/projects/other/secret.txt 2>&1 || echo other-hidden
		touch ~/.bashrc 2>/dev/null && echo home-writable || echo home-ro
		echo w >"$PWD/w.txt" && echo project-rw
		cat '"$T"'/mnt/c/file 2>&1 || echo mnt-hidden
		cat '"$T"'/mnt/wsl/file; touch '"$T"'/mnt/wsl/x 2>/dev/null || echo wsl-ro
		touch '"$T"'/x11/sock && echo x11-rw
		echo "token=$SECRET_TOKEN pw=$PROJECT_WRAP"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"PRIVATE KEY"* ]]     # pwrap's human posture keeps the home readable
	[[ "$output" == *other-hidden* ]]
	[[ "$output" == *home-ro* ]]
	[[ "$output" == *project-rw* ]]
	[[ "$output" == *mnt-hidden* ]]
	[[ "$output" == *"wsl bits"* ]]
	[[ "$output" == *wsl-ro* ]]
	[[ "$output" == *x11-rw* ]]
	[[ "$output" == *"token=abc pw=1"* ]]  # no clean_env: the environment is inherited
	[ "$(grep -c '^0$' <<<"$output")" -eq 2 ] # ~/.aws and ~/.config/gcloud are empty
	[ -f "$P/w.txt" ] && [ -f "$T/x11/sock" ] && [ ! -e "$T/mnt/wsl/x" ]
}

@test "pwrap okb-llm: only the project and the whitelisted caches exist; env is clean" {
	SECRET_TOKEN=abc run "$BRIG" run okb-llm -- sh -c '
		cat ~/.ssh/id_rsa 2>&1 || echo ssh-hidden
		cat ~/.cache/pip/x; touch ~/.cache/pip/y 2>/dev/null || echo pip-ro
		ls -d ~/.pyenv/versions && echo pyenv-visible
		touch ~/.claude.json.lock/l && echo lock-rw
		echo "token=[$SECRET_TOKEN] claude=$CLAUDE_CONFIG_DIR"
		cat README'
	[ "$status" -eq 0 ]
	[[ "$output" == *ssh-hidden* ]]
	[[ "$output" != *"PRIVATE KEY"* ]]
	[[ "$output" == *"pip cache"* ]]
	[[ "$output" == *pip-ro* ]]
	[[ "$output" == *pyenv-visible* ]]
	[[ "$output" == *lock-rw* ]]
	[[ "$output" == *"token=[] claude=.claude-okb"* ]]
	[[ "$output" == *"project file"* ]]
	[ -f "$HOME/.claude.json.lock/l" ] && [ ! -e "$HOME/.cache/pip/y" ]
}

@test "pwrap profiles hide the profile directory itself" {
	run "$BRIG" run okb -- sh -c 'ls -A ~/.config/pwrap | wc -l; cat ~/.config/pwrap/okb/project.toml'
	[[ "$output" == 0* ]]
	[[ "$output" != *blacklist* ]]
}

@test "pwrap enabled = false runs unconfined, with a warning" {
	profile plain "[project]
dir = \"~/projects/okb\"
shell = \"/bin/bash\"" pwrap
	run "$BRIG" run plain -- cat "$HOME/projects/other/secret.txt"
	[ "$status" -eq 0 ]
	[[ "$output" == *"without a cell"* ]]
	[[ "$output" == *"other project secret"* ]]
}

@test "pwrap unshare_net = true gives a cell with loopback only" {
	profile offline "[project]
dir = \"~/projects/okb\"
shell = \"/bin/bash\"
[sandbox]
enabled = true
unshare_net = true" pwrap
	run "$BRIG" check offline --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"mode": "none"'* ]]
	run "$BRIG" run offline -- cat /proc/net/dev
	[ "$status" -eq 0 ]
	! [[ "$output" =~ (eth|ens|enp) ]]
}

@test "init.sh beside the profile runs first, as in pwrap" {
	printf 'export FROM_INIT=yes\n' >"$XDG_CONFIG_HOME/pwrap/okb-llm/init.sh"
	run "$BRIG" run okb-llm -- sh -c 'echo "init=$FROM_INIT"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"init=yes"* ]]
	# and for the interactive shell
	run "$BRIG" run okb-llm </dev/null
	[ "$status" -eq 0 ]
}

@test "[env] values never appear on any command line" {
	profile envsecret "[project]
dir = \"~/projects/okb\"
[env]
API_KEY = \"sk-secret-value-123\""
	"$BRIG" run envsecret --net none --direct -- sleep 3 2>/dev/null &
	local pid=$!
	sleep 1
	! cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' ' | grep -q sk-secret-value-123
	wait "$pid"
	run "$BRIG" check envsecret
	[[ "$output" != *sk-secret-value-123* ]]
	[[ "$output" == *API_KEY* ]]
}

@test "an unknown key is an error naming file, line and column" {
	profile typo "[project]
dir = \"~/projects/okb\"
[sandbox]
enabled = true
blacklsit = [\"~/.ssh\"]"
	run "$BRIG" run typo -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"typo/project.toml:5:1"* ]]
	[[ "$output" == *"unknown key 'blacklsit'"* ]]
}

@test "a wrong type is an error" {
	profile wrongtype "[sandbox]
unshare_pid = \"yes\""
	run "$BRIG" run wrongtype -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"2:15"* ]]
	[[ "$output" == *"must be a boolean"* ]]
}

@test "malformed TOML is an error with line and column" {
	profile broken "[project
dir = 1"
	run "$BRIG" check broken
	[ "$status" -eq 125 ]
	[[ "$output" == *"broken/project.toml:1:"* ]]
}

@test "an unknown table is an error; [encrypted] says it is not supported yet" {
	profile enc "[encrypted]
cipherdir = \"x\"
mountpoint = \"~/y\""
	run "$BRIG" check enc
	[ "$status" -eq 125 ]
	[[ "$output" == *"not supported"* ]]
	profile tbl "[sandboxx]"
	run "$BRIG" check tbl
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown table [sandboxx]"* ]]
}

@test "a group- or world-writable profile is refused" {
	profile loose "[project]
dir = \"~/projects/okb\""
	chmod 664 "$XDG_CONFIG_HOME/brig/loose/project.toml"
	run "$BRIG" check loose
	[ "$status" -eq 125 ]
	[[ "$output" == *"group-writable"* ]]
	chmod 646 "$XDG_CONFIG_HOME/brig/loose/project.toml"
	run "$BRIG" check loose
	[[ "$output" == *"world-writable"* ]]
}

@test "a profile the cell itself could write is refused" {
	printf '[project]\ndir = "%s"\n' "$P" >"$P/brig.toml"
	chmod 600 "$P/brig.toml"
	run "$BRIG" run --profile "$P/brig.toml" --net none --direct -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"rewrite its own policy"* ]]
	# the same file outside every writable path is fine
	cp "$P/brig.toml" "$T/brig.toml"
	run "$BRIG" check --profile "$T/brig.toml"
	[ "$status" -eq 0 ]
}

@test "a symlink planted in the project is not followed by the next launch" {
	ln -s "$HOME/.ssh" "$P/cache"
	profile planted "[project]
dir = \"~/projects/okb\"
[sandbox]
writable = [\"~/projects/okb/cache\"]"
	run "$BRIG" run planted --net none --direct -- cat "$P/cache/id_rsa"
	[ "$status" -eq 125 ]
	[[ "$output" == *"symlink"* ]]
	[[ "$output" != *"PRIVATE KEY"* ]]
}

@test "a missing blacklist or writable path is an error, a missing whitelist path is skipped" {
	profile missing "[project]
dir = \"~/projects/okb\"
[sandbox]
blacklist = [\"~/nope\"]"
	run "$BRIG" check missing
	[ "$status" -eq 125 ]
	[[ "$output" == *"does not exist"* ]]
	profile wl "[project]
dir = \"~/projects/okb\"
[sandbox]
whitelist = [\"~/nope\"]"
	run "$BRIG" check wl
	[ "$status" -eq 0 ]
}

@test "a whitelist entry outside every hidden path is an error" {
	profile badwl "[project]
dir = \"~/projects/okb\"
[sandbox]
home = \"read-only\"
whitelist = [\"~/.cache/pip\"]"
	run "$BRIG" check badwl
	[ "$status" -eq 125 ]
	[[ "$output" == *"not under any hidden path"* ]]
}

@test "brig check shows every mount, namespace and variable, also as JSON" {
	run "$BRIG" check okb-llm
	[ "$status" -eq 0 ]
	[[ "$output" == *"tmpfs     $HOME"* ]]
	[[ "$output" == *"ro-bind   $HOME/.cache/pip"* ]]
	[[ "$output" == *"bind      $HOME/projects/okb"* ]]
	[[ "$output" == *"CLAUDE_CONFIG_DIR"* ]]
	run "$BRIG" check okb-llm --json
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; j=json.load(sys.stdin); assert "pid" in j["namespaces"]; assert any(m["kind"]=="proc" for m in j["mounts"])' <<<"$output"
}

@test "brig run NAME looks in ~/.config/brig first, then ~/.config/pwrap" {
	profile okb "[project]
dir = \"~/projects/okb\"
[sandbox]
home = \"hidden\""
	run "$BRIG" check okb --json
	[[ "$output" == *"brig/okb/project.toml"* ]]
}

@test "brig init writes a human and an agent profile that load" {
	run "$BRIG" init --name demo "$P"
	[ "$status" -eq 0 ]
	[ -f "$XDG_CONFIG_HOME/brig/demo/project.toml" ]
	[ -f "$XDG_CONFIG_HOME/brig/demo-agent/project.toml" ]
	[ "$(stat -c %a "$XDG_CONFIG_HOME/brig/demo/project.toml")" = 600 ]
	run "$BRIG" check demo-agent --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"posture": "agent"'* ]]
	run "$BRIG" run demo --net none -- cat README
	[ "$status" -eq 0 ]
	[[ "$output" == *"project file"* ]]
	run "$BRIG" init --name demo "$P"
	[ "$status" -ne 0 ]
	[[ "$output" == *"exists already"* ]]
}

@test "a profile name cannot walk out of the profile directory" {
	# not a profile name, so it is taken as the command: nothing outside ~/.config/brig is read
	run -127 "$BRIG" run ../../etc -- true
	run "$BRIG" check ../x
	[ "$status" -eq 125 ]
	[[ "$output" == *"not a valid profile name"* ]]
}

@test "the cell's /tmp is bounded by [limits] memory (25% of RAM without one)" {
	profile small "[project]
dir = \"~/projects/okb\"
[limits]
memory = \"64M\""
	run --separate-stderr "$BRIG" run small --net none --direct -- sh -c 'dd if=/dev/zero of=/tmp/fill bs=1M count=100 2>&1; df -k /tmp | tail -1'
	[[ "$output" == *"No space left"* ]]
	[ "$(awk '{print $2}' <<<"${lines[-1]}")" -le 65536 ]
	run "$BRIG" check small --json
	[[ "$output" == *'"size": "67108864"'* ]]
}

@test "brig check creates nothing in the project" {
	local before after
	before=$(ls -A "$P")
	run "$BRIG" check --json
	[ "$status" -eq 0 ]
	after=$(ls -A "$P")
	[ "$before" = "$after" ]
}
