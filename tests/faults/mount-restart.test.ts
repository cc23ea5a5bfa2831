import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  alive, fileOp, forceDown, holdLock, isMounted, juicefs, mountBackground, requireRootAndFuse, sleep, tempDir, tryLock,
  type BackgroundMount,
} from './support.js';

// A background mount's worker dies (SIGKILL) while programs use the mount: its supervisor starts
// another on the same /dev/fuse connection. The mount point stays, a file opened before the crash
// goes on being read through its old handle, the flock a program took stays held (the new worker
// carries on the session), a lock request blocked in the dead worker is answered by the new one
// (the kernel resends it), new work succeeds, and an unmount ends both processes. A worker that
// keeps dying is given up on.

interface StatusJson {
  Sessions: Array<{ Sid: number; MountPoint: string; ProcessID: number; MountTime?: string }>;
}

describe('faults: a background mount whose worker is killed', () => {
  let dir: string;
  let meta: string;
  let m: BackgroundMount | undefined;

  beforeAll(async () => {
    requireRootAndFuse();
    dir = tempDir('restart');
    meta = `sqlite3://${dir}/meta.db`;
    const f = await juicefs(['format', meta, 'restartvol', '--bucket', `${dir}/bucket`, '--trash-days', '0']);
    if (f.code !== 0) throw new Error(`juicefs format failed: ${f.stderr}`);
  }, 120_000);

  afterEach(async () => {
    await forceDown(m);
    m = undefined;
  }, 90_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const session = async (mp: string): Promise<StatusJson['Sessions'][number] | undefined> => {
    const s = await juicefs(['status', meta]);
    if (s.code !== 0) throw new Error(`juicefs status failed: ${s.stderr}`);
    return (JSON.parse(s.stdout) as StatusJson).Sessions.find((x) => x.MountPoint === mp);
  };

  it('is restarted on the same connection: open files, locks and the session carry on', async () => {
    const mp = path.join(dir, 'mnt1');
    fs.mkdirSync(mp);
    m = await mountBackground(meta, mp, dir);
    const content = Buffer.from('0123456789'.repeat(1000));
    fs.writeFileSync(path.join(mp, 'kept-open'), content);
    // A reader that opened the file before the crash and reads the rest after it.
    const reader = spawn('python3', ['-c', `
import sys
f = open(sys.argv[1], 'rb')
first = f.read(10)
print('opened', flush=True)
sys.stdin.readline()
rest = f.read()
print(len(first) + len(rest), (first + rest) == open(sys.argv[1], 'rb').read(), flush=True)
`, path.join(mp, 'kept-open')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const readerDone = new Promise<number | null>((resolve) => reader.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && !out.includes('opened'); i++) await sleep(50);
    expect(out).toContain('opened');
    const lock = await holdLock('flock', path.join(mp, 'locked'));
    // A second program blocks on the same flock: its request is with the worker when it dies.
    const waiter = spawn('python3', ['-c', `
import fcntl, sys
f = open(sys.argv[1], 'w')
print('waiting', flush=True)
fcntl.flock(f, fcntl.LOCK_EX)
print('got it', flush=True)
`, path.join(mp, 'locked')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let waited = '';
    waiter.stdout.on('data', (d: Buffer) => (waited += d.toString()));
    const waiterDone = new Promise<number | null>((resolve) => waiter.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && !waited.includes('waiting'); i++) await sleep(50);
    await sleep(500); // into its FLOCK request

    const before = await session(mp);
    expect(before).toBeDefined();
    const worker = before!.ProcessID;
    expect(worker).not.toBe(m.pid); // the supervisor runs a worker
    process.kill(worker, 'SIGKILL');
    for (let i = 0; i < 100 && alive(worker); i++) await sleep(50);
    expect(alive(worker)).toBe(false);

    // The next request waits for the new worker instead of failing.
    expect((await fileOp('stat', path.join(mp, 'kept-open'), '', 30_000)).result).toBe('OK');
    expect(isMounted(mp)).toBe(true);
    expect(alive(m.pid)).toBe(true);
    const after = await session(mp);
    expect(after?.Sid).toBe(before!.Sid); // the same session...
    expect(after?.ProcessID).not.toBe(worker); // ...served by a new process
    expect(alive(after!.ProcessID)).toBe(true);

    reader.stdin.end('go\n');
    expect(await readerDone).toBe(0);
    expect(out.trim().split('\n').at(-1)).toBe(`${content.length} True`);
    expect(await tryLock('flock', path.join(mp, 'locked'))).toMatch(/^(EAGAIN|EWOULDBLOCK)$/); // still the holder's
    expect(waited).not.toContain('got it');
    // The holder closes: its flock goes, and the waiter's request, sent again to the new worker
    // (FUSE_NOTIFY_RESEND), is granted.
    await lock.release();
    expect(await waiterDone).toBe(0);
    expect(waited).toContain('got it');
    expect(await tryLock('flock', path.join(mp, 'locked'))).toBe('OK');
    expect((await fileOp('write', path.join(mp, 'new.txt'), 'after the restart')).result).toBe('OK');
    expect((await fileOp('read', path.join(mp, 'new.txt'))).data).toBe('after the restart');
    expect(fs.readFileSync(m.log, 'utf8')).toMatch(/mount worker \d+ was killed by SIGKILL; starting another on the same connection/);

    const u = await juicefs(['umount', mp]);
    expect(u.code).toBe(0);
    for (let i = 0; i < 100 && (alive(m.pid) || alive(after!.ProcessID)); i++) await sleep(50);
    expect([isMounted(mp), alive(m.pid), alive(after!.ProcessID)]).toEqual([false, false, false]);
  }, 120_000);

  it('mount --upgrade of the same volume replaces the worker in place: a new worker from the new command line takes over', async () => {
    const mp = path.join(dir, 'mnt3');
    fs.mkdirSync(mp);
    m = await mountBackground(meta, mp, dir);
    const before = await session(mp);
    // A writer with data still buffered in the old worker when the upgrade comes.
    const writer = spawn('python3', ['-c', `
import sys
f = open(sys.argv[1], 'wb')
f.write(b'a' * 100000)
print('written', flush=True)
sys.stdin.readline()
f.write(b'b' * 10)
f.close()
print(len(open(sys.argv[1], 'rb').read()), flush=True)
`, path.join(mp, 'written-across')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    writer.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const writerDone = new Promise<number | null>((resolve) => writer.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && !out.includes('written'); i++) await sleep(50);

    // Without --upgrade a second mount is refused, and says how to upgrade.
    const refused = await juicefs(['mount', meta, mp, '-d', '--log', m.log, '--metrics', '']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/to upgrade a background mount of this volume in place instead, add --upgrade/);
    const again = await juicefs(['mount', meta, mp, '-d', '--upgrade', '--log', m.log, '--cache-dir', path.join(dir, 'cache-mnt3'), '--metrics', '', '--attr-cache', '2']);
    expect(again.code).toBe(0);
    const pid = Number(/worker pid (\d+) serves it now/.exec(again.stderr)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const after = await session(mp);
    expect([after?.Sid, after?.ProcessID]).toEqual([before!.Sid, pid]); // the same session, the new worker
    expect([alive(before!.ProcessID), alive(m.pid)]).toEqual([false, true]); // the old worker went, the supervisor stays
    expect(fs.readFileSync(m.log, 'utf8')).toMatch(/handed .* over for an upgrade/);

    writer.stdin.end('go\n');
    expect(await writerDone).toBe(0);
    expect(out.trim().split('\n').at(-1)).toBe('100010');

    // An upgrade whose command line does not serve (here a flag a file volume refuses) goes back
    // to the last one that did: the mount keeps working.
    const broken = await juicefs(['mount', meta, mp, '-d', '--upgrade', '--log', m.log, '--metrics', '', '--storage-class', 'STANDARD']);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/the new worker exited with 1 before serving \(its log has why\); the previous command line serves again/);
    expect((await fileOp('read', path.join(mp, 'written-across'))).result).toBe('OK');
    const restored = await session(mp);
    expect(restored?.Sid).toBe(before!.Sid);

    // Another volume on the same mount point is refused, naming the one mounted.
    const other = await juicefs(['mount', `sqlite3://${dir}/other.db`, mp, '-d', '--upgrade', '--log', m.log]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/is mounted, and its supervisor refused to upgrade it: it serves another volume/);
    expect((await juicefs(['umount', mp])).code).toBe(0);
    for (let i = 0; i < 100 && (alive(m.pid) || alive(restored!.ProcessID)); i++) await sleep(50);
    expect([isMounted(mp), alive(m.pid), alive(restored!.ProcessID)]).toEqual([false, false, false]);
  }, 120_000);

  it('gives up on a worker that keeps dying: the mount fails with ENOTCONN, and umount --force clears it', async () => {
    const mp = path.join(dir, 'mnt2');
    fs.mkdirSync(mp);
    m = await mountBackground(meta, mp, dir);
    let last = -1;
    for (let kills = 0; kills < 7 && alive(m.pid); kills++) {
      const s = await session(mp);
      if (s === undefined || s.ProcessID === last) {
        await sleep(200);
        continue;
      }
      last = s.ProcessID;
      process.kill(s.ProcessID, 'SIGKILL');
      for (let i = 0; i < 100 && alive(s.ProcessID); i++) await sleep(50);
      // Wait for the next worker (or for the supervisor to give up).
      for (let i = 0; i < 200 && alive(m.pid) && (await fileOp('stat', mp, '', 5_000)).result !== 'OK'; i++) await sleep(100);
    }
    for (let i = 0; i < 100 && alive(m.pid); i++) await sleep(100);
    expect(alive(m.pid)).toBe(false);
    expect(fs.readFileSync(m.log, 'utf8')).toMatch(/restarts within a minute, giving up/);
    expect((await fileOp('stat', mp, '', 20_000)).result).toBe('ENOTCONN');
    const u = await juicefs(['umount', '--force', mp]);
    expect(u.code).toBe(0);
    expect(isMounted(mp)).toBe(false);
  }, 180_000);
});
