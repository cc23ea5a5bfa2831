import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { run, runOk, serve } from './mounts.js';

// The directories the benchmark compares: the raw disk, libfuse's low-level passthrough example,
// bindfs (a path-based FUSE file system), and our juicefs mount over SQLite + a local directory.

export interface Target {
  name: string;
  /** Prepare the target; returns the directory to benchmark and how to take it down. */
  start(work: string): Promise<{ dir: string; stop: () => Promise<void> }>;
}

const EXAMPLES = '/usr/share/doc/libfuse3-dev/examples';
const repoRoot = path.resolve(__dirname, '..');

async function mkdirs(...dirs: string[]): Promise<void> {
  for (const d of dirs) await fs.mkdir(d, { recursive: true });
}

export const rawDisk: Target = {
  name: 'raw disk',
  async start(work) {
    const dir = path.join(work, 'raw');
    await mkdirs(dir);
    return { dir, stop: async () => {} };
  },
};

/** Compile passthrough_ll from the libfuse3-dev examples into `work` (never into the repo). */
async function buildPassthroughLl(work: string): Promise<string> {
  const src = path.join(EXAMPLES, 'passthrough_ll.c');
  await fs.access(src).catch(() => {
    throw new Error(`${src} is missing: apt-get install libfuse3-dev (it ships the examples)`);
  });
  const out = path.join(work, 'passthrough_ll');
  const flags = (await runOk('pkg-config', ['fuse3', '--cflags', '--libs'])).trim().split(/\s+/);
  await runOk('gcc', ['-Wall', '-O2', `-I${EXAMPLES}`, src, ...flags, '-o', out]);
  return out;
}

export const passthroughLl: Target = {
  name: 'passthrough_ll',
  async start(work) {
    const bin = await buildPassthroughLl(work);
    const source = path.join(work, 'pt-src');
    const mp = path.join(work, 'pt-mnt');
    await mkdirs(source, mp);
    const m = await serve('passthrough_ll', bin, ['-f', '-o', `source=${source}`, mp], mp);
    return { dir: mp, stop: () => m.stop() };
  },
};

async function ensureBindfs(): Promise<string> {
  const which = await run('which', ['bindfs']);
  if (which.code === 0) return which.stdout.trim();
  process.stderr.write('bindfs is not installed; installing it with apt-get...\n');
  const inst = await run('sh', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q bindfs || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q bindfs)']);
  if (inst.code !== 0) throw new Error(`apt-get install bindfs failed: ${inst.stderr.trim().slice(-500)}`);
  return (await runOk('which', ['bindfs'])).trim();
}

export const bindfs: Target = {
  name: 'bindfs',
  async start(work) {
    const bin = await ensureBindfs();
    const source = path.join(work, 'bind-src');
    const mp = path.join(work, 'bind-mnt');
    await mkdirs(source, mp);
    const m = await serve('bindfs', bin, ['-f', source, mp], mp);
    return { dir: mp, stop: () => m.stop() };
  },
};

/**
 * The built juicefs CLI (packages/cli/dist), as a command line: what `npm i -g @juicefs/cli`
 * installs. The TypeScript sources run through SWC's CommonJS output, whose re-exports are
 * property getters on every use, so they measure slower than the product.
 */
const CLI = path.join(repoRoot, 'packages/cli/dist/bin/juicefs.js');
function juicefsArgs(...args: string[]): [string, string[]] {
  return [process.execPath, [...cliNodeFlags(), CLI, ...args]];
}

/** The node flags of the CLI's shebang (#!/usr/bin/env -S node <flags>): part of the command. */
function cliNodeFlags(): string[] {
  const first = readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? m[1]!.split(' ').filter((f) => f !== '') : [];
}

/**
 * The mount runs with the environment a user's would have: the bench's own larger libuv pool
 * (run-ts.cjs) is for its client threads, not for the file system under test.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['UV_THREADPOOL_SIZE'];
  return env;
}

/**
 * Builds the tree (so the figures are for this tree's sources) and checks that its CLI has
 * `juicefs mount`; the reason when it cannot be benchmarked.
 */
export async function juicefsMountMissing(): Promise<string | undefined> {
  const built = await run('bash', [path.join(repoRoot, 'scripts/build.sh'), 'build'], 600_000);
  if (built.code !== 0) return `bash scripts/build.sh build failed (exit ${built.code}): ${(built.stdout + built.stderr).trim().slice(-2000)}`;
  // `juicefs mount --help` exits 0 even without the command (yargs prints the general help), so
  // look for the command in the general help instead.
  const [file, args] = juicefsArgs('--help');
  const r = await run(file, args, 60_000);
  if (r.code !== 0) return `juicefs --help failed (exit ${r.code}): ${r.stderr.trim()}`;
  return /juicefs mount\b/.test(r.stdout) ? undefined : 'juicefs mount is not in this tree yet (juicefs --help does not list it)';
}

export const juicefsSqlite: Target = {
  name: 'juicefs (sqlite+local)',
  async start(work) {
    // A volume of its own each time (with --rounds a target starts once a round), removed at
    // stop: deleted files' objects may still be in the bucket then, and the scratch disk is
    // sized for one round.
    const base = await fs.mkdtemp(path.join(work, 'jfs-'));
    const mp = path.join(base, 'mnt');
    await mkdirs(mp);
    const meta = `sqlite3://${base}/meta.db`;
    const [file, fmt] = juicefsArgs('format', meta, 'bench', '--bucket', path.join(base, 'bucket'), '--trash-days', '0');
    await runOk(file, fmt);
    const extra = (process.env['BENCH_MOUNT_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const [, mountArgs] = juicefsArgs('mount', meta, mp, '--cache-dir', path.join(base, 'cache'), ...extra);
    // BENCH_MOUNT_ARGS: more `juicefs mount` flags, e.g. "--cache-size 0" to compare settings.
    // BENCH_MOUNT_NODE_FLAGS: node flags for the mount alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
    // to profile the file system under the workload (NODE_OPTIONS refuses --cpu-prof).
    mountArgs.unshift(...(process.env['BENCH_MOUNT_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== ''));
    const m = await serve('juicefs mount', file, mountArgs, mp, userEnv());
    return {
      dir: mp,
      stop: async () => {
        await m.stop();
        await fs.rm(base, { recursive: true, force: true });
      },
    };
  },
};
