import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Shared tools of the fault tests: the real juicefs command (TypeScript entry under node), mounts
// started in the background (-d) so each lives in its own process that a test can kill, and
// operations on the mount run in child processes with a deadline, so that a hung FUSE request
// fails the test instead of freezing jest.

export const repoRoot = path.resolve(__dirname, '../..');
const CLI = path.join(repoRoot, 'packages/cli/test/support/juicefs-from-source.cjs');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the deadline passed and the process was killed. */
  timedOut: boolean;
}

/** Run a program (no shell) with a deadline; never throws on a non-zero exit. */
export function run(file: string, args: readonly string[], timeoutMs = 120_000, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: repoRoot, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const timedOut = err !== null && (err as { killed?: boolean }).killed === true;
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr, timedOut });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

export function juicefs(args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], timeoutMs);
}

export function requireRootAndFuse(): void {
  if (process.getuid?.() !== 0 || !fs.existsSync('/dev/fuse')) {
    throw new Error('these tests mount FUSE: run them as root on a machine with /dev/fuse (scripts/setup.sh installs fuse3)');
  }
}

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `jfs-faults-${tag}-`));
}

export function isMounted(mp: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mp);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface BackgroundMount {
  mountpoint: string;
  /**
   * The pid `juicefs mount -d` prints: the supervisor, which holds the connection and runs the
   * worker that serves it (the worker's pid is the session's ProcessID in `juicefs status`). Both
   * are in its process group.
   */
  pid: number;
  log: string;
}

/**
 * `juicefs mount -d META MP` with the log, cache and no metrics port under `dir`; fails with the
 * CLI's stderr and the end of the log when it does not come up.
 */
export async function mountBackground(meta: string, mp: string, dir: string, extra: readonly string[] = []): Promise<BackgroundMount> {
  const tag = path.basename(mp);
  const log = path.join(dir, `${tag}.log`);
  const r = await juicefs(['mount', meta, mp, '-d', '--log', log, '--cache-dir', path.join(dir, `cache-${tag}`), '--metrics', '', ...extra]);
  const pid = /\(pid (\d+)/.exec(r.stderr)?.[1];
  if (r.code !== 0 || pid === undefined || !isMounted(mp)) {
    const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-3000) : '(no log)';
    throw new Error(`juicefs mount -d ${meta} ${mp} failed (exit ${r.code}): ${r.stderr}\nlog:\n${tail}`);
  }
  return { mountpoint: mp, pid: Number(pid), log };
}

/** Take a mount down whatever state it is in: juicefs umount, then umount -l, then kill the server. */
export async function forceDown(m: BackgroundMount | undefined): Promise<void> {
  if (!m) return;
  if (isMounted(m.mountpoint)) {
    const r = await juicefs(['umount', m.mountpoint], 30_000);
    if (r.code !== 0 && isMounted(m.mountpoint)) await run('umount', ['-l', m.mountpoint], 30_000);
  }
  for (let i = 0; i < 50 && alive(m.pid); i++) await sleep(100);
  if (alive(m.pid)) killGroup(m.pid);
}

/** SIGKILL a background mount's supervisor and its worker (the supervisor leads their process group). */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * One file operation in a python3 child, bounded by `timeoutMs`: the observable result is 'OK'
 * (with the data read, for 'read'), an errno name such as 'EIO', or 'TIMEOUT' if the call hung.
 */
export async function fileOp(
  op: 'stat' | 'create' | 'read' | 'write' | 'readdir' | 'mkdir',
  file: string,
  data = '',
  timeoutMs = 30_000,
): Promise<{ result: string; data?: string }> {
  const script = `
import errno, json, os, sys
op, p, data = sys.argv[1], sys.argv[2], sys.argv[3]
out = {"result": "OK"}
try:
    if op == "stat": os.stat(p)
    elif op == "readdir": out["data"] = "\\n".join(sorted(os.listdir(p)))
    elif op == "mkdir": os.mkdir(p)
    elif op == "read":
        with open(p, "rb") as f: out["data"] = f.read().decode("latin-1")
    else:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if op == "create" else os.O_TRUNC)
        fd = os.open(p, flags, 0o644)
        try:
            os.write(fd, data.encode("latin-1")); os.fsync(fd)
        finally:
            os.close(fd)
except OSError as e:
    out = {"result": errno.errorcode.get(e.errno, str(e.errno)), "message": str(e)}
print(json.dumps(out))
`;
  const r = await run('python3', ['-c', script, op, file, data], timeoutMs);
  if (r.timedOut) return { result: 'TIMEOUT' };
  if (r.code !== 0) throw new Error(`python3 ${op} ${file} failed (exit ${r.code}); is python3 installed? ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as { result: string; data?: string };
}

/**
 * A python3 child that takes a lock on `file` and holds it until release(): 'flock' is
 * flock(LOCK_EX), 'posix' is an fcntl F_SETLKW write lock on the whole file.
 */
export async function holdLock(kind: 'flock' | 'posix', file: string): Promise<{ release(): Promise<void> }> {
  const script = `
import fcntl, os, sys
fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o644)
if sys.argv[1] == "flock": fcntl.flock(fd, fcntl.LOCK_EX)
else: fcntl.lockf(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
`;
  const child: ChildProcess = spawn('python3', ['-c', script, kind, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let waited = 0; !out.includes('locked'); waited += 50) {
    if (child.exitCode !== null || waited > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`could not take a ${kind} lock on ${file}: ${err.trim() || 'timed out'}`);
    }
    await sleep(50);
  }
  return {
    async release() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Try a non-blocking exclusive lock of `kind` on `file` from a fresh process: 'OK' or the errno name. */
export async function tryLock(kind: 'flock' | 'posix', file: string, timeoutMs = 30_000): Promise<string> {
  const script = `
import errno, fcntl, os, sys
fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o644)
try:
    if sys.argv[1] == "flock": fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
`;
  const r = await run('python3', ['-c', script, kind, file], timeoutMs);
  if (r.timedOut) return 'TIMEOUT';
  if (r.code !== 0) throw new Error(`python3 lock probe on ${file} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}
