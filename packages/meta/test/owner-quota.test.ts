import { context, defaultFormat, ROOT_CONTEXT, type Ino } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import type { EngineStore } from '../src/base/store.js';
import { SqlEngine } from '../src/sql/engine.js';
import { everyEngine, volumePerTest } from './base-helpers.js';
import type { RedisEngine } from '../src/redis/engine.js';

// User and group quotas (JuiceFS 1.4) on every engine: the first quota counts every owner's
// usage from the tree, creates and growth past a user's or group's limit fail with EDQUOT,
// usage follows unlinks, truncates and chown, check/repair recount it, and the records are
// where the Go client keeps them (Redis userQuota* hashes, SQL jfs_user_group_quota).

const ROOT = 1n;
const root = ROOT_CONTEXT;
const alice = context(1000, 1000);
const KiB = 1024;

const { engines, release } = everyEngine();
afterAll(release);

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe.each(engines)('user and group quotas on %s', (name, makeVolume) => {
  const t = volumePerTest(makeVolume);
  let store: EngineStore;

  async function client(init: boolean, trashDays = 0): Promise<BaseMeta> {
    store = await t.volume.open();
    const meta = new BaseMeta(store);
    if (init) await meta.init({ ...defaultFormat('ugq', '0f7a5e55-0000-4000-8000-00000000901a', '/tmp/ugq/'), TrashDays: trashDays });
    await meta.load();
    await meta.newSession();
    t.clients.push(meta);
    return meta;
  }

  /** /home (root's, open to all) with alice's /home/a (8 KiB) made before any quota existed. */
  async function tree(meta: BaseMeta): Promise<{ home: Ino; a: Ino }> {
    const home = (await meta.mkdir(root, ROOT, 'home', 0o777, 0)).ino;
    const a = (await meta.create(alice, home, 'a', 0o644, 0, 0)).ino;
    await meta.write(alice, a, 0, { pos: 0, id: 0, size: 0, off: 0, len: 5000 });
    return { home, a };
  }

  test('the first quota counts the tree; creates and writes past a user or group limit fail with EDQUOT', async () => {
    const meta = await client(true);
    const { home, a } = await tree(meta);
    expect(meta.format?.UserGroupQuota).toBeFalsy();
    const set = await meta.setOwnerQuota('user', 1000, { maxInodes: 3, maxSpace: 64 * KiB });
    expect(set.created).toBe(true);
    expect(meta.format?.UserGroupQuota).toBe(true);
    // Counted from the tree: /home/a, 8 KiB, 1 inode; root's /home counts for root (no quota).
    expect(set.quota).toEqual({ maxSpace: 64 * KiB, maxInodes: 3, usedSpace: 8 * KiB, usedInodes: 1 });
    expect(await meta.getOwnerQuota('user', 0)).toEqual({ maxSpace: -1, maxInodes: -1, usedSpace: 4 * KiB, usedInodes: 1 });

    const b = (await meta.create(alice, home, 'b', 0o644, 0, 0)).ino;
    await meta.mkdir(alice, home, 'd', 0o755, 0);
    expect(await code(meta.create(alice, home, 'c', 0o644, 0, 0))).toBe('EDQUOT');
    expect(await code(meta.symlink(alice, home, 's', Buffer.from('a')))).toBe('EDQUOT');
    // Root's own nodes count for uid 0, not alice.
    await meta.create(root, home, 'r', 0o644, 0, 0);
    // Space: a 8 + b 4 + d 4 KiB used of 64; growing b to 52 KiB fills it, one byte more does not fit.
    await meta.write(alice, b, 0, { pos: 0, id: 0, size: 0, off: 0, len: 52 * KiB });
    expect(await code(meta.write(alice, b, 0, { pos: 0, id: 0, size: 0, off: 0, len: 52 * KiB + 1 }))).toBe('EDQUOT');
    expect(await code(meta.truncate(alice, a, 9 * KiB))).toBe('EDQUOT');
    expect(await meta.getOwnerQuota('user', 1000)).toEqual({ maxSpace: 64 * KiB, maxInodes: 3, usedSpace: 64 * KiB, usedInodes: 3 });

    // Freeing space and inodes lets alice go on (an unlinked file still open is released at its close).
    await meta.unlink(alice, home, 'b');
    expect(await meta.getOwnerQuota('user', 1000)).toMatchObject({ usedSpace: 64 * KiB, usedInodes: 3 });
    await meta.close(alice, b);
    expect(await meta.getOwnerQuota('user', 1000)).toMatchObject({ usedSpace: 12 * KiB, usedInodes: 2 });
    expect(await meta.getOwnerQuota('user', 0)).toMatchObject({ usedSpace: 8 * KiB, usedInodes: 2 });
    await meta.create(alice, home, 'c', 0o644, 0, 0);

    // A group quota limits every owner in the group; deleting it lifts the limit, usage stays.
    await meta.setOwnerQuota('group', 1000, { maxInodes: 3 });
    expect(await code(meta.create(alice, home, 'e', 0o644, 0, 0))).toBe('EDQUOT');
    await meta.deleteOwnerQuota('user', 1000);
    expect(await code(meta.create(alice, home, 'e', 0o644, 0, 0))).toBe('EDQUOT');
    expect(await meta.deleteOwnerQuota('group', 1000)).toBe(true);
    expect(await meta.deleteOwnerQuota('group', 1000)).toBe(false);
    await meta.create(alice, home, 'e', 0o644, 0, 0);
    expect(await meta.getOwnerQuota('group', 1000)).toEqual({ maxSpace: -1, maxInodes: -1, usedSpace: 20 * KiB, usedInodes: 4 }); // a 8 + d, c, e 4 KiB each
    expect([...(await meta.listOwnerQuotas('user')).keys()]).toEqual([]);
  });

  test('chown moves usage between users and groups, refused past the new owner’s quota; a second client sees flushed usage', async () => {
    const meta = await client(true);
    const { home, a } = await tree(meta);
    await meta.setOwnerQuota('user', 2000, { maxInodes: 1 });
    await meta.setOwnerQuota('group', 3000, { maxSpace: 4 * KiB });
    await meta.setAttr(root, a, { uid: 2000 });
    expect(await meta.getOwnerQuota('user', 1000)).toMatchObject({ usedSpace: 0, usedInodes: 0 });
    expect(await meta.getOwnerQuota('user', 2000)).toMatchObject({ usedSpace: 8 * KiB, usedInodes: 1 });
    expect(await meta.getOwnerQuota('group', 1000)).toMatchObject({ usedSpace: 8 * KiB, usedInodes: 1 });
    const f = (await meta.create(alice, home, 'f', 0o644, 0, 0)).ino;
    expect(await code(meta.setAttr(root, f, { uid: 2000 }))).toBe('EDQUOT');
    // 8 KiB does not fit group 3000's 4 KiB; the empty f (4 KiB) does.
    expect(await code(meta.setAttr(root, a, { gid: 3000 }))).toBe('EDQUOT');
    await meta.setAttr(root, f, { gid: 3000 });
    expect(await meta.getOwnerQuota('group', 3000)).toMatchObject({ usedSpace: 4 * KiB, usedInodes: 1 });

    const other = await client(false);
    expect(other.format?.UserGroupQuota).toBe(true);
    await other.create(context(2000, 2000), home, 'g', 0o644, 0, 0).then(
      () => { throw new Error('user 2000 is at its limit of 1 inode'); },
      (err: { code?: string }) => expect(err.code).toBe('EDQUOT'),
    );
    await other.create(alice, home, 'h', 0o644, 0, 0);
    await other.flushSession();
    expect(await meta.getOwnerQuota('user', 1000)).toMatchObject({ usedSpace: 8 * KiB, usedInodes: 2 });
  });

  test('check compares every owner with the tree; --repair stores the recount', async () => {
    const meta = await client(true);
    const { home } = await tree(meta);
    await meta.link(alice, (await meta.lookup(alice, home, 'a')).ino, home, 'a2'); // one node, counted once
    await meta.setOwnerQuota('user', 1000, { maxInodes: 10 });
    let r = await meta.checkOwnerQuotas();
    expect(r.checks.every((c) => c.consistent)).toBe(true);
    expect(r.checks.find((c) => c.kind === 'user' && c.id === 1000)?.actual).toEqual({ space: 8 * KiB, inodes: 1 });

    // Drift, as a crashed client leaves it: the stored usage no longer matches the tree.
    await store.userGroupQuotas!.addUsage('user', [{ id: 1000, space: 4 * KiB, inodes: 5 }]);
    r = await meta.checkOwnerQuotas();
    expect(r.repaired).toBe(false);
    expect(r.checks.filter((c) => !c.consistent).map((c) => `${c.kind}:${c.id}`)).toEqual(['user:1000']);
    r = await meta.checkOwnerQuotas({ repair: true });
    expect(r.repaired).toBe(true);
    expect(await meta.getOwnerQuota('user', 1000)).toEqual({ maxSpace: -1, maxInodes: 10, usedSpace: 8 * KiB, usedInodes: 1 });
    expect((await meta.checkOwnerQuotas()).checks.every((c) => c.consistent)).toBe(true);
  });

  test('turning user/group quotas on drops entries left from before, as Go\'s doInit does', async () => {
    const meta = await client(true);
    await tree(meta);
    // Left by a time the flag was on, then off: limits and usage no longer mean anything.
    await store.userGroupQuotas!.set('user', 5, { maxSpace: 0, maxInodes: 1 }, { space: 99, inodes: 9 });
    await store.userGroupQuotas!.set('user', 1000, { maxSpace: 0, maxInodes: 1 }, { space: 99, inodes: 9 });
    await meta.setOwnerQuota('group', 1000, { maxInodes: 10 });
    expect(await meta.getOwnerQuota('user', 5)).toEqual({ maxSpace: -1, maxInodes: -1, usedSpace: 0, usedInodes: 0 });
    expect(await meta.getOwnerQuota('user', 1000)).toEqual({ maxSpace: -1, maxInodes: -1, usedSpace: 8 * KiB, usedInodes: 1 });
    await meta.create(alice, (await meta.lookup(root, ROOT, 'home')).ino, 'more', 0o644, 0, 0);
  });

  test('the trash keeps usage until it expires; hard links count once; a rename over a file releases it', async () => {
    const meta = await client(true, 1);
    const { home, a } = await tree(meta);
    await meta.close(alice, a);
    await meta.setOwnerQuota('user', 1000, { maxInodes: 10 });
    await meta.link(alice, a, home, 'a2');
    expect(await meta.getOwnerQuota('user', 1000)).toMatchObject({ usedSpace: 8 * KiB, usedInodes: 1 });
    const x = (await meta.create(alice, home, 'x', 0o644, 0, 0)).ino;
    await meta.close(alice, x);
    await meta.rename(alice, home, 'x', home, 'a2', 0); // drops one link of a: a stays
    expect(await meta.getOwnerQuota('user', 1000)).toMatchObject({ usedSpace: 12 * KiB, usedInodes: 2 });
    await meta.unlink(alice, home, 'a');
    await meta.unlink(alice, home, 'a2');
    // In the trash, still alice's: still counted (the trash directory counts for root).
    expect(await meta.getOwnerQuota('user', 1000)).toMatchObject({ usedSpace: 12 * KiB, usedInodes: 2 });
    expect((await meta.checkOwnerQuotas()).checks.every((c) => c.consistent)).toBe(true);
    await meta.runBackgroundJobs(Math.floor(Date.now() / 1000) + 3 * 86400);
    expect(await meta.getOwnerQuota('user', 1000)).toMatchObject({ usedSpace: 0, usedInodes: 0 });
    expect((await meta.checkOwnerQuotas()).checks.every((c) => c.consistent)).toBe(true);
  });

  if (name !== 'memory') {
    test('records are where the Go client keeps them', async () => {
      const meta = await client(true);
      await tree(meta);
      await meta.setOwnerQuota('user', 1000, { maxSpace: 64 * KiB, maxInodes: 3 });
      await meta.setOwnerQuota('group', 1000, { maxInodes: 7 });
      await meta.deleteOwnerQuota('group', 1000);
      if (name === 'redis') {
        const raw = (store as RedisEngine).client;
        const limits = await raw.hgetBuffer('userQuota', '1000');
        expect(limits?.toString('hex')).toBe('0000000000010000' + '0000000000000003');
        expect(await raw.hget('userQuotaUsedSpace', '1000')).toBe(String(8 * KiB));
        expect(await raw.hget('userQuotaUsedInodes', '1000')).toBe('1');
        expect((await raw.hgetBuffer('groupQuota', '1000'))?.toString('hex')).toBe('ffffffffffffffff'.repeat(2));
        expect(await raw.hget('groupQuotaUsedInodes', '1000')).toBe('1');
        expect(await raw.hget('userQuotaUsedInodes', '0')).toBe('1');
      } else {
        const sql = store as SqlEngine;
        const rows = await sql.raw((c) => c.all(`SELECT "qtype","qkey","max_space","max_inodes","used_space","used_inodes" FROM "${sql.prefix}user_group_quota" WHERE "qkey"=1000 ORDER BY "qtype"`));
        expect(rows.map((r) => Object.values(r).map(Number))).toEqual([
          [1, 1000, 64 * KiB, 3, 8 * KiB, 1],
          [2, 1000, -1, -1, 8 * KiB, 1],
        ]);
      }
      expect(JSON.parse((await store.getFormat())!).UserGroupQuota).toBe(true);
    });
  }
});
