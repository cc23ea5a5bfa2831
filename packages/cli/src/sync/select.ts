import { fsError } from '@juicefs/core';
import type { SyncEntry } from './tree.js';

/**
 * JuiceFS sync's selection flags that look at a key or at a file's attributes rather than at
 * include/exclude patterns: --start/--end, --files-from, --min-size/--max-size,
 * --min-age/--max-age and --start-time/--end-time. Parsing follows JuiceFS (pkg/utils,
 * pkg/sync/config.go); comparisons follow pkg/sync/sync.go's filterKey.
 */

const SIZE_SHIFT: Record<string, number> = { K: 10, M: 20, G: 30, T: 40, P: 50, E: 60 };

/**
 * A size as JuiceFS's ParseBytes reads it with bytes as the default unit: a (decimal) number,
 * optionally followed by one unit letter, B or K/M/G/T/P/E (powers of 1024, any case for the
 * latter): `100`, `100B`, `4K`, `1.5M`.
 */
export function parseSyncSize(flag: string, text: string): number {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?|\.\d+)([A-Za-z]?)$/.exec(t);
  const letter = m?.[2] ?? '';
  // JuiceFS takes "B" (upper case only) for bytes, and K…E in either case.
  const shift = letter === '' || letter === 'B' ? 0 : letter === 'b' ? undefined : SIZE_SHIFT[letter.toUpperCase()];
  if (!m || shift === undefined) {
    throw fsError('EINVAL', `--${flag} "${text}" is not a size: give bytes, or a number with one of the units B, K, M, G, T, P, E (powers of 1024), e.g. 100K or 1.5G`);
  }
  return Math.floor(Number(m[1]) * 2 ** shift);
}

const GO_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration as JuiceFS's utils.Duration reads it, in ms: a bare number is seconds; otherwise an
 * optional leading days part (`2d`) then a Go duration (`1h30m`, `45s`). JuiceFS logs a warning
 * and takes 0 (no filter) for text it cannot read; a typo there silently selects everything, so
 * here it is an error.
 */
export function parseSyncDuration(flag: string, text: string): number {
  const t = text.trim();
  const bad = () =>
    fsError('EINVAL', `--${flag} "${text}" is not a duration: give seconds (e.g. 3600) or a duration such as 30m, 1h30m or 2d (days)`);
  if (t === '') throw bad();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  let rest = t;
  let total = 0;
  const days = /^(\d+(?:\.\d+)?)d/.exec(rest);
  if (days) {
    total += Number(days[1]) * 86_400_000;
    rest = rest.slice(days[0].length);
  }
  const part = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m) throw bad();
    total += Number(m[1]) * GO_UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * A point in time as JuiceFS reads --start-time/--end-time (spf13/cast in the local time zone),
 * in ms since the epoch. The forms people write: `2006-01-02 15:04:05` (JuiceFS's own example),
 * the same with `T`, fractional seconds or a zone (`Z`, `+08:00`, `+0800`, so RFC 3339 too), and a
 * bare date `2006-01-02` (local midnight). Without a zone the time is local, as in JuiceFS.
 */
export function parseSyncTime(flag: string, text: string): number {
  const t = text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  const bad = () =>
    fsError('EINVAL', `--${flag} "${text}" is not a time: write it as 2006-01-02 15:04:05 (local time), 2006-01-02T15:04:05Z (with a zone) or 2006-01-02`);
  if (!m) throw bad();
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Math.floor(Number(`0${frac || '.0'}`) * 1000);
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms] as const;
  let at: number;
  if (zone === undefined) at = new Date(...fields).getTime();
  else {
    const z = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
    at = Date.UTC(...fields) - z * 60_000;
  }
  // Reject dates that roll over (2006-02-31) rather than quietly moving them.
  const check = new Date(zone === undefined ? at : Date.UTC(...fields));
  const [month, day] = zone === undefined ? [check.getMonth(), check.getDate()] : [check.getUTCMonth(), check.getUTCDate()];
  if (Number.isNaN(at) || month !== fields[1] || day !== fields[2]) throw bad();
  return at;
}

export interface SelectOptions {
  /** --start: the first key to sync ('' = from the beginning). */
  start: string;
  /** --end: the last key to sync ('' = to the end). */
  end: string;
  minSize: number;
  /** Infinity when --max-size is not given. */
  maxSize: number;
  /** --max-age in ms (0 = none): only files modified within it. */
  maxAgeMs: number;
  /** --min-age in ms (0 = none): only files not modified within it. */
  minAgeMs: number;
  /** --start-time, ms since the epoch (undefined = none). */
  startTime?: number;
  /** --end-time, ms since the epoch (undefined = none). */
  endTime?: number;
}

/** The flags as given on the command line (yargs strings), checked as JuiceFS checks them. */
export interface SelectFlags {
  start?: string | undefined;
  end?: string | undefined;
  'min-size'?: string | undefined;
  'max-size'?: string | undefined;
  'min-age'?: string | undefined;
  'max-age'?: string | undefined;
  'start-time'?: string | undefined;
  'end-time'?: string | undefined;
}

