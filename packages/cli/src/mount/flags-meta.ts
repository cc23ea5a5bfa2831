import { ATIME_MODES, fsError, type AtimeMode } from '@juicefs/core';
import os from 'node:os';
import type { Options } from 'yargs';
import type { ServeOptions } from './serve.js';
import { parseDurationFlag } from '../duration-flag.js';
import { atLeastZero } from './flags-sizes.js';

/**
 * JuiceFS's metadata flags of `juicefs mount` (cmd/flags.go, metaFlags and the open cache of
 * metaCacheFlags), with its names and defaults, so that a Go client's command line means the
 * same here.
 */
export const META_FLAGS = {
  'atime-mode': { type: 'string', default: 'noatime', describe: 'when reads update access times: noatime (never), relatime (when older than mtime/ctime or than a day), strictatime (every access, at most once a second)' },
  'skip-dir-mtime': { type: 'string', default: '100ms', describe: 'leave a directory\'s mtime/ctime alone when its last change was less than this ago (e.g. 100ms, 1s; 0: always update)' },
  'skip-dir-nlink': { type: 'number', default: 20, describe: 'accepted for JuiceFS command lines: it only tunes transactional key-value engines (TiKV, FoundationDB…), which this client does not have' },
  'sort-dir': { type: 'boolean', default: false, describe: 'list directories sorted by name' },
  'fast-statfs': { type: 'boolean', default: false, describe: 'answer statfs (df) from usage counters read at most a heartbeat ago instead of asking the metadata engine each time' },
  'open-cache': { type: 'string', default: '0', describe: 'seconds the attributes and slice lists of opened files are trusted without asking the metadata engine (0: off)' },
  'open-cache-limit': { type: 'number', default: 10000, describe: 'most files kept by --open-cache' },
  'network-interfaces': { type: 'string', describe: 'comma-separated network interfaces (e.g. eth0,eth1) whose addresses the session shows to `juicefs status` (default: every interface but loopback)' },
} as const satisfies Record<string, Options>;

/** The parsed META_FLAGS (yargs' camel-case twins left out). */
export interface MetaFlags {
  'atime-mode': string;
  'skip-dir-mtime': string;
  'skip-dir-nlink': number;
  'sort-dir': boolean;
  'fast-statfs': boolean;
  'open-cache': string;
  'open-cache-limit': number;
  'network-interfaces'?: string | undefined;
}

export type MetaServeOptions = Pick<ServeOptions, 'atimeMode' | 'skipDirMtimeMs' | 'sortDir' | 'fastStatfs' | 'openCache' | 'openCacheLimit' | 'ipAddrs'>;

/** META_FLAGS checked and turned into serve options; a bad value names the flag and the fix. */
export function metaServeOptions(a: MetaFlags): MetaServeOptions {
  const mode = a['atime-mode'];
  if (!(ATIME_MODES as readonly string[]).includes(mode)) {
    throw fsError('EINVAL', `--atime-mode ${mode}: use noatime, relatime or strictatime`);
  }
  const nlink = a['skip-dir-nlink'];
  if (!Number.isInteger(nlink) || nlink < 0) throw fsError('EINVAL', `--skip-dir-nlink must be a whole number of at least 0, got ${nlink}`);
  const limit = a['open-cache-limit'];
  if (!Number.isInteger(limit) || limit < 1) throw fsError('EINVAL', `--open-cache-limit must be a whole number of at least 1, got ${limit}`);
  const ifaces = a['network-interfaces'];
  return {
    ...(ifaces !== undefined && ifaces !== '' ? { ipAddrs: interfaceAddresses(ifaces) } : {}),
    atimeMode: mode as AtimeMode,
    skipDirMtimeMs: atLeastZero('skip-dir-mtime', parseDurationFlag('skip-dir-mtime', a['skip-dir-mtime'])) * 1000,
    sortDir: a['sort-dir'],
    fastStatfs: a['fast-statfs'],
    openCache: atLeastZero('open-cache', parseDurationFlag('open-cache', a['open-cache'])),
    openCacheLimit: limit,
  };
}

/**
 * The addresses of the named interfaces (`--network-interfaces eth0,eth1`), for the session info's
 * IPAddrs, in the order named. Loopback is kept when named. A name this host lacks is refused with
 * the ones it has, so a typo does not quietly leave the session without addresses.
 */
export function interfaceAddresses(names: string, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string[] {
  const wanted = names.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const out: string[] = [];
  for (const name of wanted) {
    const list = interfaces[name];
    if (list === undefined) {
      throw fsError('EINVAL', `--network-interfaces: no interface "${name}" on this host; it has ${Object.keys(interfaces).sort().join(', ')}`);
    }
    for (const a of list) if (!out.includes(a.address)) out.push(a.address);
  }
  return out;
}


