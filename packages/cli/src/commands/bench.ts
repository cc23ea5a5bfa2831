import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';
import type { Argv } from 'yargs';
import { printJson } from '../output.js';
import { parseSizeFlag } from '../size-flag.js';
import { parseStats, type StatsSample } from './stats.js';

const MiB = 1024 * 1024;

/** One row of the result table: what was measured, its value and its cost per item. */
export interface BenchRow {
  item: string;
  value: string;
  cost: string;
}

/** The JuiceFS mount holding `dir` (an ancestor with inode 1 and a .stats file), if any. */
function mountStatsOf(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    for (const name of ['.stats', '.jfs.stats']) {
      const f = path.join(d, name);
      if (statSync(d, { bigint: true }).ino === 1n && existsSync(f)) return f;
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** Drop the kernel page cache between phases, as juicefs bench does (root only; else skipped). */
function dropCaches(): void {
  if (process.env['SKIP_DROP_CACHES'] === 'true') return;
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch {
    // Not root: reads may come from the page cache, as with SKIP_DROP_CACHES.
  }
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const workers = async (n: number, fn: (t: number) => Promise<void>): Promise<void> => {
  await Promise.all(Array.from({ length: n }, (_, t) => fn(t)));
};

export interface BenchOptions {
  threads: number;
  blockSize: number;
  bigFileSize: number;
  smallFileSize: number;
  smallFileCount: number;
}

/** What a run measured: the table, and on a JuiceFS mount the mount's own usage over the run. */
export interface BenchResult {
  rows: BenchRow[];
  usage?: string;
}

/** Run the juicefs bench workload (BEHAVIOUR.md 3.1) in `dir` and return the table rows. */
export async function runBench(dir: string, o: BenchOptions): Promise<BenchResult> {
  const root = path.join(dir, `__juicefs_benchmark_${process.hrtime.bigint()}__`);
  mkdirSync(root, { recursive: true });
  const statsPath = mountStatsOf(dir);
  const before: StatsSample | undefined = statsPath ? parseStats(readFileSync(statsPath, 'utf8')) : undefined;
  const rows: BenchRow[] = [];
  const n = o.threads;
  const bigBlocks = o.bigFileSize > 0 ? Math.ceil(o.bigFileSize / o.blockSize) : 0;
  try {
    if (bigBlocks > 0) {
      const w = await timed(() =>
        workers(n, async (t) => {
          const buf = randomBytes(o.blockSize);
          const fh = await open(path.join(root, `bigfile.${t}.0`), 'w', 0o644);
          for (let i = 0; i < bigBlocks; i++) await fh.write(buf, 0, buf.length);
          await fh.close();
        }),
      );
      const mib = (bigBlocks * o.blockSize) / MiB;
      rows.push({ item: 'Write big file', value: `${((mib * n) / w).toFixed(2)} MiB/s`, cost: `${w.toFixed(2)} s/file` });
      dropCaches();
      const r = await timed(() =>
        workers(n, async (t) => {
          const buf = Buffer.alloc(o.blockSize);
          const fh = await open(path.join(root, `bigfile.${t}.0`), 'r');
          for (let i = 0; i < bigBlocks; i++) {
            const { bytesRead } = await fh.read(buf, 0, buf.length, null);
            if (bytesRead !== buf.length) throw fsError('EIO', `short read of bigfile.${t}.0 at block ${i}: ${bytesRead} bytes`);
          }
          await fh.close();
        }),
      );
      rows.push({ item: 'Read big file', value: `${((mib * n) / r).toFixed(2)} MiB/s`, cost: `${r.toFixed(2)} s/file` });
    }
    if (o.smallFileCount > 0) {
      const files = o.smallFileCount;
      const small = (t: number, i: number) => path.join(root, `smallfile.${t}.${i}`);
      const w = await timed(() =>
        workers(n, async (t) => {
          const buf = randomBytes(o.smallFileSize);
          for (let i = 0; i < files; i++) {
            const fh = await open(small(t, i), 'w', 0o644);
            await fh.write(buf, 0, buf.length);
            await fh.close();
          }
        }),
      );
      const perSec = (secs: number) => `${((files * n) / secs).toFixed(2)} files/s`;
      const ms = (secs: number) => `${((secs * 1000) / files).toFixed(2)} ms/file`;
      rows.push({ item: 'Write small file', value: perSec(w), cost: ms(w) });
      dropCaches();
      const r = await timed(() =>
        workers(n, async (t) => {
          for (let i = 0; i < files; i++) {
            const data = await readFile(small(t, i));
            if (data.length !== o.smallFileSize) throw fsError('EIO', `short read of smallfile.${t}.${i}: ${data.length} bytes`);
          }
        }),
      );
      rows.push({ item: 'Read small file', value: perSec(r), cost: ms(r) });
      dropCaches();
      const s = await timed(() =>
        workers(n, async (t) => {
          for (let i = 0; i < files; i++) await stat(small(t, i));
        }),
      );
      rows.push({ item: 'Stat file', value: perSec(s), cost: ms(s) });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (statsPath && before) {
    const after = parseStats(readFileSync(statsPath, 'utf8'));
    rows.push(...mountRows(before, after));
    return { rows, usage: usageLine(before, after) };
  }
  return { rows };
}

/** The rows juicefs bench adds on a JuiceFS mount, from the difference of two .stats samples. */
export function mountRows(a: StatsSample, b: StatsSample): BenchRow[] {
  const d = (k: string) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  // As JuiceFS: each row is a histogram's count over the run and its mean latency.
  const hist = (item: string, base: string): BenchRow => {
    const count = d(`${base}_total`);
    const ms = count > 0 ? ((d(`${base}_sum`) / count) * 1000).toFixed(2) : '0.00';
    return { item, value: `${count} operations`, cost: `${ms} ms/op` };
  };
  return [
    hist('FUSE operation', 'juicefs_fuse_ops_durations_histogram_seconds'),
    hist('Update meta', 'juicefs_transaction_durations_histogram_seconds'),
    hist('Put object', 'juicefs_object_request_durations_histogram_seconds_PUT'),
    hist('Get object', 'juicefs_object_request_durations_histogram_seconds_GET'),
    hist('Delete object', 'juicefs_object_request_durations_histogram_seconds_DELETE'),
    hist('Write into cache', 'juicefs_blockcache_write_hist_seconds'),
    hist('Read from cache', 'juicefs_blockcache_read_hist_seconds'),
  ];
}

/** JuiceFS's line under the table: the mount's time, CPU share and memory over the run. */
export function usageLine(a: StatsSample, b: StatsSample): string {
  const d = (k: string) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  const used = d('juicefs_uptime');
  const cpu = used > 0 ? (d('juicefs_cpu_usage') / used) * 100 : 0;
  return `Time used: ${used.toFixed(1)} s, CPU: ${cpu.toFixed(1)}%, Memory: ${((b.get('juicefs_memory') ?? 0) / MiB).toFixed(1)} MiB`;
}

export function renderTable(rows: readonly BenchRow[]): string {
  const head = { item: 'ITEM', value: 'VALUE', cost: 'COST' };
  const w = (k: keyof BenchRow) => Math.max(head[k].length, ...rows.map((r) => r[k].length)) + 2;
  const wi = w('item');
  const wv = w('value');
  const wc = w('cost');
  const line = `+${'-'.repeat(wi)}+${'-'.repeat(wv)}+${'-'.repeat(wc)}+`;
  const row = (r: BenchRow) => `|${r.item.padStart(wi - 1)} |${r.value.padStart(wv - 1)} |${r.cost.padStart(wc - 1)} |`;
  return [line, row(head), line, ...rows.map(row), line].join('\n') + '\n';
}

export function benchCommand(y: Argv): Argv {
  return y.command(
    'bench PATH',
    'Run the juicefs bench workload (big and small files, stat) in PATH and print throughput and latency',
    (c) =>
      c
        .positional('PATH', { type: 'string', demandOption: true, describe: 'a directory, usually in a JuiceFS mount' })
        .option('block-size', { type: 'string', default: '1M', describe: 'size of each I/O call: MiB, or with a unit K, M (e.g. 1M)' })
        .option('big-file-size', { type: 'string', default: '1G', describe: 'size of each big file: MiB, or with a unit M, G (0 skips them)' })
        .option('small-file-size', { type: 'string', default: '128K', describe: 'size of each small file: KiB, or with a unit K, M' })
        .option('small-file-count', { type: 'number', default: 100, describe: 'number of small files per thread' })
        .option('threads', { alias: 'p', type: 'number', default: 1, describe: 'number of concurrent workers' })
        .option('json', { type: 'boolean', default: false, describe: 'print the rows as JSON' }),
    async (a) => {
      const dir = String(a.PATH);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw fsError('ENOTDIR', `${dir} is not a directory: give an existing directory to run the benchmark in`);
      const o: BenchOptions = {
        threads: Math.max(1, Math.floor(a.threads)),
        // As JuiceFS reads them (ParseBytes): bare numbers in MiB, MiB and KiB; `1M`, `1G`, `128K`.
        blockSize: Math.max(1, parseSizeFlag('block-size', a['block-size'], 'M')),
        bigFileSize: parseSizeFlag('big-file-size', a['big-file-size'], 'M'),
        smallFileSize: Math.max(1, parseSizeFlag('small-file-size', a['small-file-size'], 'K')),
        smallFileCount: Math.max(0, Math.floor(a['small-file-count'])),
      };
      const { rows, usage } = await runBench(dir, o);
      if (a.json) {
        printJson(rows);
        return;
      }
      process.stdout.write('Benchmark finished!\n');
      process.stdout.write(
        `BlockSize: ${o.blockSize / MiB} MiB, BigFileSize: ${o.bigFileSize / MiB} MiB, SmallFileSize: ${o.smallFileSize / 1024} KiB, SmallFileCount: ${o.smallFileCount}, NumThreads: ${o.threads}\n`,
      );
      if (usage !== undefined) process.stdout.write(`${usage}\n`);
      process.stdout.write(renderTable(rows));
    },
  );
}
