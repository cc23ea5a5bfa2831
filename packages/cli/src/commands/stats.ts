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

/** How a column's number is shown (JuiceFS's metric types in `cmd/stats.go`). */
export type ColumnKind = 'bytes' | 'count' | 'cpu' | 'ms' | 'clock';

export interface Column {
  section: string;
  /** Its name in the second header line (at most 5 characters; `time` is the clock's). */
  name: string;
  kind: ColumnKind;
  /**
   * Its number between two samples `secs` apart: a rate per second for counters, the current value
   * for gauges, the mean in ms for latencies. With `secs` 1 a counter gives its plain difference
   * (the running total of a live line).
   */
  value: (cur: StatsSample, prev: StatsSample, secs: number) => number;
}

const get = (s: StatsSample, k: string) => s.get(k) ?? 0;
const rateOf = (k: string) => (c: StatsSample, p: StatsSample, secs: number) => (get(c, k) - get(p, k)) / secs;
const gauge = (k: string) => (c: StatsSample) => get(c, k);
const meanMs = (base: string) => (c: StatsSample, p: StatsSample) => {
  const n = get(c, `${base}_total`) - get(p, `${base}_total`);
  return n > 0 ? ((get(c, `${base}_sum`) - get(p, `${base}_sum`)) / n) * 1000 : 0;
};

const bytesRate = (section: string, name: string, metric: string): Column => ({ section, name, kind: 'bytes', value: rateOf(metric) });
const latencyColumn = (section: string, base: string): Column => ({ section, name: 'lat', kind: 'ms', value: meanMs(base) });
const countColumn = (section: string, name: string, base: string): Column => ({ section, name, kind: 'count', value: rateOf(`${base}_total`) });

/**
 * The sections of `juicefs stats` by their letter in --schema, as JuiceFS names them (t: time,
 * u: usage, f: fuse, m: meta, c: blockcache, o: object); the columns after `verbose` come with
 * --verbosity 1 or more. Histograms show their rate and mean latency in ms.
 */
const SECTIONS: Record<string, { name: string; columns: Column[]; verbose?: Column[]; after?: Column[]; afterVerbose?: Column[] }> = {
  t: { name: 'system', columns: [{ section: 'system', name: 'time', kind: 'clock', value: () => 0 }] },
  u: {
    name: 'usage',
    columns: [
      { section: 'usage', name: 'cpu', kind: 'cpu', value: rateOf('juicefs_cpu_usage') },
      { section: 'usage', name: 'mem', kind: 'bytes', value: gauge('juicefs_memory') },
      { section: 'usage', name: 'buf', kind: 'bytes', value: gauge('juicefs_used_buffer_size_bytes') },
    ],
    verbose: [{ section: 'usage', name: 'cache', kind: 'bytes', value: gauge('juicefs_store_cache_size_bytes') }],
  },
  f: {
    name: 'fuse',
    columns: [
      countColumn('fuse', 'ops', 'juicefs_fuse_ops_durations_histogram_seconds'),
      latencyColumn('fuse', 'juicefs_fuse_ops_durations_histogram_seconds'),
      bytesRate('fuse', 'read', 'juicefs_fuse_read_bytes'),
      bytesRate('fuse', 'write', 'juicefs_fuse_written_bytes'),
    ],
  },
  m: {
    name: 'meta',
    columns: [countColumn('meta', 'ops', 'juicefs_meta_ops_durations_histogram_seconds'), latencyColumn('meta', 'juicefs_meta_ops_durations_histogram_seconds')],
    verbose: [
      countColumn('meta', 'txn', 'juicefs_transaction_durations_histogram_seconds'),
      latencyColumn('meta', 'juicefs_transaction_durations_histogram_seconds'),
      { section: 'meta', name: 'retry', kind: 'count', value: rateOf('juicefs_transaction_restart') },
    ],
  },
  c: {
    name: 'blockcache',
    // As JuiceFS: bytes read from the cache (hits) and bytes written into it, per second.
    columns: [bytesRate('blockcache', 'read', 'juicefs_blockcache_hit_bytes'), bytesRate('blockcache', 'write', 'juicefs_blockcache_write_bytes')],
  },
  o: {
    name: 'object',
    // In JuiceFS's order: each request count (verbose) after the bytes of its kind.
    columns: [bytesRate('object', 'get', 'juicefs_object_request_data_bytes_GET')],
    verbose: [
      countColumn('object', 'get_c', 'juicefs_object_request_durations_histogram_seconds_GET'),
      latencyColumn('object', 'juicefs_object_request_durations_histogram_seconds_GET'),
    ],
    after: [bytesRate('object', 'put', 'juicefs_object_request_data_bytes_PUT')],
    afterVerbose: [
      countColumn('object', 'put_c', 'juicefs_object_request_durations_histogram_seconds_PUT'),
      latencyColumn('object', 'juicefs_object_request_durations_histogram_seconds_PUT'),
      countColumn('object', 'del_c', 'juicefs_object_request_durations_histogram_seconds_DELETE'),
      latencyColumn('object', 'juicefs_object_request_durations_histogram_seconds_DELETE'),
    ],
  },
};

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

