import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';

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

interface Column {
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

/** The columns of `juicefs stats` (schema "ufmco": usage, fuse, meta, blockcache, object). */
const COLUMNS: Column[] = [
  { section: 'usage', name: 'cpu', value: (c, p, s) => `${(((get(c, 'juicefs_cpu_usage') - get(p, 'juicefs_cpu_usage')) / s) * 100).toFixed(1)}%` },
  { section: 'usage', name: 'mem', value: (c) => human(get(c, 'juicefs_memory')) },
  { section: 'usage', name: 'buf', value: (c) => human(get(c, 'juicefs_used_buffer_size_bytes')) },
  { section: 'fuse', name: 'ops', value: rate('juicefs_fuse_ops_durations_histogram_seconds_total') },
  { section: 'fuse', name: 'lat', value: latency('juicefs_fuse_ops_durations_histogram_seconds') },
  { section: 'fuse', name: 'read', value: rate('juicefs_fuse_read_bytes') },
  { section: 'fuse', name: 'write', value: rate('juicefs_fuse_written_bytes') },
  { section: 'meta', name: 'ops', value: rate('juicefs_meta_ops_durations_histogram_seconds_total') },
  { section: 'meta', name: 'lat', value: latency('juicefs_meta_ops_durations_histogram_seconds') },
  { section: 'blockcache', name: 'hit', value: rate('juicefs_blockcache_hits') },
  { section: 'blockcache', name: 'miss', value: rate('juicefs_blockcache_miss') },
  { section: 'object', name: 'get', value: rate('juicefs_object_request_data_bytes_GET') },
  { section: 'object', name: 'get_c', value: rate('juicefs_object_request_durations_histogram_seconds_GET_total') },
  { section: 'object', name: 'put', value: rate('juicefs_object_request_data_bytes_PUT') },
  { section: 'object', name: 'put_c', value: rate('juicefs_object_request_durations_histogram_seconds_PUT_total') },
];
const WIDTH = 6;

export function statsHeader(): string {
  const sections: string[] = [];
  const names: string[] = [];
  for (const sec of [...new Set(COLUMNS.map((c) => c.section))]) {
    const cols = COLUMNS.filter((c) => c.section === sec);
    const w = cols.length * (WIDTH + 1) - 1;
    const pad = Math.max(0, w - sec.length);
    sections.push(`${'-'.repeat(Math.floor(pad / 2))}${sec}${'-'.repeat(Math.ceil(pad / 2))}`);
    names.push(cols.map((c) => c.name.padStart(WIDTH)).join(' '));
  }
  return `${sections.join('|')}\n${names.join('|')}\n`;
}

export function statsLine(cur: StatsSample, prev: StatsSample, secs: number): string {
  const parts: string[] = [];
  for (const sec of [...new Set(COLUMNS.map((c) => c.section))]) {
    parts.push(COLUMNS.filter((c) => c.section === sec).map((c) => c.value(cur, prev, secs).padStart(WIDTH)).join(' '));
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
        .option('interval', { type: 'number', default: 1, describe: 'seconds between lines' })
        .option('count', { type: 'number', describe: 'stop after this many lines (default: run until interrupted)' }),
    async (a) => {
      const file = statsFile(String(a.MOUNTPOINT));
      const interval = a.interval > 0 ? a.interval : 1;
      const read = () => parseStats(readFileSync(file, 'utf8'));
      process.stdout.write(statsHeader());
      let prev = read();
      let at = Date.now();
      for (let n = 0; a.count === undefined || n < a.count; n++) {
        await new Promise((r) => setTimeout(r, interval * 1000));
        const cur = read();
        const now = Date.now();
        process.stdout.write(statsLine(cur, prev, Math.max(0.001, (now - at) / 1000)));
        prev = cur;
        at = now;
      }
    },
  );
}
