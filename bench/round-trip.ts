import fs from 'node:fs/promises';
import path from 'node:path';
import { readFlags } from './flags.js';
import { alignColumns } from './summary.js';
import { run, serve } from './mounts.js';
import { workRoot } from './scratch.js';
import { juicefsMountMissing, juicefsSqlite, passthroughLl, rawDisk, type Target } from './targets.js';

// Single system calls through FUSE, timed one kind at a time: what one request's round trip
// costs through passthrough_ll, through `@juicefs/fuse` with an in-memory handler (our session
// with next to no work behind it) and through our juicefs mount, with the directory itself as
// the floor. Where `pnpm bench:fuse` says how far a workload is from the aim, this says whether
// the gap is the FUSE round trip or the handlers' work.
//
//   pnpm bench:round-trip [--targets raw,passthrough_ll,memory,juicefs] [--calls 3000]
//                         [--small-files 600] [--same-cpu] [--work-dir DIR]
//
// --same-cpu pins the bench, and so every server and client it starts, to CPU 0: on these 2-vCPU
// VMs the scheduler often puts client and server on different CPUs, and waking an idle vCPU
// costs tens of µs (bench/README.md).

const here = __dirname;

/** The loops of round-trip-client.py, with the requests each call makes. */
const LOOPS: { key: string; title: string; requests: string }[] = [
  { key: 'stat_missing', title: 'stat of a missing name', requests: 'LOOKUP' },
  { key: 'open_close', title: 'open + close', requests: 'OPEN, FLUSH, RELEASE' },
  { key: 'pwrite_4k', title: 'pwrite 4 KiB', requests: 'WRITE' },
  { key: 'small_file', title: 'create + 128 KiB write + close', requests: 'LOOKUP, CREATE, WRITE, FLUSH, RELEASE' },
  { key: 'read_small', title: 'open + 128 KiB read + close, warm', requests: 'OPEN, READ unless cached, FLUSH, RELEASE' },
  { key: 'unpack_tree', title: 'a tree unpacked as tar does, a file', requests: 'LOOKUP, CREATE, WRITE, SETATTR x3, FLUSH, RELEASE' },
];

const memory: Target = {
  name: '@juicefs/fuse + in-memory handler',
  async start(work) {
    const mp = path.join(work, 'memory-mnt');
    await fs.mkdir(mp, { recursive: true });
    const m = await serve('memory server', process.execPath, [path.join(here, 'run-ts.cjs'), path.join(here, 'memory-server.ts'), mp], mp);
    return { dir: mp, stop: () => m.stop() };
  },
};

const TARGETS: Record<string, Target> = { raw: rawDisk, passthrough_ll: passthroughLl, memory, juicefs: juicefsSqlite };

interface Args {
  targets: string[];
  calls: number;
  smallFiles: number;
  sameCpu: boolean;
  workDir: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const { get, num, has } = readFlags(argv);
  const targets = (get('--targets') ?? 'raw,passthrough_ll,memory,juicefs').split(',');
  for (const t of targets) if (TARGETS[t] === undefined) throw new Error(`unknown target ${t}; choose from ${Object.keys(TARGETS).join(', ')}`);
  return { targets, calls: num('--calls', 3000, true), smallFiles: num('--small-files', 600, true), sameCpu: has('--same-cpu'), workDir: get('--work-dir') };
}

type Micros = Record<string, number>;

async function measure(dir: string, a: Args): Promise<Micros> {
  const r = await run('python3', [path.join(here, 'round-trip-client.py'), dir, String(a.calls), String(a.smallFiles)]);
  if (r.code !== 0) throw new Error(`round-trip-client.py exited ${r.code}: ${r.stderr.trim().slice(-1000)}`);
  return JSON.parse(r.stdout) as Micros;
}

function printTable(results: { name: string; micros: Micros | string }[]): void {
  const base = results.find((r) => r.name === passthroughLl.name)?.micros;
  const header = ['call (requests)', ...results.map((r) => `${r.name} (µs)`)];
  const lines: string[][] = [header];
  for (const loop of LOOPS) {
    const cells = results.map((r) => {
      if (typeof r.micros === 'string') return 'skipped';
      const v = r.micros[loop.key]!;
      const ratio = typeof base === 'object' && r.name !== passthroughLl.name ? ` (${(v / base[loop.key]!).toFixed(2)}x)` : '';
      return `${v.toFixed(1)}${ratio}`;
    });
    lines.push([`${loop.title} (${loop.requests})`, ...cells]);
  }
  for (const line of alignColumns(lines)) process.stdout.write(`${line}\n`);
  process.stdout.write('(mean µs a call; in brackets the time against passthrough_ll\'s, lower is better)\n');
  for (const r of results) if (typeof r.micros === 'string') process.stdout.write(`${r.name} skipped: ${r.micros}\n`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.sameCpu) {
    // Children inherit the affinity of the thread that starts them: Node's main thread.
    const pinned = await run('taskset', ['-p', '-c', '0', String(process.pid)]);
    if (pinned.code !== 0) throw new Error(`taskset failed: ${pinned.stderr.trim()}`);
  }
  const juicefsMissing = a.targets.includes('juicefs') ? await juicefsMountMissing() : undefined;
  if (a.workDir === undefined && process.getuid?.() !== 0) throw new Error('needs root (FUSE mounts, the scratch ext4), or --work-dir on a file system of your choice');
  const root = await workRoot(a.workDir, 4);
  const work = await fs.mkdtemp(path.join(root.dir, 'jfs-round-trip-'));
  process.stderr.write(`work dir ${work}; ${a.calls} calls a loop, ${a.smallFiles} small files${a.sameCpu ? '; everything on CPU 0' : ''}\n`);
  const results: { name: string; micros: Micros | string }[] = [];
  try {
    for (const key of a.targets) {
      const target = TARGETS[key]!;
      process.stderr.write(`${target.name}...\n`);
      let started: { dir: string; stop: () => Promise<void> } | undefined;
      try {
        if (target === juicefsSqlite && juicefsMissing !== undefined) throw new Error(juicefsMissing);
        started = await target.start(work);
        const dir = await fs.mkdtemp(path.join(started.dir, 'loops-'));
        results.push({ name: target.name, micros: await measure(dir, a) });
        await fs.rm(dir, { recursive: true, force: true });
      } catch (e) {
        results.push({ name: target.name, micros: (e as Error).message.split('\n')[0] ?? 'failed' });
      } finally {
        await started?.stop();
      }
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
    await root.scratch?.remove();
  }
  printTable(results);
}

main().catch((e: unknown) => {
  process.stderr.write(`round-trip: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
