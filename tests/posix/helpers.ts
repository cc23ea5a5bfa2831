import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';

// Small tools the POSIX suite shares. Everything is asynchronous: when a mount is served by this
// same process (an in-process FUSE server), a synchronous call would block the thread that has to
// answer the kernel, and the test would hang.

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program with arguments (no shell), asynchronously; never throws on a non-zero exit. */
export function run(file: string, args: readonly string[], cwd?: string, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run a /bin/sh command line in `cwd`. */
export function sh(command: string, cwd?: string, timeoutMs?: number): Promise<RunResult> {
  return run('/bin/sh', ['-c', command], cwd, timeoutMs);
}

/** Run a shell command that must succeed; the error names the command and its stderr. */
export async function shOk(command: string, cwd?: string, timeoutMs?: number): Promise<string> {
  const r = await sh(command, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`\`${command}\` exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Run a python3 script (the way to reach xattrs and locks without a native Node addon) with
 * `args` as sys.argv[1:]; the script prints one JSON document, which is returned parsed.
 */
export async function py<T>(script: string, args: readonly string[], cwd?: string): Promise<T> {
  const r = await run('python3', ['-c', script, ...args], cwd);
  if (r.code !== 0) throw new Error(`python3 failed (exit ${r.code}); is python3 installed? ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

/** The errno code an operation fails with, or 'OK' when it succeeds: the observable result. */
export async function errnoOf(op: () => Promise<unknown>): Promise<string> {
  try {
    await op();
    return 'OK';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    throw e;
  }
}

/** Handles opened through openFile and not yet closed by afterEach. */
const openHandles = new Set<fs.FileHandle>();

/**
 * fs.open that remembers the handle, so a test failing half-way cannot leave a descriptor open
 * on a mount (which would make its unmount busy): closeLeftHandles runs after every test.
 */
export async function openFile(file: string, flags: string, mode?: number): Promise<fs.FileHandle> {
  const h = await fs.open(file, flags, mode);
  openHandles.add(h);
  return h;
}

export async function closeLeftHandles(): Promise<void> {
  const left = [...openHandles];
  openHandles.clear();
  // Closing a handle the test already closed is a no-op.
  await Promise.all(left.map((h) => h.close().catch(() => undefined)));
}

/** Deterministic bytes for a file: the same (seed, offset) always gives the same content. */
export function patternBytes(seed: number, offset: number, length: number): Buffer {
  // Offsets are word-aligned by callers' block sizes; a cheap 32-bit mix per 4-byte word keeps the
  // data incompressible and different in every block.
  const words = Math.ceil(length / 4);
  const b = Buffer.alloc(words * 4);
  const first = Math.floor(offset / 4);
  for (let w = 0; w < words; w++) {
    let x = (Math.imul(first + w, 0x9e3779b1) ^ Math.imul(seed + 1, 0x85ebca6b)) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x2c1b3c6d) >>> 0;
    x ^= x >>> 12;
    b.writeUInt32LE(x >>> 0, w * 4);
  }
  return b.subarray(0, length);
}

/** A fresh, empty directory `name` under `root` (removed first if an earlier run left it). */
export async function freshDir(root: string, name: string): Promise<string> {
  const dir = `${root}/${name}`;
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  return dir;
}
