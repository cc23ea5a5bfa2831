import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { log } from '../log.js';

/** One sample of `<mp>/.stats`: `name value` per line. */
export type StatsSample = Map<string, number>;

export function parseStats(text: string): StatsSample {
  const m: StatsSample = new Map();
  for (const line of text.split('\n')) {
    const i = line.lastIndexOf(' ');
    if (i <= 0) continue;
    const v = Number(line.slice(i + 1));
    if (Number.isFinite(v)) m.set(line.slice(0, i), v);
  }
  return m;
}

/** The stats file of a mount: `.stats`, or `.jfs.stats` under --prefix-internal. */
export function statsFile(mountpoint: string): string {
  for (const name of ['.stats', '.jfs.stats']) {
    const p = path.join(mountpoint, name);
    if (existsSync(p)) return p;
  }
  throw fsError('ENOENT', `${mountpoint} has no .stats file: give the mount point of a JuiceFS mount`);
}

/** dstat-style short numbers: 999, 1.2K, 34M… */
export function human(v: number): string {
  if (v < 0.5) return '0';
  const units = ['', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)}${units[i]}`;
}

export interface Column {
  section: string;
  name: string;
  value: (cur: StatsSample, prev: StatsSample, secs: number) => string;
}

const get = (s: StatsSample, k: string) => s.get(k) ?? 0;
const rate = (k: string) => (c: StatsSample, p: StatsSample, secs: number) => human((get(c, k) - get(p, k)) / secs);
const latency = (base: string) => (c: StatsSample, p: StatsSample) => {
  const n = get(c, `${base}_total`) - get(p, `${base}_total`);
  return n > 0 ? (((get(c, `${base}_sum`) - get(p, `${base}_sum`)) / n) * 1000).toFixed(2) : '0';
};

const latencyColumn = (section: string, base: string): Column => ({ section, name: 'lat', value: latency(base) });
const countColumn = (section: string, name: string, base: string): Column => ({ section, name, value: rate(`${base}_total`) });

/**
 * The sections of `juicefs stats` by their letter in --schema, as JuiceFS names them (t: time,
 * u: usage, f: fuse, m: meta, c: blockcache, o: object); the columns after `verbose` come with
 * --verbosity 1 or more. Histograms show their rate and mean latency in ms.
 */
const SECTIONS: Record<string, { name: string; columns: Column[]; verbose?: Column[]; after?: Column[]; afterVerbose?: Column[] }> = {
  t: { name: 'system', columns: [{ section: 'system', name: 'time', value: () => clock(new Date()) }] },
  u: {
    name: 'usage',
    columns: [
      { section: 'usage', name: 'cpu', value: (c, p, s) => `${(((get(c, 'juicefs_cpu_usage') - get(p, 'juicefs_cpu_usage')) / s) * 100).toFixed(1)}%` },
      { section: 'usage', name: 'mem', value: (c) => human(get(c, 'juicefs_memory')) },
      { section: 'usage', name: 'buf', value: (c) => human(get(c, 'juicefs_used_buffer_size_bytes')) },
    ],
    verbose: [{ section: 'usage', name: 'cache', value: (c) => human(get(c, 'juicefs_store_cache_size_bytes')) }],
  },
  f: {
    name: 'fuse',
    columns: [
      countColumn('fuse', 'ops', 'juicefs_fuse_ops_durations_histogram_seconds'),
      latencyColumn('fuse', 'juicefs_fuse_ops_durations_histogram_seconds'),
      { section: 'fuse', name: 'read', value: rate('juicefs_fuse_read_bytes') },
      { section: 'fuse', name: 'write', value: rate('juicefs_fuse_written_bytes') },
    ],
  },
  m: {
    name: 'meta',
    columns: [countColumn('meta', 'ops', 'juicefs_meta_ops_durations_histogram_seconds'), latencyColumn('meta', 'juicefs_meta_ops_durations_histogram_seconds')],
    verbose: [
      countColumn('meta', 'txn', 'juicefs_transaction_durations_histogram_seconds'),
      latencyColumn('meta', 'juicefs_transaction_durations_histogram_seconds'),
      { section: 'meta', name: 'retry', value: rate('juicefs_transaction_restart') },
    ],
  },
  c: {
    name: 'blockcache',
    // As JuiceFS: bytes read from the cache (hits) and bytes written into it, per second.
    columns: [
      { section: 'blockcache', name: 'read', value: rate('juicefs_blockcache_hit_bytes') },
      { section: 'blockcache', name: 'write', value: rate('juicefs_blockcache_write_bytes') },
    ],
  },
  o: {
    name: 'object',
    // In JuiceFS's order: each request count (verbose) after the bytes of its kind.
    columns: [{ section: 'object', name: 'get', value: rate('juicefs_object_request_data_bytes_GET') }],
    verbose: [
      countColumn('object', 'get_c', 'juicefs_object_request_durations_histogram_seconds_GET'),
      latencyColumn('object', 'juicefs_object_request_durations_histogram_seconds_GET'),
    ],
    after: [{ section: 'object', name: 'put', value: rate('juicefs_object_request_data_bytes_PUT') }],
    afterVerbose: [
      countColumn('object', 'put_c', 'juicefs_object_request_durations_histogram_seconds_PUT'),
      latencyColumn('object', 'juicefs_object_request_durations_histogram_seconds_PUT'),
      countColumn('object', 'del_c', 'juicefs_object_request_durations_histogram_seconds_DELETE'),
      latencyColumn('object', 'juicefs_object_request_durations_histogram_seconds_DELETE'),
    ],
  },
};
const WIDTH = 6;

/** "MM-DD HH:MM:SS", the time column of JuiceFS's stats. */
function clock(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * The columns for a --schema string and --verbosity level. A letter this client has no section
 * for is named on stderr and left out (JuiceFS does the same); none left is an error.
 */
export function statsColumns(schema = 'ufmco', verbosity = 0, warn: (msg: string) => void = () => undefined): Column[] {
  const out: Column[] = [];
  for (const letter of schema) {
    const sec = SECTIONS[letter];
    if (!sec) {
      warn(`no section for '${letter}' in --schema ${schema} (this client has t, u, f, m, c and o)`);
      continue;
    }
    out.push(...sec.columns);
    if (verbosity > 0) out.push(...(sec.verbose ?? []));
    out.push(...(sec.after ?? []));
    if (verbosity > 0) out.push(...(sec.afterVerbose ?? []));
  }
  if (out.length === 0) throw fsError('EINVAL', `no section to watch in --schema ${schema}: use letters of t (time), u (usage), f (fuse), m (meta), c (blockcache), o (object)`);
  // Keep the section order of the schema, with each section's verbose columns inside it.
  const order = [...new Set(out.map((c) => c.section))];
  return order.flatMap((name) => out.filter((c) => c.section === name));
}

const width = (c: Column) => (c.name === 'time' ? 14 : WIDTH);

export function statsHeader(columns: readonly Column[] = statsColumns()): string {
  const sections: string[] = [];
  const names: string[] = [];
  for (const sec of [...new Set(columns.map((c) => c.section))]) {
    const cols = columns.filter((c) => c.section === sec);
    const w = cols.reduce((n, c) => n + width(c) + 1, 0) - 1;
    const pad = Math.max(0, w - sec.length);
    sections.push(`${'-'.repeat(Math.floor(pad / 2))}${sec}${'-'.repeat(Math.ceil(pad / 2))}`);
    names.push(cols.map((c) => c.name.padStart(width(c))).join(' '));
  }
  return `${sections.join('|')}\n${names.join('|')}\n`;
}

export function statsLine(cur: StatsSample, prev: StatsSample, secs: number, columns: readonly Column[] = statsColumns()): string {
  const parts: string[] = [];
  for (const sec of [...new Set(columns.map((c) => c.section))]) {
    parts.push(columns.filter((c) => c.section === sec).map((c) => c.value(cur, prev, secs).padStart(width(c))).join(' '));
  }
  return `${parts.join('|')}\n`;
}

export function statsCommand(y: Argv): Argv {
  return y.command(
    'stats MOUNTPOINT',
    'Show live statistics of a mount (FUSE, metadata, cache and object operations per second), dstat style',
    (c) =>
      c
        .positional('MOUNTPOINT', { type: 'string', demandOption: true, describe: 'the mount point' })
        .option('schema', { type: 'string', default: 'ufmco', describe: 'sections to show, by letter: t time, u usage, f fuse, m meta, c blockcache, o object' })
        .option('interval', { type: 'number', default: 1, describe: 'seconds between lines' })
        .option('verbosity', { alias: 'l', type: 'number', default: 0, describe: '1 adds columns: cache size, transactions and retries, object request counts and latencies' })
        .option('count', { alias: 'c', type: 'number', describe: 'stop after this many lines (default: run until interrupted)' }),
    async (a) => {
      const columns = statsColumns(a.schema, a.verbosity, (m) => log.warn(m));
      const file = statsFile(String(a.MOUNTPOINT));
      const interval = a.interval > 0 ? a.interval : 1;
      const read = () => parseStats(readFileSync(file, 'utf8'));
      process.stdout.write(statsHeader(columns));
      let prev = read();
      let at = Date.now();
      for (let n = 0; a.count === undefined || n < a.count; n++) {
        await new Promise((r) => setTimeout(r, interval * 1000));
        const cur = read();
        const now = Date.now();
        process.stdout.write(statsLine(cur, prev, Math.max(0.001, (now - at) / 1000), columns));
        prev = cur;
        at = now;
      }
    },
  );
}
