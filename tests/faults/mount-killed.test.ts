import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  alive, fileOp, forceDown, holdLock, isMounted, juicefs, killGroup, mountBackground, requireRootAndFuse, sleep, tempDir, tryLock,
  type BackgroundMount,
} from './support.js';

// The mount's processes (supervisor and worker) die with SIGKILL (no unmount, no session close),
// so nothing restarts the worker: the dead mount point must be
// clearable with `juicefs umount --force`, the metadata must stay consistent (dump and fsck pass,
// every file closed before the kill reads back intact), and the dead session - with the lock it
// held - must be cleaned by the next mount's background job once its heartbeat has expired.

interface StatusJson {
  Sessions: Array<{ Sid: number; MountPoint: string; ProcessID: number }>;
}

describe('faults: juicefs mount killed with SIGKILL (SQLite volume)', () => {
  let dir: string;
  let meta: string;
  let mp: string;
  let first: BackgroundMount | undefined;
  let second: BackgroundMount | undefined;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    requireRootAndFuse();
    dir = tempDir('kill');
    meta = `sqlite3://${dir}/meta.db`;
    mp = path.join(dir, 'mnt');
    fs.mkdirSync(mp);
    const f = await juicefs(['format', meta, 'killvol', '--bucket', `${dir}/bucket`]);
    if (f.code !== 0) throw new Error(`juicefs format failed: ${f.stderr}`);
  }, 120_000);

  afterAll(async () => {
    await forceDown(second);
    await forceDown(first);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  const status = async (): Promise<StatusJson> => {
    const s = await juicefs(['status', meta]);
    if (s.code !== 0) throw new Error(`juicefs status failed: ${s.stderr}`);
    return JSON.parse(s.stdout) as StatusJson;
  };

  it('leaves a dead mount point that umount --force clears, and consistent metadata', async () => {
    // Heartbeat 1 s: the killed session is stale 5 s after the kill instead of a minute.
    first = await mountBackground(meta, mp, dir, ['--heartbeat', '1']);
    files.set('small.txt', Buffer.from('closed before the kill\n'));
    files.set('big.bin', crypto.randomBytes(9 * 1024 * 1024 + 4321));
    for (let i = 0; i < 20; i++) files.set(`many/f${i}`, crypto.randomBytes(1000 + i * 777));
    fs.mkdirSync(path.join(mp, 'many'));
    for (const [name, data] of files) fs.writeFileSync(path.join(mp, name), data);
    fs.symlinkSync('small.txt', path.join(mp, 'link'));
    fs.renameSync(path.join(mp, 'small.txt'), path.join(mp, 'renamed.txt'));
    files.set('renamed.txt', files.get('small.txt') ?? Buffer.alloc(0));
    files.delete('small.txt');
    const lock = await holdLock('flock', path.join(mp, 'locked'));
    const killedPid = (await status()).Sessions.find((s) => s.MountPoint === mp)?.ProcessID ?? -1; // the worker's
    expect(alive(killedPid)).toBe(true);

    killGroup(first.pid);
    for (let i = 0; i < 100 && (alive(killedPid) || alive(first.pid)); i++) await sleep(50);
    expect([alive(killedPid), alive(first.pid)]).toEqual([false, false]);
    expect(isMounted(mp)).toBe(true);
    expect((await fileOp('stat', path.join(mp, 'renamed.txt'), '', 20_000)).result).toBe('ENOTCONN');

    const u = await juicefs(['umount', '--force', mp]);
    expect(u.stderr).toBe('');
    expect(u.code).toBe(0);
    expect(isMounted(mp)).toBe(false);
    await lock.release();

    // The killed process's session is still registered: nothing closed it.
    expect((await status()).Sessions.map((s) => s.ProcessID)).toContain(killedPid);

    const dump = await juicefs(['dump', meta]);
    expect(dump.stderr).toBe('');
    expect(dump.code).toBe(0);
    const tree = JSON.stringify(JSON.parse(dump.stdout));
    for (const name of ['renamed.txt', 'big.bin', 'f19', 'link', 'locked']) expect(tree).toContain(`"${name}"`);
    const fsck = await juicefs(['fsck', meta]);
    expect(`${fsck.stdout}${fsck.stderr}`).not.toMatch(/lost|missing|broken/i);
    expect(fsck.code).toBe(0);
  }, 120_000);

  it('a fresh mount reads every closed file intact and cleans the dead session and its lock', async () => {
    const before = (await status()).Sessions;
    const dead = before.find((s) => s.MountPoint === mp && !alive(s.ProcessID));
    expect(dead).toBeDefined();
    second = await mountBackground(meta, mp, dir);
    for (const [name, data] of files) {
      expect(fs.readFileSync(path.join(mp, name)).equals(data)).toBe(true);
    }
    expect(fs.readlinkSync(path.join(mp, 'link'))).toBe('small.txt');
    expect(fs.readdirSync(path.join(mp, 'many')).length).toBe(20);
    // Writes work as usual on the fresh mount.
    fs.writeFileSync(path.join(mp, 'after.txt'), 'after the kill\n');
    expect(fs.readFileSync(path.join(mp, 'after.txt'), 'utf8')).toBe('after the kill\n');

    // The flock the dead session held stays in the metadata until its session is cleaned...
    expect(await tryLock('flock', path.join(mp, 'locked'))).toMatch(/^(EAGAIN|EWOULDBLOCK)$/);
    // ...which the new mount's background job does on its first pass (a minute after mounting).
    let sids: number[] = [];
    for (let waited = 0; waited < 100_000; waited += 1000) {
      sids = (await status()).Sessions.map((s) => s.Sid);
      if (!sids.includes(dead?.Sid ?? -1)) break;
      await sleep(1000);
    }
    expect(sids).not.toContain(dead?.Sid);
    expect(sids).toHaveLength(1);
    expect(await tryLock('flock', path.join(mp, 'locked'))).toBe('OK');
  }, 150_000);
});
