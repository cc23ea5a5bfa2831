import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { juicefs, redisBase } from './tools-volume.js';
import { claimRedisDb, redisRaw, releaseRedisDb } from './support/redis-db.js';
import { scratchVolumeOn } from './support/scratch-volume.js';

// A user quota (JuiceFS 1.4) on a Redis volume, enforced through a real FUSE mount: nobody
// writes until EDQUOT, `quota get/list` show what the mount counted, chown moves usage to
// another user, the Redis hashes look as FORMAT.md 3.4 says, `quota check` agrees with the
// tree, and dump/load carries the quota over to a new volume.

const KiB = 1024;
/** 512 KiB in GiB, exactly (2^-11). */
const CAPACITY_GIB = '0.00048828125';
const NOBODY = 65534;

let db = 0;
const v = scratchVolumeOn(() => `${redisBase}/${(db = claimRedisDb())}`, 'jfs-ugquota-', 'ugquota-vol', '--trash-days', '0');
afterAll(() => {
  if (!db) return;
  if (fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === v.mp)) v.unmount();
  releaseRedisDb(db);
});

/** A shell command as nobody: its exit status and stderr. */
function asNobody(command: string): { status: number | null; err: string } {
  const r = spawnSync('su', ['nobody', '-s', '/bin/sh', '-c', command], { encoding: 'utf8' });
  return { status: r.status, err: r.stderr };
}

/** The cells of the data rows of a boxed table. */
function rows(out: string): string[][] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(1)
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
}

/** `quota get --uid` until its row is `want` (the mount flushes its counts every 3 s), or the last row seen. */
async function userRowBecomes(meta: string, uid: number, want: string[]): Promise<string[] | undefined> {
  let row: string[] | undefined;
  for (let i = 0; i < 30; i++) {
    const get = juicefs('quota', 'get', meta, '--uid', String(uid));
    row = get.code === 0 ? rows(get.out)[0] : [get.err];
    if (JSON.stringify(row) === JSON.stringify(want)) return row;
    await new Promise((r) => setTimeout(r, 500));
  }
  return row;
}

test('nobody writes through the mount until EDQUOT; usage shows in quota get/list and moves with chown', async () => {
  const set = juicefs('quota', 'set', v.meta, '--uid', String(NOBODY), '--capacity', CAPACITY_GIB, '--inodes', '4');
  expect(set.err).toBe('');
  expect(rows(set.out)).toEqual([[String(NOBODY), '512 KiB', '0 B', '0%', '4', '0', '0%']]);
  v.mount();
  fs.chmodSync(v.mp, 0o777);
  const home = path.join(v.mp, 'home');
  fs.mkdirSync(home, { mode: 0o777 });
  fs.chmodSync(home, 0o777);

  for (const name of ['a', 'b', 'c']) expect(asNobody(`head -c ${100 * KiB} /dev/zero > ${home}/${name}`).status).toBe(0);
  // 300 KiB more would make 604 KiB of 512: refused, "Disk quota exceeded".
  const over = asNobody(`head -c ${300 * KiB} /dev/zero > ${home}/d`);
  expect(over.status).not.toBe(0);
  expect(over.err).toMatch(/Disk quota exceeded/);
  // d's inode was made, the fourth of four: a fifth is refused at create.
  const fifth = asNobody(`touch ${home}/e`);
  expect(fifth.err).toMatch(/Disk quota exceeded/);
  expect(fs.existsSync(path.join(home, 'e'))).toBe(false);
  // Root is limited by its own quota only (none here).
  fs.writeFileSync(path.join(home, 'root-file'), Buffer.alloc(600 * KiB));

  const used = ['a', 'b', 'c', 'd'].reduce((n, f) => n + Math.max(4 * KiB, Math.ceil(fs.statSync(path.join(home, f)).size / 4096) * 4096), 0);
  expect(used).toBe(304 * KiB);
  expect(await userRowBecomes(v.meta, NOBODY, [String(NOBODY), '512 KiB', '304 KiB', '59%', '4', '4', '100%'])).toEqual([
    String(NOBODY), '512 KiB', '304 KiB', '59%', '4', '4', '100%',
  ]);
  const list = juicefs('quota', 'list', v.meta);
  expect(list.code).toBe(0);
  expect(rows(list.out)).toEqual([[`uid:${NOBODY}`, '512 KiB', '304 KiB', '59%', '4', '4', '100%']]);

  // chown a to root: its 100 KiB and inode leave nobody's quota, so nobody may create again.
  fs.chownSync(path.join(home, 'a'), 0, 0);
  expect(asNobody(`touch ${home}/e`).status).toBe(0);
  expect(await userRowBecomes(v.meta, NOBODY, [String(NOBODY), '512 KiB', '208 KiB', '40%', '4', '4', '100%'])).toEqual([
    String(NOBODY), '512 KiB', '208 KiB', '40%', '4', '4', '100%',
  ]);
  // ... and chown back is refused: nobody is at 4 of 4 inodes again.
  expect(() => fs.chownSync(path.join(home, 'a'), NOBODY, 0)).toThrow(/EDQUOT|quota/i);
});

