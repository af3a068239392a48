#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a working skiff: installs the
# packages, builds, and runs an example workflow on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSKIFF_TESTS=OFF >/dev/null
ninja -C build skiff

echo
echo "== running examples/hello-world.yaml"
build/skiff run examples/hello-world.yaml
