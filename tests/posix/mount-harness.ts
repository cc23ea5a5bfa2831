import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from './helpers.js';

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

/** Empty Redis database `db` (FLUSHDB) with redis-cli; fails naming the script that starts Redis. */
export async function flushRedisDb(baseUrl: string, db: number): Promise<void> {
  const u = new URL(baseUrl);
  const r = await run('redis-cli', ['-h', u.hostname, '-p', u.port || '6379', '-n', String(db), 'FLUSHDB']);
  if (r.code !== 0 || !r.stdout.includes('OK')) {
    throw new Error(`Redis is not reachable at ${baseUrl} (${(r.stderr || r.stdout).trim()}): run bash scripts/services/redis.sh`);
  }
}