test('the Redis hashes hold the quota as FORMAT.md 3.4 says', () => {
  // 16 bytes: max space 512 KiB, max inodes 4, both int64 big-endian.
  expect(redisRaw(db, 'HGET', 'userQuota', String(NOBODY)).toString('hex')).toBe('0000000000080000' + '0000000000000004');
  expect(redisRaw(db, 'HGET', 'userQuotaUsedSpace', String(NOBODY)).toString()).toBe(String(208 * KiB));
  expect(redisRaw(db, 'HGET', 'userQuotaUsedInodes', String(NOBODY)).toString()).toBe('4');
  // Every owner is tracked: root's /home, root-file and a, without limits (-1/-1).
  expect(redisRaw(db, 'HGET', 'userQuota', '0').toString('hex')).toBe('ff'.repeat(16));
  expect(redisRaw(db, 'HGET', 'userQuotaUsedInodes', '0').toString()).toBe('3');
  expect(redisRaw(db, 'HGET', 'groupQuotaUsedInodes', '65534').toString()).toBe('4');
  expect(redisRaw(db, 'TYPE', 'groupQuota').toString()).toBe('hash');
  const setting = JSON.parse(redisRaw(db, 'GET', 'setting').toString()) as { UserGroupQuota?: boolean };
  expect(setting.UserGroupQuota).toBe(true);
});

test('after unmounting, quota check agrees with the tree; drift is found and --repair fixes it', () => {
  v.unmount();
  const check = juicefs('quota', 'check', v.meta, '--uid', String(NOBODY));
  expect(check.err).toBe('');
  expect(check.code).toBe(0);
  expect(check.out).toContain(`quota of user ${NOBODY} is consistent`);
  redisRaw(db, 'HINCRBY', 'userQuotaUsedInodes', String(NOBODY), '5');
  const drift = juicefs('quota', 'check', v.meta, '--uid', String(NOBODY));
  expect(drift.code).toBe(1);
  expect(drift.err).toMatch(/uid:65534 is inconsistent.*--repair/);
  const repair = juicefs('quota', 'check', v.meta, '--uid', String(NOBODY), '--repair');
  expect(repair.code).toBe(0);
  expect(repair.out).toMatch(/uid:65534: stored usage \(9 inodes, 208 KiB\) != the tree \(4 inodes, 208 KiB\): repaired/);
  expect(redisRaw(db, 'HGET', 'userQuotaUsedInodes', String(NOBODY)).toString()).toBe('4');
});

test('dump keeps the user quota and load restores it, usage recounted', () => {
  const file = path.join(v.dir, 'dump.json');
  const dump = juicefs('dump', v.meta, file);
  expect(dump.code).toBe(0);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { Setting: { UserGroupQuota?: boolean }; UserQuotas?: Record<string, unknown>; GroupQuotas?: unknown };
  expect(doc.Setting.UserGroupQuota).toBe(true);
  expect(doc.UserQuotas).toEqual({ [String(NOBODY)]: { maxSpace: 512 * KiB, maxInodes: 4 } });
  expect(doc.GroupQuotas).toBeUndefined(); // tracked groups have no limits: left out, as Go leaves them
  const loaded = `sqlite3://${v.dir}/loaded.db`;
  const load = juicefs('load', loaded, file);
  expect(load.code).toBe(0);
  const get = juicefs('quota', 'get', loaded, '--uid', String(NOBODY));
  expect(get.err).toBe('');
  expect(rows(get.out)).toEqual([[String(NOBODY), '512 KiB', '208 KiB', '40%', '4', '4', '100%']]);
  // Every owner got its usage back, not only those with a quota: root's and the groups' agree too.
  const check = juicefs('quota', 'check', loaded, '--gid', String(NOBODY));
  expect(check.err).toBe('');
  expect(check.code).toBe(0);
  expect(rows(check.out)).toEqual([[String(NOBODY), 'unlimited', '208 KiB', '', 'unlimited', '4', '']]);
});

test('a group quota: nobody\'s group (nogroup) is refused past its inodes through the mount', () => {
  // nogroup owns b, c, d and e (a went to root with its chown): a limit of 5 leaves one.
  const set = juicefs('quota', 'set', v.meta, '--gid', String(NOBODY), '--inodes', '5');
  expect(set.err).toBe('');
  expect(rows(set.out)).toEqual([[String(NOBODY), 'unlimited', '208 KiB', '', '5', '4', '80%']]);
  expect(juicefs('quota', 'delete', v.meta, '--uid', String(NOBODY)).code).toBe(0);
  v.mount();
  const home = path.join(v.mp, 'home');
  expect(asNobody(`touch ${home}/f`).status).toBe(0);
  const over = asNobody(`mkdir ${home}/g`);
  expect(over.status).not.toBe(0);
  expect(over.err).toMatch(/Disk quota exceeded/);
  expect(fs.existsSync(path.join(home, 'g'))).toBe(false);
  v.unmount();
  expect(rows(juicefs('quota', 'get', v.meta, '--gid', String(NOBODY)).out)).toEqual([[String(NOBODY), 'unlimited', '212 KiB', '', '5', '5', '100%']]);
});

test('a quota set while the volume is mounted reaches the mount at its next quota reload', async () => {
  expect(juicefs('quota', 'delete', v.meta, '--gid', String(NOBODY)).code).toBe(0);
  v.mount('--heartbeat', '3');
  const home = path.join(v.mp, 'home');
  try {
    expect(asNobody(`touch ${home}/before`).status).toBe(0);
    // nobody owns b, c, d, e, f and before: 6 inodes. A limit of 6 refuses the next create, once
    // the mount has reloaded the quotas (every heartbeat); until then its creates still succeed.
    const set = juicefs('quota', 'set', v.meta, '--uid', String(NOBODY), '--inodes', '6');
    expect(set.err).toBe('');
    let refused: string | undefined;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      const r = asNobody(`touch ${home}/late-${i}`);
      if (r.status !== 0) refused = r.err;
      else await new Promise((res) => setTimeout(res, 500));
    }
    expect(refused).toMatch(/Disk quota exceeded/);
  } finally {
    v.unmount();
  }
});
