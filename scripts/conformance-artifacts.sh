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
. scripts/s3-server.sh
trap 's3_server_stop; rm -rf "$work"' EXIT
s3_server_start "$work" my-bucket || exit 2
port=$s3_port

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
