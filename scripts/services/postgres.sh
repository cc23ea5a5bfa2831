#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the tests, cluster in a temporary
# directory, trust authentication for user postgres. Idempotent. Prints the URL to use.
set -euo pipefail
PORT="${JFS_PG_PORT:-5440}"
DIR="${JFS_SERVICES_DIR:-/tmp/juicefs-services}/postgres"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "PostgreSQL server binaries are missing: run scripts/setup.sh (apt-get install postgresql)" >&2; exit 1
fi
URL="postgres://postgres@127.0.0.1:$PORT/juicefs_test"
if [ -d "$DIR/data" ] && su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DIR/data status" >/dev/null 2>&1; then
  echo "$URL"; exit 0
fi
mkdir -p "$DIR"; chown postgres "$DIR"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  su postgres -s /bin/sh -c "$BIN/initdb -D $DIR/data -U postgres --auth=trust -E UTF8" >/dev/null
fi
su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DIR/data -l $DIR/pg.log -w -o '-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300' start" >/dev/null
psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='juicefs_test'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE juicefs_test" >/dev/null
echo "$URL"
