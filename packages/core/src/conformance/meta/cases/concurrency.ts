import assert from 'node:assert/strict';
import type { Meta } from '../../../meta/meta.js';
import { formatted, names, ROOT, ROOT_INODE, secondClient } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'two clients';

async function clients(env: Parameters<MetaCase['run']>[0]): Promise<Meta[]> {
  const first = await formatted(env);
  return [first, await secondClient(env)];
}

export const concurrencyCases: MetaCase[] = [
  {
    group, name: 'racing creates of one name: exactly one wins, the others get EEXIST',
    needs: ['concurrency'],
    async run(env) {
      const [a, b] = (await clients(env)) as [Meta, Meta];
      const racers = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b));
      const results = await Promise.allSettled(racers.map((m) => m.create(ROOT, ROOT_INODE, 'contested', 0o644, 0, 0)));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, `exactly one create wins, got ${won.length}`);
      for (const r of lost) assert.equal((r.reason as { code?: string }).code, 'EEXIST', String(r.reason));
      const entry = await a.lookup(ROOT, ROOT_INODE, 'contested');
      assert.equal(entry.ino, (won[0] as PromiseFulfilledResult<{ ino: bigint }>).value.ino);
      assert.deepEqual(await names(b, ROOT_INODE), ['contested']);
    },
  },
  {
    group, name: 'racing mkdirs of one name: exactly one wins; the parent nlink counts it once',
    needs: ['concurrency'],
    async run(env) {
      const [a, b] = (await clients(env)) as [Meta, Meta];
      const results = await Promise.allSettled([a, b, a, b].map((m) => m.mkdir(ROOT, ROOT_INODE, 'one', 0o755, 0)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'EEXIST');
      assert.equal((await a.getAttr(ROOT, ROOT_INODE)).nlink, 3);
    },
  },
  {
    group, name: 'concurrent mkdirs of different names in one directory: all present, nlink right',
    needs: ['concurrency'],
    async run(env) {
      const [a, b] = (await clients(env)) as [Meta, Meta];
      const parent = await a.mkdir(ROOT, ROOT_INODE, 'p', 0o755, 0);
      const N = 20;
      await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 ? a : b).mkdir(ROOT, parent.ino, `d${i}`, 0o755, 0)));
      const listed = await names(a, parent.ino);
      assert.deepEqual(listed, Array.from({ length: N }, (_, i) => `d${i}`).sort());
      assert.equal((await b.getAttr(ROOT, parent.ino)).nlink, 2 + N);
    },
  },
  {
    group, name: 'one client sees the other\'s changes (rename, unlink, setattr) at once',
    needs: ['concurrency'],
    async run(env) {
      const [a, b] = (await clients(env)) as [Meta, Meta];
      const f = await a.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
      await a.close(ROOT, f.ino);
      await b.rename(ROOT, ROOT_INODE, 'f', ROOT_INODE, 'g');
      assert.equal((await a.lookup(ROOT, ROOT_INODE, 'g')).ino, f.ino);
      await b.setAttr(ROOT, f.ino, { mode: 0o600 });
      assert.equal((await a.getAttr(ROOT, f.ino)).mode, 0o600);
      const ids = await Promise.all([a.newSlice(), b.newSlice(), a.newSlice(), b.newSlice()]);
      assert.equal(new Set(ids).size, 4, 'slice ids are unique across clients');
    },
  },
  {
    group, name: 'racing unlinks and renames of one entry: exactly one wins, the others get ENOENT',
    needs: ['concurrency'],
    async run(env) {
      const [a, b] = (await clients(env)) as [Meta, Meta];
      const f = await a.create(ROOT, ROOT_INODE, 'victim', 0o644, 0, 0);
      await a.close(ROOT, f.ino);
      const unlinks = await Promise.allSettled([a, b, a, b].map((m) => m.unlink(ROOT, ROOT_INODE, 'victim')));
      assert.equal(unlinks.filter((r) => r.status === 'fulfilled').length, 1, 'one unlink wins');
      for (const r of unlinks) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'ENOENT');
      const g = await a.create(ROOT, ROOT_INODE, 'src', 0o644, 0, 0);
      await a.close(ROOT, g.ino);
      const renames = await Promise.allSettled(
        [a, b, a, b].map((m, i) => m.rename(ROOT, ROOT_INODE, 'src', ROOT_INODE, `dst${i}`)),
      );
      assert.equal(renames.filter((r) => r.status === 'fulfilled').length, 1, 'one rename wins');
      for (const r of renames) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'ENOENT');
      const left = await names(b, ROOT_INODE);
      assert.equal(left.length, 1);
      assert.match(left[0] ?? '', /^dst[0-3]$/);
    },
  },
  {
    group, name: 'concurrent hard links of one file from two clients: every link is counted',
    needs: ['concurrency'],
    async run(env) {
      const [a, b] = (await clients(env)) as [Meta, Meta];
      const f = await a.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
      await a.close(ROOT, f.ino);
      const N = 16;
      await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 ? a : b).link(ROOT, f.ino, ROOT_INODE, `l${i}`)));
      assert.equal((await b.getAttr(ROOT, f.ino)).nlink, N + 1);
      await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 ? b : a).unlink(ROOT, ROOT_INODE, `l${i}`)));
      assert.equal((await a.getAttr(ROOT, f.ino)).nlink, 1);
    },
  },
  {
    group, name: 'concurrent writes from two clients: every slice record is kept and the length is the furthest end',
    needs: ['concurrency'],
    async run(env) {
      const [a, b] = (await clients(env)) as [Meta, Meta];
      const f = await a.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
      const N = 20;
      const ids = await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 ? a : b).newSlice()));
      await Promise.all(ids.map((id, i) => (i % 2 ? a : b).write(ROOT, f.ino, 0, { pos: i * 1000, id, size: 1000, off: 0, len: 1000 })));
      assert.equal((await b.getAttr(ROOT, f.ino)).length, N * 1000);
      const stored = await a.readChunk(ROOT, f.ino, 0);
      assert.deepEqual(stored.map((s) => s.id).sort((x, y) => x - y), [...ids].sort((x, y) => x - y));
      await a.close(ROOT, f.ino);
    },
  },
  {
    group, name: 'concurrent creates, writes and removals from two clients keep directory stats exact',
    needs: ['concurrency'],
    async run(env) {
      const [a, b] = (await clients(env)) as [Meta, Meta];
      const d = await a.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const N = 20;
      await Promise.all(Array.from({ length: N }, async (_, i) => {
        const m = i % 2 ? a : b;
        const f = await m.create(ROOT, d.ino, `f${i}`, 0o644, 0, 0);
        await m.write(ROOT, f.ino, 0, { pos: 0, id: await m.newSlice(), size: 100, off: 0, len: 100 });
        await m.close(ROOT, f.ino);
      }));
      await Promise.all(Array.from({ length: N / 2 }, (_, i) => (i % 2 ? b : a).unlink(ROOT, d.ino, `f${i * 2}`)));
      // Each client may hold its stats back for a second (as JuiceFS does): once both have
      // written them, each sees them all.
      await Promise.all([a.flushSession(), b.flushSession()]);
      assert.deepEqual(await a.getDirStat(ROOT, d.ino), { length: (N / 2) * 100, space: (N / 2) * 4096, inodes: N / 2 });
      assert.deepEqual(await b.getDirStat(ROOT, d.ino), { length: (N / 2) * 100, space: (N / 2) * 4096, inodes: N / 2 });
    },
  },
];
