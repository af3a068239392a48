#!/usr/bin/env bash
# What bench/run needs beyond scripts/install-deps.sh: matplotlib for the
# report's plot and GNU time for peak memory. Installs only what is missing.
set -euo pipefail
"$(dirname "$0")/../scripts/install-deps.sh"
packages=(python3-matplotlib time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
