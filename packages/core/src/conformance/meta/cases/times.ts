import assert from 'node:assert/strict';
import type { Meta } from '../../../meta/meta.js';
import type { Ino } from '../../../types/inode.js';
import { formatted, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'timestamps';
const OLD = { sec: 1000000000, nsec: 0 };

/** Set a node's times far in the past so any update is visible without waiting. */
async function age(meta: Meta, ino: Ino): Promise<void> {
  await meta.setAttr(ROOT, ino, { atime: OLD, mtime: OLD, ctime: OLD });
}

async function changed(meta: Meta, ino: Ino): Promise<{ mtime: boolean; ctime: boolean }> {
  const a = await meta.getAttr(ROOT, ino);
  return { mtime: a.mtime > OLD.sec, ctime: a.ctime > OLD.sec };
}

export const timeCases: MetaCase[] = [
  {
    group, name: 'creating, removing and renaming entries updates the directories\' mtime and ctime',
    async run(env) {
      const meta = await formatted(env);
      const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
      const b = await meta.mkdir(ROOT, ROOT_INODE, 'b', 0o755, 0);
      await age(meta, a.ino);
      const ctimeKept = await meta.getAttr(ROOT, a.ino);
      assert.equal(ctimeKept.ctime, OLD.sec, 'setAttr with an explicit ctime stores it');
      await mkfile(meta, a.ino, 'f');
      assert.deepEqual(await changed(meta, a.ino), { mtime: true, ctime: true }, 'after create');
      await age(meta, a.ino);
      await meta.mkdir(ROOT, a.ino, 'sub', 0o755, 0);
      assert.deepEqual(await changed(meta, a.ino), { mtime: true, ctime: true }, 'after mkdir');
      await age(meta, a.ino);
      await meta.unlink(ROOT, a.ino, 'f');
      assert.deepEqual(await changed(meta, a.ino), { mtime: true, ctime: true }, 'after unlink');
      await age(meta, a.ino);
      await age(meta, b.ino);
      await meta.rename(ROOT, a.ino, 'sub', b.ino, 'sub');
      assert.deepEqual(await changed(meta, a.ino), { mtime: true, ctime: true }, 'rename source directory');
      assert.deepEqual(await changed(meta, b.ino), { mtime: true, ctime: true }, 'rename target directory');
      await age(meta, b.ino);
      await meta.rmdir(ROOT, b.ino, 'sub');
      assert.deepEqual(await changed(meta, b.ino), { mtime: true, ctime: true }, 'after rmdir');
    },
  },
  {
    group, name: 'link and rename change the node\'s ctime but not its mtime',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await age(meta, f.ino);
      await meta.link(ROOT, f.ino, ROOT_INODE, 'g');
      assert.deepEqual(await changed(meta, f.ino), { mtime: false, ctime: true }, 'after link');
      await age(meta, f.ino);
      await meta.rename(ROOT, ROOT_INODE, 'g', ROOT_INODE, 'h');
      assert.deepEqual(await changed(meta, f.ino), { mtime: false, ctime: true }, 'after rename');
      await age(meta, f.ino);
      await meta.unlink(ROOT, ROOT_INODE, 'h');
      assert.deepEqual(await changed(meta, f.ino), { mtime: false, ctime: true }, 'unlink of one of two links');
    },
  },
  {
    group, name: 'write and truncate change mtime and ctime; chmod only ctime',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await age(meta, f.ino);
      await meta.write(ROOT, f.ino, 0, { pos: 0, id: await meta.newSlice(), size: 10, off: 0, len: 10 });
      assert.deepEqual(await changed(meta, f.ino), { mtime: true, ctime: true }, 'after write');
      await age(meta, f.ino);
      await meta.truncate(ROOT, f.ino, 5);
      assert.deepEqual(await changed(meta, f.ino), { mtime: true, ctime: true }, 'after truncate');
      await age(meta, f.ino);
      await meta.setAttr(ROOT, f.ino, { mode: 0o600 });
      assert.deepEqual(await changed(meta, f.ino), { mtime: false, ctime: true }, 'after chmod');
    },
  },
];
