#!/usr/bin/env bash
# Start a throwaway S3 server (s3rver, an npm devDependency of @juicefs/chunk) on loopback for the
# data layer's tests, data in a temporary directory. Idempotent: if something answers on the port
# already, it is reused. Prints the endpoint. Credentials: access key S3RVER, secret S3RVER;
# tests create their own buckets.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HOST="${JFS_S3_HOST:-127.0.0.1}"
PORT="${JFS_S3_PORT:-9000}"
DIR="${JFS_SERVICES_DIR:-/tmp/juicefs-services}/s3"
BIN="$ROOT/packages/chunk/node_modules/.bin/s3rver"
URL="http://$HOST:$PORT"

# True when a TCP connection to HOST:PORT succeeds (node is always there; curl may not be).
answers() {
  node -e "const s=require('net').connect($PORT,'$HOST');s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),1000)" 2>/dev/null
}

if answers; then echo "$URL"; exit 0; fi
if [ ! -x "$BIN" ]; then
  echo "s3rver is missing ($BIN): run scripts/setup.sh (pnpm install)" >&2; exit 1
fi
mkdir -p "$DIR/data"
# setsid + nohup: the server must outlive this script and the CI step that ran it.
setsid nohup "$BIN" -d "$DIR/data" -a "$HOST" -p "$PORT" --silent >"$DIR/s3rver.log" 2>&1 < /dev/null &
echo $! > "$DIR/s3rver.pid"
for _ in $(seq 1 100); do answers && break; sleep 0.1; done
if ! answers; then
  echo "s3rver did not start on $HOST:$PORT; see $DIR/s3rver.log" >&2; cat "$DIR/s3rver.log" >&2 || true; exit 1
fi
echo "$URL"
