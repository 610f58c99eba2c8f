#!/usr/bin/env bash
# Installs the Debian packages brig builds, tests and benchmarks with. Idempotent:
# packages already present are left alone, so a second run costs one dpkg query.
set -euo pipefail

build_pkgs=(
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  libseccomp-dev libjansson-dev libcmocka-dev libvectorscan-dev
  libsodium-dev liboath-dev libqrencode-dev libssl-dev libnftnl-dev libmnl-dev
)
test_pkgs=(
  bats python3 git iproute2 nftables util-linux procps psmisc
  curl dnsutils netcat-openbsd socat file
)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
if [ "${1:-}" = "--bench" ]; then
  want+=(bubblewrap hyperfine tinyproxy ripgrep) # srt needs bwrap, socat and rg
  # srt and secretlint come from npm; node itself is whatever the machine has.
  command -v npm >/dev/null || want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
