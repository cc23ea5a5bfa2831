import dgram from 'node:dgram';
import { fsError } from '@juicefs/core';

// How a distributed sync reaches its workers: over ssh, as JuiceFS's does, with the remote
// command line quoted for the remote user's shell.

/** `--worker` values as JuiceFS reads them: repeated, or comma-separated, or both. */
export function parseWorkers(values: readonly string[] | undefined): string[] {
  const hosts = (values ?? []).flatMap((v) => v.split(',')).map((h) => h.trim()).filter((h) => h !== '');
  for (const h of hosts) {
    if (/\s/.test(h) || h.startsWith('-')) throw fsError('EINVAL', `--worker ${h}: not a host; give [USER@]HOST, comma-separated for several`);
  }
  return hosts;
}

/** The host part of `[USER@]HOST`. */
export function hostOf(worker: string): string {
  return worker.slice(worker.lastIndexOf('@') + 1);
}

/** One word for a POSIX shell: as it is when it is plainly safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The ssh program and its options: `$JUICEFS_SSH` split at spaces (like rsync's `RSYNC_RSH`),
 * e.g. `ssh -F /path/to/config` or `ssh -p 2222 -i key`; plain `ssh` by default.
 */
export function sshCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env['JUICEFS_SSH'] ?? '').split(/\s+/).filter((w) => w !== '');
  return words.length > 0 ? words : ['ssh'];
}

/**
 * The local address this machine reaches `host` from (what workers there can call back), found
 * as JuiceFS finds it: by routing a UDP socket toward the host's ssh port, which sends nothing.
 */
export async function localAddressToward(host: string): Promise<string> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(22, host, () => resolve());
    });
    return socket.address().address;
  } catch (err) {
    throw fsError('EINVAL', `cannot find a local address that worker host ${host} can reach (${(err as Error).message}); give one with --manager-addr HOST:PORT`, err);
  } finally {
    socket.close();
  }
}
