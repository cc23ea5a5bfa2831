#!/usr/bin/env bash
# Start every test server (Redis, PostgreSQL, MariaDB for mysql://, S3, and an ssh server for the
# distributed sync's workers) and write their URLs to an env
# file that test runs source: ${JFS_SERVICES_DIR:-/tmp/juicefs-services}/env. Idempotent. Prints the
# env file's content.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="${JFS_SERVICES_DIR:-/tmp/juicefs-services}"
mkdir -p "$DIR"
REDIS_URL="$(bash "$HERE/redis.sh")"
PG_URL="$(bash "$HERE/postgres.sh")"
MYSQL_URL="$(bash "$HERE/mysql.sh")"
S3_URL="$(bash "$HERE/s3.sh")"
SSH_CONFIG="$(bash "$HERE/sshd.sh")"
cat > "$DIR/env.tmp" <<ENV
export JFS_TEST_REDIS_URL=$REDIS_URL
export JFS_TEST_PG_URL=$PG_URL
export JFS_TEST_MYSQL_URL='$MYSQL_URL'
export JFS_TEST_S3_ENDPOINT=$S3_URL
export JFS_TEST_S3_URL=$S3_URL
export JFS_TEST_SSH_CONFIG=$SSH_CONFIG
ENV
mv "$DIR/env.tmp" "$DIR/env"
cat "$DIR/env"
