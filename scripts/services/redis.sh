#!/usr/bin/env bash
# Start a throwaway Redis server on loopback for the tests, data in a temporary directory.
# Idempotent: if one answers on the port already, it is reused. Prints the URL to use.
set -euo pipefail
PORT="${JFS_REDIS_PORT:-6390}"
DIR="${JFS_SERVICES_DIR:-/tmp/juicefs-services}/redis"
if ! command -v redis-server >/dev/null; then
  echo "redis-server is missing: run scripts/setup.sh (apt-get install redis-server)" >&2; exit 1
fi
if redis-cli -p "$PORT" ping >/dev/null 2>&1; then echo "redis://127.0.0.1:$PORT"; exit 0; fi
mkdir -p "$DIR"
# 16 databases are not enough for isolated parallel test files; tests also use key prefixes.
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --daemonize yes \
  --save '' --appendonly no --databases 64 --logfile "$DIR/redis.log" --pidfile "$DIR/redis.pid" >/dev/null
for _ in $(seq 1 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$PORT" ping >/dev/null
echo "redis://127.0.0.1:$PORT"
