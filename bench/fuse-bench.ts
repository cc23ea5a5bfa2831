import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from './mounts.js';
import { bindfs, juicefsMountMissing, juicefsSqlite, passthroughLl, rawDisk, type Target } from './targets.js';
import { probeCreateMicros } from './create-probe.js';
import { mountScratchExt4, type Scratch } from './scratch.js';
import { runWorkload, type WorkloadResult } from './workload.js';

// The whole-system FUSE benchmark: the `juicefs bench` workload against the raw disk,
// passthrough_ll, bindfs and our juicefs mount, in one invocation, printed as one table with each
// figure's ratio to passthrough_ll. A benchmark, not a test: run it with `pnpm bench:fuse`.
//
//   pnpm bench:fuse [--big-file-size 1024] [--block-size 1] [--small-file-size 128]
//                   [--small-file-count 100] [--threads 1,4] [--targets raw,passthrough_ll,bindfs,juicefs]
//                   [--work-dir DIR] [--scratch-size GiB] [--skip-drop-caches]
// Sizes are MiB for the big file and block, KiB for small files, as juicefs bench takes them.

interface Args {
  bigMiB: number;
  blockMiB: number;
  smallKiB: number;
  smallCount: number;
  threads: number[];
  targets: string[];
  /** Where the targets keep their files; undefined: a scratch ext4 of the bench's own. */
  workDir: string | undefined;
  scratchGiB: number;
  dropCaches: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, def: number): number => {
    const v = get(flag);
    const n = v === undefined ? def : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${v}`);
    return n;
  };
  const bigMiB = num('--big-file-size', 1024);
  const threads = (get('--threads') ?? '1,4').split(',').map(Number);
  // Room for the biggest round twice over (a juicefs bucket and its disk cache), and some more.
  const scratchGiB = Math.ceil((bigMiB * Math.max(...threads) * 2) / 1024) + 4;
  return {
    bigMiB,
    blockMiB: num('--block-size', 1),
    smallKiB: num('--small-file-size', 128),
    smallCount: num('--small-file-count', 100),
    threads,
    targets: (get('--targets') ?? 'raw,passthrough_ll,bindfs,juicefs').split(','),
    workDir: get('--work-dir'),
    scratchGiB: num('--scratch-size', scratchGiB),
    dropCaches: !argv.includes('--skip-drop-caches') && process.env['SKIP_DROP_CACHES'] !== 'true',
  };
}

const TARGETS: Record<string, Target> = { raw: rawDisk, passthrough_ll: passthroughLl, bindfs, juicefs: juicefsSqlite };

/** sync, then drop the page cache as juicefs bench does; reports once if it cannot. */
function cacheDropper(enabled: boolean): () => Promise<void> {
  let warned = false;
  return async () => {
    if (!enabled) return;
    await run('sync', []);
    try {
      await fs.writeFile('/proc/sys/vm/drop_caches', '3');
    } catch (e) {
      if (!warned) process.stderr.write(`cannot drop caches (${(e as Error).message}); figures include cache hits\n`);
      warned = true;
    }
  };
}

const COLUMNS: { key: keyof WorkloadResult; title: string; unit: string }[] = [
  { key: 'bigWriteMiBps', title: 'big write', unit: 'MiB/s' },
  { key: 'bigReadMiBps', title: 'big read', unit: 'MiB/s' },
  { key: 'smallWriteFilesPerSec', title: 'small write', unit: 'files/s' },
  { key: 'smallReadFilesPerSec', title: 'small read', unit: 'files/s' },
  { key: 'statFilesPerSec', title: 'stat', unit: 'files/s' },
];

type Row = { target: string; threads: number; result: WorkloadResult | string; createMicros?: number };

function printTable(rows: Row[]): void {
  const header = ['target', 'threads', ...COLUMNS.map((c) => `${c.title} (${c.unit})`), 'create (µs)'];
  const lines: string[][] = [header];
  for (const row of rows) {
    const base = rows.find((r) => r.target === passthroughLl.name && r.threads === row.threads)?.result;
    if (typeof row.result === 'string') {
      lines.push([row.target, String(row.threads), `skipped: ${row.result}`]);
      continue;
    }
    const res = row.result;
    const cells = COLUMNS.map((c) => {
      const v = res[c.key];
      const ratio = typeof base === 'object' ? ` (${(v / base[c.key]).toFixed(2)}x)` : '';
      return `${v.toFixed(1)}${ratio}`;
    });
    lines.push([row.target, String(row.threads), ...cells, row.createMicros?.toFixed(0) ?? '-']);
  }
  const widths = header.map((_, i) => Math.max(...lines.filter((l) => l.length === header.length).map((l) => (l[i] ?? '').length)));
  for (const l of lines) {
    const text = l.length === 3 ? `${l[0]?.padEnd(widths[0] ?? 0)} | ${l[1]?.padEnd(widths[1] ?? 0)} | ${l[2]}` : l.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
    process.stdout.write(`${text}\n`);
  }
  process.stdout.write('(ratios are against passthrough_ll with the same thread count; create: µs a file creation took in the work dir just before the round)\n');
}

/** The directory the targets share: `--work-dir`, else a scratch ext4 when root may mount one. */
async function workRoot(a: Args): Promise<{ dir: string; scratch?: Scratch }> {
  if (a.workDir !== undefined) return { dir: a.workDir };
  if (process.getuid?.() !== 0) {
    process.stderr.write(`not root: no scratch ext4, the targets share ${os.tmpdir()} (see --work-dir)\n`);
    return { dir: os.tmpdir() };
  }
  const scratch = await mountScratchExt4(os.tmpdir(), a.scratchGiB);
  process.stderr.write(`scratch ext4 of ${a.scratchGiB} GiB (sparse) at ${scratch.dir}\n`);
  return { dir: scratch.dir, scratch };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  // Built before any target runs: the build writes thousands of files, which would slow the
  // host disk for the target right after it.
  const juicefsMissing = a.targets.includes('juicefs') ? await juicefsMountMissing() : undefined;
  const root = await workRoot(a);
  const work = await fs.mkdtemp(path.join(root.dir, 'jfs-fuse-bench-'));
  const dropCaches = cacheDropper(a.dropCaches);
  const rows: Row[] = [];
  process.stderr.write(`work dir ${work}; big file ${a.bigMiB} MiB in ${a.blockMiB} MiB blocks; ${a.smallCount} x ${a.smallKiB} KiB small files per thread\n`);
  try {
    for (const key of a.targets) {
      const target = TARGETS[key];
      if (target === undefined) throw new Error(`unknown target ${key}; choose from ${Object.keys(TARGETS).join(', ')}`);
      const missing = target === juicefsSqlite ? juicefsMissing : undefined;
      let started: { dir: string; stop: () => Promise<void> } | undefined;
      try {
        if (missing !== undefined) throw new Error(missing);
        started = await target.start(work);
        for (const threads of a.threads) {
          process.stderr.write(`${target.name}, ${threads} thread(s)...\n`);
          const createMicros = probeCreateMicros(work);
          process.stderr.write(`  creates in the work dir: ${createMicros.toFixed(0)} µs each\n`);
          const result = await runWorkload(started.dir, {
            blockSize: a.blockMiB * 1024 * 1024,
            bigFileSize: a.bigMiB * 1024 * 1024,
            smallFileSize: a.smallKiB * 1024,
            smallFileCount: a.smallCount,
            threads,
            dropCaches,
          });
          rows.push({ target: target.name, threads, result, createMicros });
        }
      } catch (e) {
        process.stderr.write(`${target.name}: ${(e as Error).message}\n`);
        for (const threads of a.threads) {
          if (!rows.some((r) => r.target === target.name && r.threads === threads)) rows.push({ target: target.name, threads, result: (e as Error).message.split('\n')[0] ?? 'failed' });
        }
      } finally {
        await started?.stop();
      }
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
    await root.scratch?.remove();
  }
  printTable(rows);
}

main().catch((e: unknown) => {
  process.stderr.write(`fuse-bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
