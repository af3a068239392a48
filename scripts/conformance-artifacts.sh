#!/usr/bin/env bash
# Runs the Argo examples that need an artifact repository: starts the
# S3-protocol test server (tools/s3rver) on 127.0.0.1 with a free port and a
# temporary directory, points a fresh SKIFF_HOME's config at it, runs the
# conformance tool's `artifacts` mode, and stops the server.
#   scripts/conformance-artifacts.sh [SKIFF_BINARY] [extra conformance flags...]
# Prints the tool's score line; its exit status is the tool's.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
skiff=${1:-build/skiff}
shift || true
tool="$root/../shared/tools/conformance"
if [ ! -x "$tool" ]; then
  echo "conformance-artifacts: no conformance tool at $tool" >&2
  exit 2
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The server stops when its standard input closes: a pipe held open by fd 3.
mkfifo "$work/in"
node --openssl-legacy-provider tools/s3rver/serve.js "$work/s3" 0 my-bucket <"$work/in" >"$work/port" 2>"$work/s3.log" &
server_pid=$!
exec 3>"$work/in"
for _ in $(seq 1 300); do
  grep -q '^listening ' "$work/port" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/s3.log" >&2; exit 2; }
  sleep 0.1
done
port=$(awk '/^listening /{print $2}' "$work/port")
[ -n "$port" ] || { echo "conformance-artifacts: the S3 server did not start" >&2; exit 2; }

export SKIFF_HOME="$work/home"
mkdir -p "$SKIFF_HOME"
cat >"$SKIFF_HOME/config.yaml" <<YAML
artifactRepository:
  archiveLogs: true
  s3:
    endpoint: 127.0.0.1:$port
    bucket: my-bucket
    insecure: true
YAML
# Without accessKeySecret/secretKeySecret the keys come from the environment.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
"$tool" --skiff "$skiff" --mode artifacts "$@"
