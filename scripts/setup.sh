#!/usr/bin/env bash
# Prepare a machine (Debian 12, as root) to build and test this repository: system packages for the
# test servers, FUSE and native addon builds, pnpm 10, and the workspace's dependencies.
# Idempotent and quiet: each step runs only when something is missing, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

log() { echo "setup: $*" >&2; }
need_root() {
  if [ "$(id -u)" != 0 ]; then
    log "installing system packages needs root: re-run as root (or sudo bash scripts/setup.sh)"; exit 1
  fi
}

# 1. System packages. Checked by dpkg status so nothing is fetched when all are present;
#    apt-get update runs at most once, and only when something must be installed.
#    redis-server/postgresql/mariadb-server: the metadata engines' tests run against real servers
#    (MariaDB serves mysql:// URLs; mariadb-client gives scripts/services/mysql.sh its admin tools).
#    fuse3/libfuse3-dev: mounting (fusermount3, mount.fuse3).  build-essential/python3: better-sqlite3
#    and other native addons build from source because their prebuilt downloads are unreachable.
#    pkg-config: the passthrough_ll baseline mount is compiled by its test.  zstd/openssl: the chunk
#    tests check our zstd frames and RSA-wrapped keys with the reference tools, not only our own code.
#    git/rsync/sqlite3/vim: the POSIX suite runs the programs a mount must serve (tests/posix/cases/programs.ts).
#    openssh-server: `juicefs sync --worker` starts its workers over ssh; its tests log in to a server
#    on loopback (scripts/services/sshd.sh), which needs the client (openssh-client comes with it).
PKGS=(redis-server postgresql mariadb-server mariadb-client fuse3 libfuse3-dev build-essential pkg-config python3 ca-certificates git procps zstd openssl rsync sqlite3 vim openssh-server)
MISSING=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING+=("$p")
done
if ! command -v node >/dev/null; then MISSING+=(nodejs npm); fi
if [ "${#MISSING[@]}" -gt 0 ]; then
  need_root
  log "installing ${MISSING[*]}"
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
fi
# Debian's postgresql package starts a cluster on 5432; our tests use their own cluster on 5440
# (scripts/services/postgres.sh), so the system one is left as it is. Likewise mariadb-server may
# start a system server on 3306 (not where policy-rc.d forbids it); ours runs on 3310 (mysql.sh).

NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
  log "Node $(node -v) is too old: this workspace needs Node 20 or newer (install it from nodejs.org or NodeSource)"; exit 1
fi

# 2. pnpm 10 (pnpm 11 needs Node 22.13+; package.json pins the exact version through packageManager).
if ! command -v pnpm >/dev/null || [ "$(pnpm -v 2>/dev/null | cut -d. -f1)" != 10 ]; then
  need_root
  log "installing pnpm 10"
  npm i -g pnpm@10 --silent >/dev/null 2>&1
fi

# 3. Workspace dependencies, exactly as locked. Skipped when node_modules is newer than the lockfile
#    (pnpm's own check is fast too, but this avoids its network probe entirely on a warm machine).
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ] \
   || [ package.json -nt node_modules/.modules.yaml ] \
   || [ -n "$(find packages -maxdepth 2 -name package.json -newer node_modules/.modules.yaml)" ]; then
  log "installing workspace dependencies (native addons build from source; this takes a few minutes the first time)"
  CI=true pnpm install --frozen-lockfile --reporter=silent
fi
exit 0
