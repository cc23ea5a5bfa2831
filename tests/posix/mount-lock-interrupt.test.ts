import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run, sh } from './helpers.js';
import { formatVolume, juicefs, juicefsMountMissing } from './mount-harness.js';

// Blocked lock waits on a real `juicefs mount` (SQLite + local directory): a process waiting in
// flock(2) or F_SETLKW is killed (Ctrl-C, SIGKILL) and must go at once, leaving no waiter in the
// mount that could take the lock later; and a mount whose connection is torn down while a process
// waits must end, with the lock free for the next mount.

const repoRoot = path.resolve(__dirname, '../..');
const CLI = path.join(repoRoot, 'packages/cli/test/support/juicefs-from-source.cjs');
/** How long a process may take to go after its signal (or the mount after the abort); a hang guard, not a speed check. */
const GUARD_MS = 20_000;
/** Enough for a waiter wrongly left polling in the mount (it retries every ≤ 200 ms) to grab a freed lock. */
const POLLER_CHANCE_MS = 600;

// One process per role, talking over stdin/stdout, so the test never guesses when a lock is held.
const LOCKER = `
import fcntl, os, sys
path, kind, role = sys.argv[1:4]
fd = os.open(path, os.O_RDWR)
def lock(block):
    flags = fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB)
    (fcntl.flock if kind == 'flock' else fcntl.lockf)(fd, flags)
def unlock():
    (fcntl.flock if kind == 'flock' else fcntl.lockf)(fd, fcntl.LOCK_UN)
if role == 'hold':
    lock(False); print('held', flush=True)
    sys.stdin.readline(); unlock(); print('released', flush=True)
    sys.stdin.readline()
elif role == 'wait':
    print('waiting', flush=True); lock(True); print('acquired', flush=True)
else:
    try:
        lock(False); print('acquired', flush=True)
    except OSError as e:
        print('busy', e.errno, flush=True)
`;

interface Proc {
  child: ChildProcess;
  /** Resolves with "code N" or "signal S" when the process has gone. */
  gone: Promise<string>;
  /** Resolves once a line equal to `line` was printed. */
  said(line: string): Promise<void>;
  output(): string;
}

function start(cmd: string, args: readonly string[]): Proc {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const listeners: Array<() => void> = [];
  const onData = (d: Buffer): void => {
    out = (out + d.toString()).slice(-8000);
    for (const l of listeners.splice(0)) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const gone = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal !== null ? `signal ${signal}` : `code ${code}`)));
  const said = async (line: string): Promise<void> => {
    let exited: string | undefined;
    void gone.then((g) => (exited = g));
    while (!out.split('\n').includes(line)) {
      if (exited !== undefined) throw new Error(`${cmd} ${args.join(' ')} ended (${exited}) before printing "${line}":\n${out}`);
      await new Promise<void>((resolve) => {
        listeners.push(resolve);
        void gone.then(() => resolve());
      });
    }
  };
  return { child, gone, said, output: () => out };
}

const locker = (file: string, kind: 'flock' | 'fcntl', role: 'hold' | 'wait' | 'try'): Proc => start('python3', ['-c', LOCKER, file, kind, role]);

/** `p` must settle within GUARD_MS; a hang fails with `what` instead of stalling the run. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${GUARD_MS / 1000} s`)), GUARD_MS);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The process is still running `ms` after it said it would block (so it really is blocked). */
async function stillBlocked(p: Proc, ms = 400): Promise<void> {
  const r = await Promise.race([p.gone, sleep(ms).then(() => undefined)]);
  if (r !== undefined) throw new Error(`the waiter should be blocked on the lock but ended (${r}):\n${p.output()}`);
}

async function isMountPoint(dir: string): Promise<boolean> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => line.split(' ')[4] === dir);
}

/** `juicefs mount` in the foreground as a child; resolves once the mount point is mounted. */
async function mountVolume(meta: string, mp: string, cacheDir: string): Promise<Proc> {
  const p = start(process.execPath, [CLI, 'mount', meta, mp, '--cache-dir', cacheDir]);
  let exited: string | undefined;
  void p.gone.then((g) => (exited = g));
  for (let waited = 0; !(await isMountPoint(mp)); waited += 100) {
    if (exited !== undefined) throw new Error(`juicefs mount exited (${exited}) before mounting:\n${p.output()}`);
    if (waited > 90_000) throw new Error(`juicefs mount did not mount ${mp} within 90 s:\n${p.output()}`);
    await sleep(100);
  }
  return p;
}

async function unmount(mp: string, server: Proc | undefined): Promise<void> {
  if (await isMountPoint(mp)) {
    const r = await juicefs(['umount', mp], 60_000);
    if (r.code !== 0 && (await isMountPoint(mp))) await run('umount', ['-l', mp]);
  }
  if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
    await server.gone;
    clearTimeout(timer);
  }
}

const missing = juicefsMountMissing();

