import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from './helpers.js';
import { posixSuite } from './suite.js';

// Format a volume with the real juicefs CLI and serve it with `juicefs mount` in a child process
// (so the mount never shares a thread with jest), then take it down whatever happened.

const repoRoot = path.resolve(__dirname, '../..');
/** The CLI's own runner of its TypeScript entry (SWC on the fly, no build needed). */
const CLI = path.join(repoRoot, 'packages/cli/test/support/juicefs-from-source.cjs');

export function juicefs(args: readonly string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], repoRoot, timeoutMs);
}

/**
 * Why `juicefs mount` cannot be used from this tree yet, or undefined when it can. Synchronous so
 * a test file can decide what to register; it runs before any mount exists.
 */
export function juicefsMountMissing(): string | undefined {
  const r = spawnSync(process.execPath, [CLI, '--help'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return `juicefs --help failed (exit ${r.status}): ${r.stderr.trim().split('\n')[0] ?? ''}`;
  return /juicefs mount\b/.test(r.stdout) ? undefined : 'juicefs mount is not implemented yet (juicefs --help does not list it)';
}

async function isMountPoint(dir: string): Promise<boolean> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => line.split(' ')[4] === dir);
}

export interface JuicefsMount {
  mountpoint: string;
  /** The mountinfo line for the mount, to check its type and source. */
  mountinfo: string;
  /** Unmount (juicefs umount, then umount -l) and make sure the server process is gone. */
  stop(): Promise<void>;
}

/** Run `juicefs mount META MP` in the foreground as a child and wait until MP is mounted. */
export async function startMount(metaUrl: string, mountpoint: string, extraArgs: readonly string[] = []): Promise<JuicefsMount> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'mount', metaUrl, mountpoint, ...extraArgs], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (await isMountPoint(mountpoint)) {
      const r = await juicefs(['umount', mountpoint], 60_000);
      if (r.code !== 0 && (await isMountPoint(mountpoint))) await run('umount', ['-l', mountpoint]);
    }
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  for (let waited = 0; !(await isMountPoint(mountpoint)); waited += 100) {
    if (exitCode !== undefined) throw new Error(`juicefs mount ${metaUrl} ${mountpoint} exited (${exitCode}) before mounting:\n${output}`);
    if (waited > 90_000) {
      await stop();
      throw new Error(`juicefs mount ${metaUrl} ${mountpoint} did not mount within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return { mountpoint, mountinfo: info.split('\n').find((l) => l.split(' ')[4] === mountpoint) ?? '', stop };
}

async function redisCli(baseUrl: string, db: number, args: readonly string[]): Promise<string> {
  const u = new URL(baseUrl);
  const r = await run('redis-cli', ['-h', u.hostname, '-p', u.port || '6379', '-n', String(db), ...args]);
  if (r.code !== 0 || /^(ERR|Could not connect)/m.test(r.stdout + r.stderr)) {
    throw new Error(`Redis is not reachable at ${baseUrl} (${(r.stderr || r.stdout).trim()}): run bash scripts/services/redis.sh`);
  }
  return r.stdout.trim();
}

/** Database 55 holds the claims on the databases below, so claiming never touches a volume. */
const CLAIMS_DB = 55;

/**
 * Claim one of `dbs` for this process (a key in CLAIMS_DB set only if absent, expiring in 15
 * minutes), so two test runs at once never share a volume; empty it and return its number.
 */
export async function claimRedisDb(baseUrl: string, dbs: readonly number[]): Promise<number> {
  for (const db of dbs) {
    const ok = await redisCli(baseUrl, CLAIMS_DB, ['SET', `jfs-posix-claim:${db}`, String(process.pid), 'NX', 'EX', '900']);
    if (ok !== 'OK') continue;
    await redisCli(baseUrl, db, ['FLUSHDB']);
    return db;
  }
  throw new Error(`Redis databases ${dbs.join(', ')} are all claimed by other test runs; wait for them or FLUSHDB database ${CLAIMS_DB}`);
}

/** Empty a claimed database and give the claim back. */
export async function releaseRedisDb(baseUrl: string, db: number): Promise<void> {
  await redisCli(baseUrl, db, ['FLUSHDB']);
  await redisCli(baseUrl, CLAIMS_DB, ['DEL', `jfs-posix-claim:${db}`]);
}

/** `juicefs format META NAME --bucket <dir>/bucket --trash-days 0`, failing with the CLI's stderr. */
export async function formatVolume(metaUrl: string, name: string, dir: string): Promise<void> {
  const f = await juicefs(['format', metaUrl, name, '--bucket', path.join(dir, 'bucket'), '--trash-days', '0']);
  if (f.code !== 0) throw new Error(`juicefs format failed (exit ${f.code}): ${f.stderr}`);
}

/** Where a mounted POSIX suite keeps its metadata: a URL for the run, and what to undo after. */
export interface SuiteEngine {
  /** Label in test names, e.g. "SQLite". */
  label: string;
  /** Short name for the temp dir and volume, e.g. "sqlite". */
  tag: string;
  /** The META-URL to format, given the run's temp dir (claim a database, make a schema…). */
  metaUrl(dir: string): Promise<string>;
  /** Undo what metaUrl set up; runs even when the mount failed. */
  cleanup?(): Promise<void>;
}

/**
 * The POSIX suite on a real juicefs mount of a `<engine> + local directory` volume formatted and
 * mounted with the CLI: whatever fails there but passes in tmpdir.test.ts is a bug in the mount.
 * Skipped, with the reason, only where this tree's CLI has no `mount`.
 */
export function mountedPosixSuite(engine: SuiteEngine): void {
  const name = `juicefs mount (${engine.label} + local directory)`;
  const missing = juicefsMountMissing();
  if (missing !== undefined) {
    test.skip(`${name} NOT RUN: ${missing}`, () => undefined);
    return;
  }
  let tmp = '';
  let mp = '';
  let m: JuicefsMount | undefined;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), `jfs-posix-${engine.tag}-`));
    // Searchable by others: the permission cases enter the mount as an unprivileged user.
    await fs.chmod(tmp, 0o755);
    mp = path.join(tmp, 'mnt');
    await fs.mkdir(mp);
    const meta = await engine.metaUrl(tmp);
    await formatVolume(meta, `posix-${engine.tag}`, tmp);
    // A cache of its own: the default /var/jfsCache would be shared with other mounts.
    m = await startMount(meta, mp, ['--cache-dir', path.join(tmp, 'cache'), '--enable-xattr']);
  }, 120_000);

  afterAll(async () => {
    await m?.stop();
    if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
    await engine.cleanup?.();
  }, 120_000);

  test('the volume is mounted as fuse.juicefs', () => {
    expect(m?.mountinfo).toMatch(/ - fuse\.juicefs /);
  });

  posixSuite(name, () => mp);
}