// ANSI colours as JuiceFS's stats uses them: bold for live values, dark (normal) for the running
// line of a terminal and the section headers.
const { BLACK, RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN, WHITE } = { BLACK: 30, RED: 31, GREEN: 32, YELLOW: 33, BLUE: 34, MAGENTA: 35, CYAN: 36, WHITE: 37 } as const;

/** Paints text with ANSI colours, or leaves it as it is (`colour` false: not a terminal, or --no-color). */
export class StatsPainter {
  constructor(readonly colour: boolean) {}

  paint(text: string, color: number, dark = false, underline = false): string {
    if (!this.colour || text === '' || text === ' ') return text;
    return `${underline ? '\x1b[4m' : ''}\x1b[${dark ? 0 : 1};${color}m${text}\x1b[0m`;
  }
}

const PLAIN = new StatsPainter(false);
/** Every value is five characters wide, as in JuiceFS; the clock takes 14. */
const VALUE_WIDTH = 5;
const width = (c: Column) => (c.kind === 'clock' ? 14 : VALUE_WIDTH);

/** `name` centred in `w` characters with `fill` around it (the extra one on the left), as JuiceFS pads. */
function centred(name: string, w: number, fill: string): string {
  const text = name.slice(0, w);
  const pad = w - text.length;
  const left = Math.floor((pad + 1) / 2);
  return `${fill.repeat(left)}${text}${fill.repeat(pad - left)}`;
}

/**
 * A count or a byte amount in five characters, as JuiceFS prints them: up to 9999 as is (with a
 * B for bytes), then in K, M, G, T or P (powers of 1024), each unit its own colour; 0 in grey.
 */
export function formatAmount(v: number, bytes: boolean, p: StatsPainter = PLAIN, dark = false): string {
  if (!(v > 0)) return p.paint('   0 ', BLACK);
  let n = Math.floor(v);
  const steps: Array<[string, number]> = [['K', YELLOW], ['M', GREEN], ['G', BLUE], ['T', MAGENTA], ['P', CYAN]];
  let unit = bytes ? 'B' : ' ';
  let color: number = RED;
  for (const [u, c] of steps) {
    if (n < 10000) break;
    n = Math.floor(n / 1024);
    unit = u;
    color = c;
  }
  return p.paint(String(n).padStart(4), color, dark) + p.paint(unit, BLACK);
}

/** A latency in ms in five characters: 2 decimals under 10, 1 under 100, none under 10000, then 1e+04. */
export function formatLatency(ms: number, p: StatsPainter = PLAIN, dark = false): string {
  if (!(ms > 0)) return p.paint('   0 ', BLACK);
  if (ms < 10) return p.paint(`${ms.toFixed(2).padStart(4)} `, GREEN, dark);
  if (ms < 100) return p.paint(`${ms.toFixed(1).padStart(4)} `, YELLOW, dark);
  if (ms < 10000) return p.paint(`${ms.toFixed(0).padStart(4)} `, RED, dark);
  const [mantissa, exp] = ms.toExponential(0).split('e') as [string, string];
  return p.paint(`${mantissa}e${exp[0]}${exp.slice(1).padStart(2, '0')}`, MAGENTA, dark);
}

