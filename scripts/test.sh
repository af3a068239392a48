#!/usr/bin/env bash
# Builds skiff and runs the whole test suite: unit and integration tests in a
# release build, the same tests under AddressSanitizer and UBSan, and the Argo
# conformance examples when the corpus is present beside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)
start=$(date +%s)

scripts/install-deps.sh

echo "== release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSKIFF_TESTS=ON >/dev/null
ninja -C build -j "$jobs"

echo "== tests (release)"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 300)

echo "== sanitizer build"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSKIFF_SANITIZE=ON -DSKIFF_TESTS=ON >/dev/null
ninja -C build-asan -j "$jobs"

echo "== tests (AddressSanitizer + UBSan)"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" --timeout 600)

corpus="$root/../shared/tools/conformance"
if [ -x "$corpus" ]; then
  echo "== Argo conformance (local mode; a score, not a gate: the required examples are gated by ctest)"
  # An example may legitimately run for minutes (five 50 s steps under one mutex).
  SKIFF_HOME=$(mktemp -d) timeout 1800 "$corpus" --skiff build/skiff --timeout 300 || true
  echo "== Argo conformance (artifacts mode, against a local S3-protocol server; a score, not a gate)"
  timeout 1500 scripts/conformance-artifacts.sh build/skiff --timeout 120 || true
fi

echo "== done in $(( $(date +%s) - start ))s"
