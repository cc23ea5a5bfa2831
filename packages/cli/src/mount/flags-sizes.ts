import { fsError } from '@juicefs/core';
import { parseSizeFlag } from '../size-flag.js';
import { parseDurationFlag } from '../duration-flag.js';
import type { ServeOptions } from './serve.js';

const MiB = 1024 * 1024;

/** The size and duration flags of a mount and a service, as given (JuiceFS's forms: `100G`, `1.5s`). */
export interface SizeAndTimeFlags {
  'cache-size'?: string | number | undefined;
  'buffer-size': string | number;
  'attr-cache': string | number;
  'entry-cache': string | number;
  'dir-entry-cache': string | number;
  'heartbeat': string | number;
  'max-readahead'?: string | number | undefined;
}

/**
 * Those flags read as JuiceFS 1.3+ reads them, with units (`--cache-size 100G`, `--buffer-size
 * 1G`, `--attr-cache 500ms`, `--heartbeat 12s`) or as bare numbers (MiB, seconds) as before: a
 * script written for either keeps its meaning. Anything else fails here, naming the flag, where a
 * plain number flag took `100G` as NaN and mounted without a cache.
 */
export function clientSizesAndTimes(a: SizeAndTimeFlags): Pick<ServeOptions, 'cacheSize' | 'bufferSize' | 'attrCache' | 'entryCache' | 'dirEntryCache' | 'heartbeat' | 'maxReadaheadMiB'> {
  const seconds = (flag: 'attr-cache' | 'entry-cache' | 'dir-entry-cache' | 'heartbeat'): number => atLeastZero(flag, parseDurationFlag(flag, a[flag]));
  const heartbeat = seconds('heartbeat');
  if (heartbeat <= 0) throw fsError('EINVAL', `--heartbeat "${a.heartbeat}": give a positive interval (JuiceFS's default is 12s)`);
  return {
    cacheSize: parseSizeFlag('cache-size', a['cache-size'] ?? '100G', 'M'),
    bufferSize: parseSizeFlag('buffer-size', a['buffer-size'], 'M'),
    attrCache: seconds('attr-cache'),
    entryCache: seconds('entry-cache'),
    dirEntryCache: seconds('dir-entry-cache'),
    heartbeat,
    ...(a['max-readahead'] !== undefined ? { maxReadaheadMiB: parseSizeFlag('max-readahead', a['max-readahead'], 'M') / MiB } : {}),
  };
}

/** A duration that must not be negative (a timeout, an interval). */
export function atLeastZero(flag: string, seconds: number): number {
  if (seconds < 0) throw fsError('EINVAL', `--${flag}: give a duration of 0 or more, not ${seconds} s`);
  return seconds;
}
