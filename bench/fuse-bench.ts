import fs from 'node:fs/promises';
import path from 'node:path';
import { readFlags } from './flags.js';
import { run } from './mounts.js';
import { bindfs, juicefsMountMissing, juicefsSqlite, passthroughLl, rawDisk, type Target } from './targets.js';
import { probeCreateMicros } from './create-probe.js';
import { workRoot } from './scratch.js';
import { runWorkload, type WorkloadResult } from './workload.js';
import { AIM_RATIO, belowAim, summarise, tableLines, type Column, type RoundRow } from './summary.js';

// The whole-system FUSE benchmark: the `juicefs bench` workload against the raw disk,
// passthrough_ll, bindfs and our juicefs mount, in one invocation, printed as one table with each
// figure's ratio to passthrough_ll. A benchmark, not a test: run it with `pnpm bench:fuse`.
//
//   pnpm bench:fuse [--big-file-size 1024] [--block-size 1] [--small-file-size 128]
//                   [--small-file-count 100] [--threads 1,4] [--targets raw,passthrough_ll,bindfs,juicefs]
//                   [--work-dir DIR] [--scratch-size GiB] [--skip-drop-caches] [--rounds 1]
// Sizes are MiB for the big file and block, KiB for small files, as juicefs bench takes them.
// With --rounds N every target runs N times, in turn (the order reversed every other round), and
// the table shows medians, the median ratio of the rounds and the spread (bench/summary.ts).

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
  rounds: number;
}

function parseArgs(argv: readonly string[]): Args {
  const { get, num, has } = readFlags(argv);
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
    dropCaches: !has('--skip-drop-caches') && process.env['SKIP_DROP_CACHES'] !== 'true',
    rounds: num('--rounds', 1, true),
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

const COLUMNS: (Column & { key: keyof WorkloadResult })[] = [
  { key: 'bigWriteMiBps', title: 'big write', unit: 'MiB/s' },
  { key: 'bigReadMiBps', title: 'big read', unit: 'MiB/s' },
  { key: 'smallWriteFilesPerSec', title: 'small write', unit: 'files/s' },
  { key: 'smallReadFilesPerSec', title: 'small read', unit: 'files/s' },
  { key: 'statFilesPerSec', title: 'stat', unit: 'files/s' },
];

function printTable(rows: RoundRow[], rounds: number): void {
  const summary = summarise(rows, COLUMNS, passthroughLl.name);
  for (const line of tableLines(summary, COLUMNS, rounds)) process.stdout.write(`${line}\n`);
  const perRound = rounds > 1 ? `medians of ${rounds} rounds, each ratio the median of the rounds' own, then the lowest-highest; ` : '';
  process.stdout.write(`(${perRound}ratios are against passthrough_ll with the same thread count; create: µs a file creation took in the work dir just before the round)\n`);
  if (!summary.some((r) => r.target === passthroughLl.name && r.cells !== undefined)) return;
  const low = belowAim(summary, COLUMNS).filter((l) => !l.startsWith(`${passthroughLl.name} `));
  process.stdout.write(low.length === 0 ? `every figure at least ${AIM_RATIO}x passthrough_ll's\n` : `below ${AIM_RATIO}x passthrough_ll: ${low.join('; ')}\n`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  // Built before any target runs: the build writes thousands of files, which would slow the
  // host disk for the target right after it.
  const juicefsMissing = a.targets.includes('juicefs') ? await juicefsMountMissing() : undefined;
  const root = await workRoot(a.workDir, a.scratchGiB);
  const work = await fs.mkdtemp(path.join(root.dir, 'jfs-fuse-bench-'));
  const dropCaches = cacheDropper(a.dropCaches);
  const rows: RoundRow[] = [];
  process.stderr.write(`work dir ${work}; big file ${a.bigMiB} MiB in ${a.blockMiB} MiB blocks; ${a.smallCount} x ${a.smallKiB} KiB small files per thread\n`);
  const runTarget = async (target: Target, round: number): Promise<void> => {
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
        rows.push({ target: target.name, threads, round, result: { ...result }, createMicros });
      }
    } catch (e) {
      process.stderr.write(`${target.name}: ${(e as Error).message}\n`);
      for (const threads of a.threads) {
        if (!rows.some((r) => r.target === target.name && r.threads === threads && r.round === round)) {
          rows.push({ target: target.name, threads, round, result: (e as Error).message.split('\n')[0] ?? 'failed' });
        }
      }
    } finally {
      await started?.stop();
    }
  };
  try {
    for (const key of a.targets) if (TARGETS[key] === undefined) throw new Error(`unknown target ${key}; choose from ${Object.keys(TARGETS).join(', ')}`);
    for (let round = 1; round <= a.rounds; round++) {
      // Every other round in reverse, so a machine that slows down or speeds up over the run
      // does not always favour the same target.
      const order = round % 2 === 1 ? a.targets : [...a.targets].reverse();
      if (a.rounds > 1) process.stderr.write(`round ${round} of ${a.rounds}: ${order.join(', ')}\n`);
      for (const key of order) await runTarget(TARGETS[key]!, round);
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
    await root.scratch?.remove();
  }
  printTable(rows, a.rounds);
}

main().catch((e: unknown) => {
  process.stderr.write(`fuse-bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
