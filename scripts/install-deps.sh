#!/usr/bin/env bash
# Installs everything Skiff needs to build, test and run on Debian 12.
# Safe to run repeatedly; installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git ca-certificates
  libyaml-cpp-dev libyaml-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libre2-dev            # Go-compatible regular expressions (expr)
  libssl-dev            # digests and AES of sprig functions (expr)
  tzdata                # time zone rules for expressions (expr)
  libgtest-dev libgmock-dev
  libcurl4-openssl-dev  # http templates' requests
  libcpp-httplib-dev    # the server's HTTP API, the CLI's client, HTTP servers in tests
  libbenchmark-dev      # bench/ programs
  libsqlite3-dev        # the embedded store
  zlib1g-dev            # the store's compressed node rows
  bubblewrap            # per-step private /tmp and working directory, daemons' own networks
  util-linux            # nsenter: exec probes and daemons' forwarded ports reach into a sandbox
  python3 nodejs        # interpreters that example script templates call
  ncat                  # `nc` with -l/-k/-e, as images' busybox has it, for example daemons
  libarchive-dev        # artifact archives (tar+gzip, zip)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
install_s3rver() {
  # The S3-protocol server the artifact tests start, pinned by its lock file.
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tools/s3rver"
  if [ ! -d "$dir/node_modules/@20minutes/s3rver" ]; then
    # Some nodejs builds bundle npm; Debian's own ships it apart.
    if ! command -v npm >/dev/null; then
      local sudo=""
      if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm
    fi
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
if [ ${#missing[@]} -eq 0 ]; then
  install_s3rver
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_s3rver
