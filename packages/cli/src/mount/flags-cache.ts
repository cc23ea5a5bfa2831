import { fsError } from '@juicefs/core';
import { parseDurationFlag } from '../duration-flag.js';
import { CACHE_EVICTIONS, CHECKSUM_LEVELS, type CacheEviction, type ChecksumLevel } from '@juicefs/chunk';
import type { Options } from 'yargs';
import type { ServeOptions } from './serve.js';

/**
 * JuiceFS's disk cache flags of `juicefs mount` (cmd/flags.go, dataCacheFlags), with its defaults.
 * Durations are taken as JuiceFS takes them: seconds, or a Go duration such as 1h or 30m.
 */
export const CACHE_FLAGS = {
  'cache-mode': { type: 'string', default: '0600', describe: 'file mode of cached blocks, octal (directories get the matching x bits)' },
  'cache-items': { type: 'number', default: 0, describe: 'most cached blocks kept (0: no bound but --cache-size)' },
  'cache-eviction': { type: 'string', default: '2-random', describe: 'which blocks a full cache drops: 2-random, lru, or none (a full cache takes no more)' },
  'cache-expire': { type: 'string', default: '0', describe: 'remove cached blocks not used for this long (seconds, or e.g. 12h; 0: never)' },
  'cache-scan-interval': { type: 'string', default: '3600', describe: 'scan the cache directory this often to rebuild its index (seconds, or e.g. 1h; 0: only on start)' },
  'cache-partial-only': { type: 'boolean', default: false, describe: 'keep only blocks shorter than a full block (small files, file tails) in the disk cache' },
  'verify-cache-checksum': { type: 'string', default: 'extend', describe: 'checksums of cached blocks, checked on reads: none, full, shrink or extend' },
} as const satisfies Record<string, Options>;

/** The parsed values of CACHE_FLAGS. */
export interface CacheFlagValues {
  'cache-mode': string;
  'cache-items': number;
  'cache-eviction': string;
  'cache-expire': string;
  'cache-scan-interval': string;
  'cache-partial-only': boolean;
  'verify-cache-checksum': string;
}

/** The ServeOptions fields the cache flags set. */
export type CacheServeOptions = Pick<
  ServeOptions,
  'cacheMode' | 'cacheItems' | 'cacheEviction' | 'cacheExpire' | 'cacheScanInterval' | 'cachePartialOnly' | 'verifyCacheChecksum'
>;

/** Checks the cache flags and turns them into serve options; a bad value names the flag and the fix. */
export function cacheServeOptions(a: CacheFlagValues): CacheServeOptions {
  const items = a['cache-items'];
  if (!Number.isInteger(items) || items < 0) throw fsError('EINVAL', `--cache-items ${String(items)}: give a whole number of blocks, 0 for no bound`);
  const expire = parseDurationFlag('cache-expire', a['cache-expire']);
  if (expire < 0) throw fsError('EINVAL', `--cache-expire ${a['cache-expire']}: give a duration of 0 (never) or more`);
  // JuiceFS skips even the first scan for a negative interval; this client always indexes the
  // directory on start (it cannot serve the blocks otherwise), so that is the same as 0 here.
  const scan = Math.max(0, parseDurationFlag('cache-scan-interval', a['cache-scan-interval']));
  return {
    cacheMode: parseCacheMode(a['cache-mode']),
    cacheItems: items,
    cacheEviction: oneOf('cache-eviction', a['cache-eviction'], CACHE_EVICTIONS),
    cacheExpire: expire,
    cacheScanInterval: scan,
    cachePartialOnly: a['cache-partial-only'],
    verifyCacheChecksum: oneOf('verify-cache-checksum', a['verify-cache-checksum'], CHECKSUM_LEVELS),
  };
}

/** `--cache-mode`: an octal file mode, as JuiceFS parses it (0600, 644, 0640...). */
export function parseCacheMode(text: string): number {
  const t = String(text).trim();
  const mode = /^[0-7]{1,5}$/.test(t) ? parseInt(t, 8) : NaN;
  if (!(mode <= 0o7777)) throw fsError('EINVAL', `--cache-mode ${text}: not an octal file mode; give e.g. 0600 (owner only) or 0644`);
  return mode;
}


function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw fsError('EINVAL', `--${flag} ${value}: use one of ${allowed.join(', ')}`);
}

export type { CacheEviction, ChecksumLevel };
