#!/usr/bin/env bash
# brig's main job on its built-in default: an agent cell for a project, shown from inside.
# Everything happens in a throwaway home, so the demo touches nothing of yours.
set -euo pipefail
brig=$(realpath "${1:-build/brig}")
demo=$(mktemp -d /tmp/brig-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
export HOME="$demo/home" XDG_CONFIG_HOME="$demo/home/.config" XDG_STATE_HOME="$demo/home/.local/state"
mkdir -p "$HOME/.ssh" "$HOME/.aws" "$HOME/projects/app" "$HOME/projects/other"
echo "-----BEGIN OPENSSH PRIVATE KEY----- (demo)" >"$HOME/.ssh/id_ed25519"
echo "aws_secret_access_key = demo" >"$HOME/.aws/credentials"
echo "another project's secrets" >"$HOME/projects/other/.env"
printf 'print("hello from the project")\n' >"$HOME/projects/app/main.py"
cd "$HOME/projects/app"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "brig run -- sh -c '...'   # the built-in agent preset, project = current directory"
export DEMO_API_TOKEN=not-for-the-agent
"$brig" run -- sh -c '
  echo "inside the cell as $(id -un 2>/dev/null || id -u), pid $$, host $(hostname)"
  echo "project:      $(ls)"
  echo "home:         $(ls -A "$HOME")   (the rest of ~ is not there)"
  cat ~/.ssh/id_ed25519 2>/dev/null || echo "~/.ssh:       not visible"
  cat ~/projects/other/.env 2>/dev/null || echo "other project: not visible"
  echo "env token:    ${DEMO_API_TOKEN:-(cleaned)}"
  touch /usr/x 2>/dev/null || echo "/usr:         read-only"
  echo "processes:    $(ls /proc | grep -c "^[0-9]") (own pid namespace)"
  echo "network:      $(getent hosts example.com >/dev/null 2>&1 && echo reachable || echo "example.com refused (not on the allowlist)")"
  echo "capabilities: $(grep CapEff /proc/self/status | cut -f2)"
  echo "written by the agent" >result.txt && echo "wrote result.txt"
' || true

say "ls   # on the host: a gated session keeps the agent's changes until you apply them"
ls
say "brig review   # what the agent changed, with findings"
"$brig" review || true
say "brig apply && ls"
"$brig" apply && ls
say "brig check | head   # the whole policy: every mount, namespace, variable, rule"
"$brig" check | sed -n '1,12p'
echo "..."
