# Sourced by scripts that need the S3-protocol test server (tools/s3rver):
#   s3_server_start WORK_DIR BUCKET...   # sets $s3_port; the server stops on exit
# The server lives under WORK_DIR (which the caller removes) and stops when
# its standard input closes: a pipe held open by fd 3.
s3_server_pid=""
s3_server_stop() {
  exec 3>&- 2>/dev/null || true
  if [ -n "$s3_server_pid" ]; then kill "$s3_server_pid" 2>/dev/null || true; wait "$s3_server_pid" 2>/dev/null || true; fi
}
s3_server_start() {
  local work=$1 root
  shift
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  mkfifo "$work/s3-in"
  node --openssl-legacy-provider "$root/tools/s3rver/serve.js" "$work/s3" 0 "$@" \
    <"$work/s3-in" >"$work/s3-port" 2>"$work/s3.log" &
  s3_server_pid=$!
  exec 3>"$work/s3-in"
  for _ in $(seq 1 300); do
    grep -q '^listening ' "$work/s3-port" 2>/dev/null && break
    kill -0 "$s3_server_pid" 2>/dev/null || { cat "$work/s3.log" >&2; return 2; }
    sleep 0.1
  done
  s3_port=$(awk '/^listening /{print $2}' "$work/s3-port")
  [ -n "$s3_port" ] || { echo "the S3 test server did not start" >&2; return 2; }
}
