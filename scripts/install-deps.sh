#!/usr/bin/env bash
# Installs everything Skiff needs to build, test and run on Debian 12.
# Safe to run repeatedly; installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git ca-certificates
  libyaml-cpp-dev libyaml-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev
  libcurl4-openssl-dev  # http templates' requests
  libcpp-httplib-dev    # HTTP servers in tests
  libbenchmark-dev      # bench/ programs
  bubblewrap            # per-step private /tmp and working directory
  python3 nodejs        # interpreters that example script templates call
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