/** CPU use (seconds of CPU per second) as a percentage in five characters. */
export function formatCpu(fraction: number, p: StatsPainter = PLAIN, dark = false): string {
  const v = fraction * 100;
  const [text, color] = !(v > 0) ? [' 0.0', WHITE] : v < 30 ? [v.toFixed(1).padStart(4), GREEN] : v < 100 ? [v.toFixed(1).padStart(4), YELLOW] : [v.toFixed(0).padStart(4), RED];
  return p.paint(text, color, dark) + p.paint('%', BLACK);
}

function formatValue(c: Column, v: number, p: StatsPainter, dark: boolean): string {
  switch (c.kind) {
    case 'clock':
      return p.paint(clock(new Date()), WHITE, dark);
    case 'cpu':
      return formatCpu(v, p, dark);
    case 'ms':
      return formatLatency(v, p, dark);
    default:
      return formatAmount(v, c.kind === 'bytes', p, dark);
  }
}

const sectionsOf = (columns: readonly Column[]) => [...new Set(columns.map((c) => c.section))];

/** The two header lines: section names centred in dashes, then the column names underlined. */
export function statsHeader(columns: readonly Column[] = statsColumns(), p: StatsPainter = PLAIN): string {
  const sections: string[] = [];
  const names: string[] = [];
  for (const sec of sectionsOf(columns)) {
    const cols = columns.filter((c) => c.section === sec);
    const w = cols.reduce((n, c) => n + width(c) + 1, 0) - 1;
    sections.push(p.paint(centred(sec, w, '-'), BLUE, true));
    names.push(cols.map((c) => p.paint(centred(c.name, width(c), ' '), BLUE, false, true)).join(' '));
  }
  return `${sections.join(' ')}\n${names.join(p.paint('|', BLUE, true))}\n`;
}

/**
 * One line of values between two samples `secs` apart, without its line end. `dark`: the running
 * line a terminal shows between two full lines (totals so far, in normal instead of bold colours).
 */
export function statsLine(cur: StatsSample, prev: StatsSample, secs: number, columns: readonly Column[] = statsColumns(), p: StatsPainter = PLAIN, dark = false): string {
  const parts: string[] = [];
  for (const sec of sectionsOf(columns)) {
    parts.push(columns.filter((c) => c.section === sec).map((c) => formatValue(c, c.value(cur, prev, secs), p, dark)).join(' '));
  }
  return parts.join(p.paint('|', BLUE, true));
}

/** Full lines between two headers, as in JuiceFS. */
const LINES_PER_HEADER = 30;

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
        .option('count', { alias: 'c', type: 'number', describe: 'stop after this many lines (default: run until interrupted)' })
        .option('nocolor', { type: 'boolean', describe: 'no colours (they are used only on a terminal; same as --no-color)' }),
    async (a) => {
      const columns = statsColumns(a.schema, a.verbosity, (m) => log.warn(m));
      const file = statsFile(String(a.MOUNTPOINT));
      const interval = a.interval > 0 ? a.interval : 1;
      const terminal = process.stdout.isTTY === true;
      const noColor = a.nocolor === true || a['no-color'] === true || (a as { color?: unknown }).color === false;
      const painter = new StatsPainter(terminal && !noColor);
      const read = () => parseStats(readFileSync(file, 'utf8'));
      // On a terminal, as JuiceFS does, a running line of totals so far is redrawn every second
      // until the interval's full line replaces it.
      const tick = terminal && interval >= 1 ? 1 : interval;
      const ticksPerLine = Math.max(1, Math.round(interval / tick));
      let start = read();
      let startAt = Date.now();
      for (let lines = 0; a.count === undefined || lines < a.count; ) {
        if (lines % LINES_PER_HEADER === 0) process.stdout.write(statsHeader(columns, painter));
        for (let t = 1; t <= ticksPerLine; t++) {
          await new Promise((r) => setTimeout(r, tick * 1000));
          const cur = read();
          if (t < ticksPerLine) {
            process.stdout.write(`${statsLine(cur, start, 1, columns, painter, true)}\r`);
            continue;
          }
          const now = Date.now();
          process.stdout.write(`${statsLine(cur, start, Math.max(0.001, (now - startAt) / 1000), columns, painter)}\n`);
          start = cur;
          startAt = now;
        }
        lines++;
      }
    },
  );
}
