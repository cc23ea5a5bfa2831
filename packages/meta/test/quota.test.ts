import { defaultFormat, ROOT_CONTEXT, type Ino } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import type { EngineStore } from '../src/base/store.js';
import { MemoryEngine } from '../src/memory/index.js';
import { createRedisEngine } from '../src/redis/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget } from '../src/sql/test-targets.js';
import { sqlVolume, volumePerTest, type SharedVolume } from './base-helpers.js';

// Directory quotas on every engine: limits refuse growth with EDQUOT, usage follows creates,
// writes, truncates, unlinks and renames (flushed as increments, so two clients add up), statfs
// of a directory shows its quota, and check/repair recount the tree.

const ROOT = 1n;
const ctx = ROOT_CONTEXT;
const redisBase = process.env['JFS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6390';

const engines: Array<[string, () => Promise<SharedVolume>]> = [
  ['memory', async () => {
    const engine = new MemoryEngine();
    return { open: async () => engine, cleanup: async () => undefined };
  }],
  ['sqlite3', async () => sqlVolume(freshSqliteTarget())],
  ['redis', async () => {
    const url = `${redisBase.replace(/\/\d*$/, '')}/44`;
    const stores: EngineStore[] = [];
    const first = await createRedisEngine(url);
    let opens = 0;
    await first.reset();
    stores.push(first);
    return {
      open: async () => {
        if (++opens === 1) return first;
        const s = await createRedisEngine(url);
        stores.push(s);
        return s;
      },
      cleanup: async () => {
        await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
        const wipe = await createRedisEngine(url); // the clients closed theirs
        await wipe.reset();
        await wipe.close();
      },
    };
  }],
  ['postgres', async () => sqlVolume(await freshPgTarget())],
  ['mysql', async () => sqlVolume(await freshMysqlTarget())],
];

async function client(v: SharedVolume, init: boolean, dirStats = true): Promise<BaseMeta> {
  const meta = new BaseMeta(await v.open());
  if (init) await meta.init({ ...defaultFormat('quota', '0f7a5e55-0000-4000-8000-00000000900a', '/tmp/quota/'), TrashDays: 0, DirStats: dirStats });
  await meta.load();
  await meta.newSession();
  return meta;
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Grow a file to `length` bytes through a slice write, as a client's flush does. */
function writeTo(meta: BaseMeta, ino: Ino, length: number): Promise<unknown> {
  return meta.write(ctx, ino, 0, { pos: 0, id: 0, size: 0, off: 0, len: length });
}

describe.each(engines)('directory quotas on %s', (_name, makeVolume) => {
  const t = volumePerTest(makeVolume);
  async function newClient(init = false, dirStats = true): Promise<BaseMeta> {
    const c = await client(t.volume, init, dirStats);
    t.clients.push(c);
    return c;
  }

  test('a new quota counts the tree below it; limits refuse creates and growth with EDQUOT', async () => {
    const a = await newClient(true);
    const dir = (await a.mkdir(ctx, ROOT, 'd', 0o755, 0)).ino;
    const sub = (await a.mkdir(ctx, dir, 'sub', 0o755, 0)).ino;
    const f = (await a.create(ctx, sub, 'f', 0o644, 0, 0)).ino;
    await writeTo(a, f, 5000); // 8 KiB of space
    const { created, quota } = await a.setDirQuota(dir, { maxInodes: 4, maxSpace: 64 << 10 });
    expect(created).toBe(true);
    expect(quota).toEqual({ maxSpace: 64 << 10, maxInodes: 4, usedSpace: 4096 + 8192, usedInodes: 2 });

    await a.create(ctx, dir, 'g', 0o644, 0, 0);
    await a.mknod(ctx, sub, 'h', 1 /* file */, 0o644, 0, 0);
    expect(await code(a.create(ctx, sub, 'one-too-many', 0o644, 0, 0))).toBe('EDQUOT');
    expect(await code(a.mkdir(ctx, dir, 'no-room', 0o755, 0))).toBe('EDQUOT');
    // Space: 12 KiB used + 4 KiB for each of g and h's inodes = 20 KiB; growing f past 64 KiB fails.
    expect(await code(writeTo(a, f, 60 << 10))).toBe('EDQUOT');
    expect(await code(a.truncate(ctx, f, 1 << 20))).toBe('EDQUOT');
    await writeTo(a, f, 40 << 10);
    // Outside the quota nothing is limited.
    await a.create(ctx, ROOT, 'outside', 0o644, 0, 0);

    // Raising only the inode limit keeps the space limit.
    const raised = await a.setDirQuota(dir, { maxInodes: 10 });
    expect(raised.created).toBe(false);
    expect(raised.quota.maxSpace).toBe(64 << 10);
    expect(raised.quota.usedInodes).toBe(4);
    await a.create(ctx, sub, 'one-more', 0o644, 0, 0);
    expect(await a.checkDirQuota(dir)).toMatchObject({ consistent: true });
  });

  test('usage follows unlinks, truncates and renames between quota trees, and is flushed as increments', async () => {
    const a = await newClient(true);
    const q1 = (await a.mkdir(ctx, ROOT, 'q1', 0o755, 0)).ino;
    const q2 = (await a.mkdir(ctx, ROOT, 'q2', 0o755, 0)).ino;
    await a.setDirQuota(q1, { maxSpace: 1 << 20 });
    await a.setDirQuota(q2, { maxInodes: 100 });
    const moved = (await a.mkdir(ctx, q1, 'moved', 0o755, 0)).ino;
    const f = (await a.create(ctx, moved, 'f', 0o644, 0, 0)).ino;
    await writeTo(a, f, 10_000);
    const g = (await a.create(ctx, q1, 'g', 0o644, 0, 0)).ino;
    await writeTo(a, g, 4096);
    await a.truncate(ctx, g, 100);
    await a.create(ctx, q1, 'gone', 0o644, 0, 0);
    await a.unlink(ctx, q1, 'gone');
    await a.rename(ctx, q1, 'moved', q2, 'here', 0);

    const b = await newClient();
    await b.create(ctx, q2, 'from-b', 0o644, 0, 0);
    await b.flushSession();
    await a.flushSession();
    const q1Now = (await a.getDirQuota(q1))!;
    const q2Now = (await a.getDirQuota(q2))!;
    expect([q1Now.usedSpace, q1Now.usedInodes]).toEqual([4096, 1]); // g, truncated to 100 bytes
    expect([q2Now.usedSpace, q2Now.usedInodes]).toEqual([4096 + 12288 + 4096, 3]); // here/, here/f, from-b
    for (const q of [q1, q2]) expect(await a.checkDirQuota(q)).toMatchObject({ consistent: true });

    // A move into a full quota is refused with what the moved tree uses.
    await a.setDirQuota(q2, { maxInodes: 4 });
    const big = (await a.mkdir(ctx, q1, 'big', 0o755, 0)).ino;
    await a.create(ctx, big, 'x', 0o644, 0, 0);
    expect(await code(a.rename(ctx, q1, 'big', q2, 'big', 0))).toBe('EDQUOT');
    await a.rename(ctx, big, 'x', q2, 'x', 0); // one inode still fits
  });

  test('statfs of a directory shows its quota; deleting the quota lifts the limit; check --repair recounts', async () => {
    const a = await newClient(true);
    const dir = (await a.mkdir(ctx, ROOT, 'd', 0o755, 0)).ino;
    const inner = (await a.mkdir(ctx, dir, 'inner', 0o755, 0)).ino;
    await a.setDirQuota(dir, { maxSpace: 1 << 20, maxInodes: 2 });
    const st = await a.statFS(ctx, inner);
    expect(st).toMatchObject({ totalSpace: 1 << 20, availSpace: (1 << 20) - 4096, usedInodes: 1, availInodes: 1 });
    const rootSt = await a.statFS(ctx, ROOT);
    expect(rootSt.totalSpace).toBeGreaterThan(1 << 20);

    await a.create(ctx, inner, 'f', 0o644, 0, 0);
    expect(await code(a.create(ctx, inner, 'g', 0o644, 0, 0))).toBe('EDQUOT');
    // Stored usage made wrong behind the clients' back: check says so, repair recounts.
    await a.store.dirQuotas!.set(dir, { maxSpace: 1 << 20, maxInodes: 2 }, { space: 123, inodes: 7 });
    const bad = await a.checkDirQuota(dir);
    expect([bad.consistent, bad.actual]).toEqual([false, { space: 8192, inodes: 2 }]); // inner/ and the empty f: 4 KiB each
    const fixed = await a.checkDirQuota(dir, { repair: true });
    expect(fixed.repaired).toBe(true);
    expect(await a.getDirQuota(dir)).toMatchObject({ usedSpace: 8192, usedInodes: 2 });
    expect((await a.listDirQuotas()).get(dir)).toMatchObject({ maxInodes: 2 });

    expect(await a.deleteDirQuota(dir)).toBe(true);
    expect(await a.deleteDirQuota(dir)).toBe(false);
    await a.create(ctx, inner, 'g', 0o644, 0, 0);
    expect(await code(a.checkDirQuota(dir))).toBe('ENOENT');
  });

  test('quotas go on directories only, never the trash; setting one turns on dir stats', async () => {
    const a = await newClient(true, false);
    const f = (await a.create(ctx, ROOT, 'f', 0o644, 0, 0)).ino;
    const dir = (await a.mkdir(ctx, ROOT, 'd', 0o755, 0)).ino;
    await a.setDirQuota(dir, { maxInodes: 1 });
    expect(JSON.parse((await a.store.getFormat())!)).toMatchObject({ DirStats: true });
    const b = await newClient();
    await b.create(ctx, dir, 'one', 0o644, 0, 0);
    expect(await code(b.create(ctx, dir, 'two', 0o644, 0, 0))).toBe('EDQUOT');
    expect(await code(a.setDirQuota(f, { maxInodes: 1 }))).toBe('ENOTDIR');
    expect(await code(a.setDirQuota(0x7fffffff10000000n, { maxInodes: 1 }))).toBe('EINVAL');
    expect(await code(a.setDirQuota(ROOT, { maxInodes: -1 }))).toBe('EINVAL');
  });
});
