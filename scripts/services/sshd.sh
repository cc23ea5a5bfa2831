#!/usr/bin/env bash
# Start a throwaway OpenSSH server on loopback for the distributed-sync tests (`juicefs sync
# --worker`), with its own host key and a client key allowed to log in as the user running it.
# Nothing outside the directory is touched: not /etc/ssh, not ~/.ssh. Idempotent: if the server
# answers already, it is reused. Prints the client config to pass as `ssh -F FILE`.
set -euo pipefail
PORT="${JFS_SSHD_PORT:-2222}"
DIR="${JFS_SERVICES_DIR:-/tmp/juicefs-services}/sshd"
SSHD="$(command -v sshd || echo /usr/sbin/sshd)"
if [ ! -x "$SSHD" ]; then
  echo "sshd is missing: run scripts/setup.sh (apt-get install openssh-server)" >&2; exit 1
fi
mkdir -p "$DIR"
chmod 700 "$DIR"
[ -f "$DIR/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/host_key"
[ -f "$DIR/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/client_key"
cp "$DIR/client_key.pub" "$DIR/authorized_keys"
cat > "$DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1:$PORT
HostKey $DIR/host_key
AuthorizedKeysFile $DIR/authorized_keys
PidFile $DIR/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitUserEnvironment no
CONF
cat > "$DIR/ssh_config" <<CONF
Host *
  HostName 127.0.0.1
  Port $PORT
  User $(id -un)
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  LogLevel ERROR
  BatchMode yes
CONF
answers() { ssh -F "$DIR/ssh_config" -o ConnectTimeout=2 localhost true >/dev/null 2>&1; }
if ! answers; then
  if [ -f "$DIR/sshd.pid" ]; then kill "$(cat "$DIR/sshd.pid")" 2>/dev/null || true; fi
  # sshd wants its privilege-separation directory, which only its system service makes.
  mkdir -p /run/sshd
  "$SSHD" -f "$DIR/sshd_config" -E "$DIR/sshd.log"
  for _ in $(seq 1 50); do answers && break; sleep 0.1; done
  answers || { echo "sshd did not start on 127.0.0.1:$PORT; see $DIR/sshd.log" >&2; exit 1; }
fi
echo "$DIR/ssh_config"
