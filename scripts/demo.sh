#!/usr/bin/env bash
# The main job on the embedded default, end to end: prepare the machine, build, format a volume with
# SQLite metadata and local-directory storage, and show it working. Everything lives under
# ${JFS_DEMO_DIR:-/tmp/juicefs-demo}; a second run starts from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO="${JFS_DEMO_DIR:-/tmp/juicefs-demo}"
export CI="${CI:-true}" TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

bash scripts/setup.sh
echo "==> build" >&2
pnpm exec turbo run build --output-logs=errors-only --filter=@juicefs/cli... >/dev/null || {
  echo "build failed: run 'pnpm exec turbo run build' to see the errors" >&2; exit 1; }
JFS=(node packages/cli/dist/bin/juicefs.js)
if [ ! -f packages/cli/dist/bin/juicefs.js ]; then
  echo "the juicefs command is not built (packages/cli/dist/bin/juicefs.js missing)" >&2; exit 1
fi

rm -rf "$DEMO"; mkdir -p "$DEMO"
META="sqlite3://$DEMO/meta.db"
run() { echo; echo "\$ juicefs $*"; "${JFS[@]}" "$@"; }
run format "$META" demo --storage file --bucket "$DEMO/bucket/"
run status "$META"
run dump "$META" "$DEMO/dump.json"
echo; echo "demo volume: metadata $DEMO/meta.db, data $DEMO/bucket/"
