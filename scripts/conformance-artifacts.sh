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
# my-bucket is the default repository; my-bucket-name is the bucket the
# AWS examples read a file from.
s3_server_start "$work" my-bucket my-bucket-name || exit 2
port=$s3_port

export SKIFF_HOME="$work/home"
mkdir -p "$SKIFF_HOME/objects"
# The examples written for AWS name s3.amazonaws.com and the Secret
# my-s3-credentials; Argo labels them "no-test: environment". The
# environment they ask for is made here: the endpoint is sent to the local
# server, the Secret is one every run sees (the configuration's `load`),
# and input-artifact-s3 finds its file at path/in/bucket.
cat >"$SKIFF_HOME/config.yaml" <<YAML
artifactRepository:
  archiveLogs: true
  s3:
    endpoint: 127.0.0.1:$port
    bucket: my-bucket
    insecure: true
s3EndpointOverrides:
  s3.amazonaws.com: http://127.0.0.1:$port
load:
- $SKIFF_HOME/objects
YAML
cat >"$SKIFF_HOME/objects/my-s3-credentials.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: my-s3-credentials
stringData:
  accessKey: S3RVER
  secretKey: S3RVER
YAML
echo "an input artifact from the bucket" >"$work/seed.txt"
curl -sf --aws-sigv4 aws:amz:us-west-2:s3 -u S3RVER:S3RVER -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
  -T "$work/seed.txt" "http://127.0.0.1:$port/my-bucket-name/path/in/bucket" ||
  { echo "conformance-artifacts: could not seed my-bucket-name/path/in/bucket" >&2; exit 2; }
# Without accessKeySecret/secretKeySecret the keys come from the environment.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
"$tool" --skiff "$skiff" --mode artifacts "$@"