export function selectOptionsOf(a: SelectFlags): SelectOptions {
  const given = (v: string | undefined): v is string => v !== undefined && v !== '';
  const o: SelectOptions = {
    start: a.start ?? '',
    end: a.end ?? '',
    minSize: given(a['min-size']) ? parseSyncSize('min-size', a['min-size']) : 0,
    maxSize: given(a['max-size']) ? parseSyncSize('max-size', a['max-size']) : Infinity,
    maxAgeMs: given(a['max-age']) ? parseSyncDuration('max-age', a['max-age']) : 0,
    minAgeMs: given(a['min-age']) ? parseSyncDuration('min-age', a['min-age']) : 0,
    ...(given(a['start-time']) ? { startTime: parseSyncTime('start-time', a['start-time']) } : {}),
    ...(given(a['end-time']) ? { endTime: parseSyncTime('end-time', a['end-time']) } : {}),
  };
  // JuiceFS's own words for these two (pkg/sync/config.go), with the fix.
  if (o.minSize > o.maxSize) throw fsError('EINVAL', `min-size should not be larger than max-size (--min-size ${a['min-size']} > --max-size ${a['max-size']}): nothing could be selected; lower --min-size or raise --max-size`);
  if (o.maxAgeMs > 0 && o.minAgeMs > o.maxAgeMs) throw fsError('EINVAL', `min-age should not be larger than max-age (--min-age ${a['min-age']} > --max-age ${a['max-age']}): nothing could be selected; lower --min-age or raise --max-age`);
  // JuiceFS accepts this and selects nothing; an empty window is always a mistake, so say so.
  if (o.startTime !== undefined && o.endTime !== undefined && o.startTime >= o.endTime) {
    throw fsError('EINVAL', `--start-time ${a['start-time']} is not before --end-time ${a['end-time']}: nothing could be selected; swap them or widen the window`);
  }
  if (o.end !== '' && o.start > o.end) throw fsError('EINVAL', `--start ${o.start} comes after --end ${o.end} in key order: nothing could be selected; swap them`);
  return o;
}

/** Whether `key` lies in [--start, --end] (byte order, both ends included, as JuiceFS lists). */
export function keyInRange(key: string, o: Pick<SelectOptions, 'start' | 'end'>): boolean {
  return (o.start === '' || Buffer.compare(Buffer.from(key), Buffer.from(o.start)) >= 0) && (o.end === '' || Buffer.compare(Buffer.from(key), Buffer.from(o.end)) <= 0);
}

/**
 * Whether a listed entry passes the size and time filters. As in JuiceFS, they judge files only:
 * directories and symlinks (copied as links) always pass. Time bounds are exclusive, as JuiceFS
 * compares them (After/Before).
 */
export function selectsEntry(e: SyncEntry, o: SelectOptions, now: number): boolean {
  if (e.isDir || e.linkTarget !== undefined) return true;
  if (e.size < o.minSize || e.size > o.maxSize) return false;
  if (o.maxAgeMs > 0 && !(e.mtime > now - o.maxAgeMs)) return false;
  if (o.minAgeMs > 0 && !(e.mtime < now - o.minAgeMs)) return false;
  if (o.startTime !== undefined && !(e.mtime > o.startTime)) return false;
  if (o.endTime !== undefined && !(e.mtime < o.endTime)) return false;
  return true;
}

/** Whether any attribute filter is set (so the plan can skip the work when none is). */
export function hasAttributeFilter(o: SelectOptions): boolean {
  return o.minSize > 0 || o.maxSize !== Infinity || o.maxAgeMs > 0 || o.minAgeMs > 0 || o.startTime !== undefined || o.endTime !== undefined;
}

/**
 * --files-from: the keys and directories listed in FILE, one a line, as JuiceFS reads it: empty
 * lines are skipped and trailing white space is trimmed; a line ending in "/" is a directory and
 * takes everything below it, and so does a line naming what turns out to be a directory at the
 * source. Keys listed that the source does not have are ignored (and counted).
 */
export class FilesFrom {
  private readonly exact = new Set<string>();
  private prefixes: string[] = [];

  constructor(text: string) {
    for (const raw of text.split('\n')) {
      const line = raw.replace(/\s+$/, '').replace(/^\/+/, '');
      if (line === '') continue;
      if (line.endsWith('/')) this.prefixes.push(line);
      else this.exact.add(line);
    }
  }

  /** Turn listed names that are directories at the source into prefixes; returns how many listed keys the source lacks. */
  resolve(sourceKeys: ReadonlySet<string>): number {
    let missing = 0;
    for (const k of [...this.exact]) {
      if (sourceKeys.has(k)) continue;
      this.exact.delete(k); // a file the source lacks: nothing to copy, and nothing to delete either (as JuiceFS)
      if (sourceKeys.has(`${k}/`)) this.prefixes.push(`${k}/`);
      else missing++;
    }
    // A listed directory the source lacks stays: with --delete-dst its copy is emptied, as JuiceFS
    // lists both sides under it.
    for (const p of this.prefixes) if (!sourceKeys.has(p)) missing++;
    return missing;
  }

  /** Whether `key` was listed or lies below a listed directory (the directory itself included). */
  takes(key: string): boolean {
    return this.exact.has(key) || this.prefixes.some((p) => key.startsWith(p));
  }
}
