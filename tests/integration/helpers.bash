# Shared set-up for brig's bats suites: a fake home full of secrets, a project, and a profile
bats_require_minimum_version 1.5.0
# directory, all under a private temp dir, so the suites run the same as root and as a user.

brig_setup() {
	: "${BRIG:?BRIG must name the brig binary}"
	T=$(mktemp -d "${TMPDIR:-/tmp}/brig-test.XXXXXX")
	chmod 755 "$T"
	export HOME="$T/home"
	export XDG_CONFIG_HOME="$HOME/.config"
	export XDG_STATE_HOME="$HOME/.local/state"
	mkdir -p "$HOME/.ssh" "$HOME/.aws" "$HOME/.config/gcloud" "$HOME/projects/okb" \
		"$HOME/projects/other" "$HOME/.cache/pip" "$HOME/.pyenv/versions" "$XDG_CONFIG_HOME/brig"
	echo "PRIVATE KEY" >"$HOME/.ssh/id_rsa"
	echo "[default] aws_secret_access_key = s3cr3t" >"$HOME/.aws/credentials"
	echo "other project secret" >"$HOME/projects/other/secret.txt"
	echo "pip cache" >"$HOME/.cache/pip/x"
	echo "bashrc" >"$HOME/.bashrc"
	P="$HOME/projects/okb"
	echo "project file" >"$P/README"
	cd "$P"
}

brig_teardown() {
	cd /
	[ -n "${T:-}" ] && rm -rf "$T"
}

# profile NAME TOML: writes ~/.config/brig/NAME/project.toml (0600, as brig init would).
profile() {
	local dir="$XDG_CONFIG_HOME/${3:-brig}/$1"
	mkdir -p "$dir"
	chmod 700 "$dir"
	printf '%s\n' "$2" >"$dir/project.toml"
	chmod 600 "$dir/project.toml"
}

# brig run with the command's stdout in $output and brig's and the command's stderr in $stderr.
cell() {
	run --separate-stderr "$BRIG" run "$@"
}