if (missing !== undefined) {
  test.skip(`lock waits on a juicefs mount NOT RUN: ${missing}`, () => undefined);
} else {
  let tmp = '';
  let meta = '';
  const procs: Proc[] = [];
  const track = (p: Proc): Proc => (procs.push(p), p);

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts FUSE and aborts connections through fusectl: run it as root');
    const py = await run('python3', ['-c', 'import fcntl']);
    if (py.code !== 0) throw new Error(`python3 with its fcntl module is needed (install python3): ${py.stderr.trim()}`);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-lock-intr-'));
    meta = `sqlite3://${tmp}/meta.db`;
    await formatVolume(meta, 'lock-interrupt', tmp);
  }, 120_000);

  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  });

  afterAll(async () => {
    if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
  }, 120_000);

  describe('a killed waiter on a juicefs mount', () => {
    let mp = '';
    let server: Proc | undefined;

    beforeAll(async () => {
      mp = path.join(tmp, 'mnt');
      await fs.mkdir(mp);
      server = await mountVolume(meta, mp, path.join(tmp, 'cache'));
    }, 120_000);

    afterAll(async () => {
      await unmount(mp, server);
    }, 120_000);

    test('flock: Ctrl-C on `flock FILE true` ends it at once; after the holder unlocks, a third process gets the lock', async () => {
      const file = path.join(mp, 'flocked');
      await fs.writeFile(file, '');
      const a = track(locker(file, 'flock', 'hold'));
      await within(a.said('held'), 'the holder taking its flock');
      const b = track(start('flock', ['-x', file, 'true']));
      await stillBlocked(b);
      b.child.kill('SIGINT');
      expect(await within(b.gone, 'flock(1) going after SIGINT')).toMatch(/^(signal SIGINT|code [1-9])/);
      a.child.stdin?.write('\n');
      await within(a.said('released'), 'the holder unlocking');
      await sleep(POLLER_CHANCE_MS);
      const c = await within(sh(`flock -n ${JSON.stringify(file)} true`), 'flock -n');
      expect(c.code).toBe(0);
      a.child.stdin?.end();
      await within(a.gone, 'the holder exiting');
    }, 60_000);

    test('fcntl: SIGKILL of a process in F_SETLKW reaps it at once; after the holder unlocks, a third process gets the lock', async () => {
      const file = path.join(mp, 'plocked');
      await fs.writeFile(file, '');
      const a = track(locker(file, 'fcntl', 'hold'));
      await within(a.said('held'), 'the holder taking its fcntl lock');
      const b = track(locker(file, 'fcntl', 'wait'));
      await within(b.said('waiting'), 'the waiter starting');
      await stillBlocked(b);
      expect(b.output()).not.toContain('acquired');
      b.child.kill('SIGKILL');
      expect(await within(b.gone, 'the waiter being reaped after SIGKILL')).toBe('signal SIGKILL');
      a.child.stdin?.write('\n');
      await within(a.said('released'), 'the holder unlocking');
      await sleep(POLLER_CHANCE_MS);
      const c = track(locker(file, 'fcntl', 'try'));
      await within(c.gone, 'the third process trying the lock');
      expect(c.output().trim()).toBe('acquired');
      a.child.stdin?.end();
      await within(a.gone, 'the holder exiting');
    }, 60_000);

    test('two waiters, one killed: the other still gets the lock when the holder unlocks', async () => {
      const file = path.join(mp, 'two-waiters');
      await fs.writeFile(file, '');
      const a = track(locker(file, 'fcntl', 'hold'));
      await within(a.said('held'), 'the holder taking its lock');
      const killed = track(locker(file, 'fcntl', 'wait'));
      const patient = track(locker(file, 'fcntl', 'wait'));
      await within(Promise.all([killed.said('waiting'), patient.said('waiting')]), 'both waiters starting');
      await stillBlocked(killed);
      killed.child.kill('SIGINT');
      await within(killed.gone, 'the interrupted waiter going');
      expect(killed.output()).not.toContain('acquired');
      a.child.stdin?.write('\n');
      await within(patient.said('acquired'), 'the remaining waiter getting the lock');
      a.child.stdin?.end();
    }, 60_000);
  });

  test('the connection aborted (forced unmount) while a process waits: the waiter and the mount both end, and the lock is free on the next mount', async () => {
    const mp = path.join(tmp, 'mnt-abort');
    await fs.mkdir(mp);
    const server = track(await mountVolume(meta, mp, path.join(tmp, 'cache-abort')));
    try {
      const file = path.join(mp, 'abort-locked');
      await fs.writeFile(file, '');
      const a = track(locker(file, 'flock', 'hold'));
      await within(a.said('held'), 'the holder taking its flock');
      const b = track(start('flock', ['-x', file, 'true']));
      await stillBlocked(b);

      // fusectl exposes each connection as /sys/fs/fuse/connections/<minor of st_dev>.
      const ctl = '/sys/fs/fuse/connections';
      if (!(await isMountPoint(ctl))) expect((await sh(`mount -t fusectl none ${ctl}`)).code).toBe(0);
      const dev = (await fs.stat(mp)).dev;
      const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
      await fs.writeFile(path.join(ctl, String(minor), 'abort'), '1');

      expect(await within(b.gone, 'the waiter failing after the abort')).toMatch(/^code [1-9]/);
      await within(server.gone, 'the juicefs mount process ending after the abort');
      a.child.kill('SIGKILL');
      await within(a.gone, 'the holder going');
      await run('umount', ['-l', mp]);
      expect(await isMountPoint(mp)).toBe(false);

      // Its session was closed cleanly: no lock survives for the next mount, and it is not listed.
      const again = track(await mountVolume(meta, mp, path.join(tmp, 'cache-abort')));
      try {
        expect((await within(sh(`flock -n ${JSON.stringify(file)} true`), 'flock -n on the next mount')).code).toBe(0);
        const status = JSON.parse((await juicefs(['status', meta])).stdout) as { Sessions: Array<{ MountPoint: string }> };
        expect(status.Sessions.map((s) => s.MountPoint).filter((m) => m === mp)).toHaveLength(1);
      } finally {
        await unmount(mp, again);
      }
    } finally {
      if (await isMountPoint(mp)) await run('umount', ['-l', mp]);
      await unmount(mp, server);
    }
  }, 180_000);
}
