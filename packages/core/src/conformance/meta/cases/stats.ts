import assert from 'node:assert/strict';
import { expectCode, formatted, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'statistics and quotas';

export const statCases: MetaCase[] = [
  {
    group, name: 'statFS counts inodes and 4 KiB-aligned space of new nodes',
    async run(env) {
      const meta = await formatted(env);
      const s0 = await meta.statFS(ROOT, ROOT_INODE);
      const used0 = s0.totalSpace - s0.availSpace;
      await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await meta.write(ROOT, f.ino, 0, { pos: 0, id: await meta.newSlice(), size: 5000, off: 0, len: 5000 });
      const s1 = await meta.statFS(ROOT, ROOT_INODE);
      assert.equal(s1.usedInodes - s0.usedInodes, 2);
      assert.equal(s1.totalSpace - s1.availSpace - used0, 4096 + 8192, 'a directory is 4 KiB, a 5000-byte file 8 KiB');
      assert.ok(s1.availInodes > 0 && s1.availSpace > 0);
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      const s2 = await meta.statFS(ROOT, ROOT_INODE);
      assert.equal(s2.usedInodes - s0.usedInodes, 1);
      assert.equal(s2.totalSpace - s2.availSpace - used0, 4096);
    },
  },
  {
    group, name: 'Inodes quota: creating past it is ENOSPC; statFS reports it',
    needs: ['quotas'],
    async run(env) {
      const meta = await formatted(env, { Inodes: 5 });
      for (let i = 0; i < 5; i++) await mkfile(meta, ROOT_INODE, `f${i}`);
      await expectCode(meta.create(ROOT, ROOT_INODE, 'f5', 0o644, 0, 0), 'ENOSPC', 'the 6th file with Inodes 5');
      await expectCode(meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0), 'ENOSPC', 'a directory with Inodes 5 used');
      const s = await meta.statFS(ROOT, ROOT_INODE);
      assert.equal(s.usedInodes, 5);
      assert.equal(s.availInodes, 0);
      await meta.unlink(ROOT, ROOT_INODE, 'f0');
      await mkfile(meta, ROOT_INODE, 'again');
    },
  },
  {
    group, name: 'Capacity quota: growing past it is ENOSPC; statFS total is the capacity',
    needs: ['quotas'],
    async run(env) {
      const meta = await formatted(env, { Capacity: 64 * 4096 });
      const s = await meta.statFS(ROOT, ROOT_INODE);
      assert.equal(s.totalSpace, 64 * 4096);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const big = { pos: 0, id: await meta.newSlice(), size: 100 * 4096, off: 0, len: 100 * 4096 };
      await expectCode(meta.write(ROOT, f.ino, 0, big), 'ENOSPC', 'a write past the capacity');
      await expectCode(meta.truncate(ROOT, f.ino, 100 * 4096), 'ENOSPC', 'a truncate past the capacity');
      await meta.write(ROOT, f.ino, 0, { pos: 0, id: await meta.newSlice(), size: 8192, off: 0, len: 8192 });
      assert.equal((await meta.getAttr(ROOT, f.ino)).length, 8192);
    },
  },
  {
    group, name: 'getDirStat sums the direct children: length of files, aligned space, count',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      assert.deepEqual(await meta.getDirStat(ROOT, d.ino), { length: 0, space: 0, inodes: 0 });
      const f = await mkfile(meta, d.ino, 'f');
      await meta.write(ROOT, f.ino, 0, { pos: 0, id: await meta.newSlice(), size: 5000, off: 0, len: 5000 });
      const sub = await meta.mkdir(ROOT, d.ino, 'sub', 0o755, 0);
      await mkfile(meta, sub.ino, 'deeper');
      await meta.symlink(ROOT, d.ino, 's', 'f');
      assert.deepEqual(await meta.getDirStat(ROOT, d.ino), { length: 5000, space: 8192 + 4096 + 4096, inodes: 3 });
      await meta.unlink(ROOT, d.ino, 'f');
      assert.deepEqual(await meta.getDirStat(ROOT, d.ino), { length: 0, space: 8192, inodes: 2 });
    },
  },
];
