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
];
