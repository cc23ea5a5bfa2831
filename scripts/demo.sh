#!/usr/bin/env bash
# The main job on the embedded default, end to end: prepare the machine, build, format a volume with
# SQLite metadata and local-directory storage, mount it, use it through the kernel, unmount, and
# show what was stored. Needs root (FUSE mounts). Everything lives under
# ${JFS_DEMO_DIR:-/tmp/juicefs-demo}; each run starts from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO="${JFS_DEMO_DIR:-/tmp/juicefs-demo}"
export CI="${CI:-true}"

bash scripts/setup.sh
echo "==> build" >&2
bash scripts/build.sh >/dev/null 2>"$DEMO.build.log" || {
  # Packages the demo does not use may be mid-change; go on if the command itself was built.
  [ -f packages/cli/dist/bin/juicefs.js ] || { cat "$DEMO.build.log" >&2; exit 1; }
  echo "(some packages did not build cleanly, see $DEMO.build.log; the juicefs command did)" >&2
}

MP="$DEMO/mnt"
if grep -qs " $MP " /proc/mounts; then umount -l "$MP"; fi
rm -rf "$DEMO"; mkdir -p "$MP"
META="sqlite3://$DEMO/meta.db"
run() { echo; echo "\$ juicefs $*"; scripts/juicefs "$@"; }
sh_() { echo; echo "\$ $*"; sh -c "$*"; }

run format "$META" demo --storage file --bucket "$DEMO/bucket" >/dev/null
run mount "$META" "$MP" -d --log "$DEMO/juicefs.log" --cache-dir "$DEMO/cache"
sh_ "echo 'hello from juicefs-ts' > $MP/hello.txt && mkdir -p $MP/docs && cp README.md $MP/docs/ && ln -s hello.txt $MP/link"
sh_ "cat $MP/link; ls -l $MP $MP/docs; df -h $MP"
run status "$META"
run umount "$MP"
sh_ "find $DEMO/bucket -type f | head"
run dump "$META" "$DEMO/dump.json"
echo; echo "demo volume: metadata $DEMO/meta.db, objects $DEMO/bucket/demo/, dump $DEMO/dump.json"
