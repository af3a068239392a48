#!/usr/bin/env bash
# A 1 GiB artifact between two steps through an S3 repository (the
# S3-protocol test server on 127.0.0.1): skiff's peak memory and throughput,
# against curl uploading the same file to the same server.
#   bench/artifacts-1gib.sh [SKIFF_BINARY] [SIZE_MIB]
# Prints one line per measurement and a summary line:
#   artifacts-1gib: size=... skiff_s=... curl_s=... ratio=... peak_rss_mib=...
set -euo pipefail
cd "$(dirname "$0")/.."
skiff=$(realpath "${1:-build/skiff}")
size_mib=${2:-1024}

work=$(mktemp -d)
. scripts/s3-server.sh
trap 's3_server_stop; rm -rf "$work"' EXIT
s3_server_start "$work" bench || exit 2
port=$s3_port

export SKIFF_HOME="$work/home" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
mkdir -p "$SKIFF_HOME"
printf 'artifactRepository:\n  s3:\n    endpoint: 127.0.0.1:%s\n    bucket: bench\n    insecure: true\n' "$port" \
  >"$SKIFF_HOME/config.yaml"

# Stored unarchived so that the transfer (not gzip) is measured; curl sends a
# file of the same size.
head -c "$((size_mib * 1024 * 1024))" /dev/zero >"$work/payload.bin"
cat >"$work/wf.yaml" <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: artifacts-bench
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: produce
        template: produce
    - - name: consume
        template: consume
        arguments:
          artifacts:
          - name: blob
            from: "{{steps.produce.outputs.artifacts.blob}}"
  - name: produce
    container:
      image: alpine:3.19
      command: [sh, -c, "head -c $((size_mib * 1024 * 1024)) /dev/zero > /tmp/blob.bin"]
    outputs:
      artifacts:
      - name: blob
        path: /tmp/blob.bin
        archive: {none: {}}
  - name: consume
    inputs:
      artifacts:
      - name: blob
        path: /tmp/blob.bin
    container:
      image: alpine:3.19
      command: [sh, -c, "test \$(stat -L -c %s /tmp/blob.bin) -eq $((size_mib * 1024 * 1024))"]
YAML

start=$(date +%s.%N)
/usr/bin/time -v "$skiff" run "$work/wf.yaml" -o json >"$work/wf.json" 2>"$work/time.txt" || {
  grep -v "^\s" "$work/time.txt" | tail -20 >&2; python3 -c "import json,sys; w=json.load(open(sys.argv[1])); [print(n[\"displayName\"], n[\"phase\"], n.get(\"message\",\"\")) for n in w[\"status\"][\"nodes\"].values()]" "$work/wf.json" >&2 || true
  exit 1
}
end=$(date +%s.%N)
phase=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"]["phase"])' "$work/wf.json")
rss_kib=$(awk -F: '/Maximum resident set size/{gsub(/ /,"",$2); print $2}' "$work/time.txt")
skiff_s=$(echo "$end - $start" | bc)

# curl: one upload and one download of the same file, the same two
# transfers the workflow makes.
cstart=$(date +%s.%N)
curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u S3RVER:S3RVER -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
  -T "$work/payload.bin" "http://127.0.0.1:$port/bench/curl/payload.bin" >/dev/null
curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u S3RVER:S3RVER -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
  -o "$work/back.bin" "http://127.0.0.1:$port/bench/curl/payload.bin"
cend=$(date +%s.%N)
curl_s=$(echo "$cend - $cstart" | bc)
ratio=$(echo "scale=2; $skiff_s / $curl_s" | bc)
echo "artifacts-1gib: phase=$phase size_mib=$size_mib skiff_s=$skiff_s curl_s=$curl_s ratio=$ratio peak_rss_mib=$((rss_kib / 1024))"
