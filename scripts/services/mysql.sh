#!/usr/bin/env bash
# Start a throwaway MariaDB (MySQL-compatible) server on loopback for the tests: data directory and
# socket under ${JFS_SERVICES_DIR:-/tmp/juicefs-services}/mysql, port 3310 (not 3306, where Debian's
# own mariadb service would listen if something started it: ours never depends on that one).
# Creates database juicefs_test and user juicefs (password juicefs, all privileges, so tests can make
# a database per test file); root may also connect over TCP without a password. Idempotent.
# Prints the URL to use, in the Go DSN form JuiceFS documents.
set -euo pipefail
PORT="${JFS_MYSQL_PORT:-3310}"
DIR="${JFS_SERVICES_DIR:-/tmp/juicefs-services}/mysql"
SOCK="$DIR/mysqld.sock"
URL="mysql://juicefs:juicefs@(127.0.0.1:$PORT)/juicefs_test"
if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
  echo "MariaDB server binaries are missing: run scripts/setup.sh (apt-get install mariadb-server)" >&2; exit 1
fi
MARIADBD="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
client() { mariadb --no-defaults --socket="$SOCK" -uroot "$@"; }
alive() { mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1; }

if ! alive; then
  mkdir -p "$DIR"
  # mariadbd refuses to run as root; as root we hand it the mysql user (Debian's package makes it).
  RUNAS=()
  if [ "$(id -u)" = 0 ]; then chown -R mysql:mysql "$DIR"; RUNAS=(--user=mysql); fi
  if [ ! -d "$DIR/data/mysql" ]; then
    # auth-root-authentication-method=normal: root without password (not unix_socket only), so
    # this works whichever OS user runs the tests.
    mariadb-install-db --no-defaults "${RUNAS[@]}" --datadir="$DIR/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$DIR/install.log" 2>&1 \
      || { cat "$DIR/install.log" >&2; exit 1; }
  fi
  rm -f "$SOCK" "$DIR/mysqld.pid"
  # Test-only durability settings (like postgres.sh's fsync=off): each commit reaches the OS but is
  # not fsynced (=2, so a killed server loses nothing; =0 would lose the last second), no
  # doublewrite. A small buffer pool: the machine is shared.
  nohup "$MARIADBD" --no-defaults "${RUNAS[@]}" --datadir="$DIR/data" --socket="$SOCK" \
    --pid-file="$DIR/mysqld.pid" --log-error="$DIR/mysqld.log" \
    --bind-address=127.0.0.1 --port="$PORT" --skip-name-resolve --max-connections=300 \
    --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
    --performance-schema=OFF --character-set-server=utf8mb4 >/dev/null 2>&1 </dev/null &
  for _ in $(seq 1 100); do alive && break; sleep 0.2; done
  if ! alive; then
    echo "MariaDB did not start on port $PORT; its log says:" >&2; tail -20 "$DIR/mysqld.log" >&2 || true; exit 1
  fi
fi
client -e "CREATE DATABASE IF NOT EXISTS juicefs_test;
  CREATE USER IF NOT EXISTS 'juicefs'@'%' IDENTIFIED BY 'juicefs';
  GRANT ALL PRIVILEGES ON *.* TO 'juicefs'@'%';
  CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
  GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
echo "$URL"
