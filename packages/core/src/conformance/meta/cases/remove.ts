import assert from 'node:assert/strict';
import { NodeType } from '../../../types/attr.js';
import { expectCode, formatted, mkfile, names, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'unlink, rmdir and link';

export const removeCases: MetaCase[] = [
  {
    group, name: 'unlink removes the entry and (trash off) the node',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      await expectCode(meta.lookup(ROOT, ROOT_INODE, 'f'), 'ENOENT', 'lookup after unlink');
      await expectCode(meta.getAttr(ROOT, f.ino), 'ENOENT', 'getAttr of an unlinked, closed file');
      assert.deepEqual(await names(meta, ROOT_INODE), []);
    },
  },
  {
    group, name: 'unlink of a directory is EISDIR; rmdir of a file is ENOTDIR',
    async run(env) {
      const meta = await formatted(env);
      await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      await mkfile(meta, ROOT_INODE, 'f');
      await expectCode(meta.unlink(ROOT, ROOT_INODE, 'd'), 'EISDIR', 'unlink of a directory');
      await expectCode(meta.rmdir(ROOT, ROOT_INODE, 'f'), 'ENOTDIR', 'rmdir of a file');
    },
  },
  {
    group, name: 'rmdir of a non-empty directory is ENOTEMPTY; empty one goes and parent nlink drops',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      await mkfile(meta, d.ino, 'child');
      await expectCode(meta.rmdir(ROOT, ROOT_INODE, 'd'), 'ENOTEMPTY', 'rmdir of a non-empty directory');
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'd')).ino, d.ino, 'the directory is still there');
      assert.equal((await meta.lookup(ROOT, d.ino, 'child')).attr.type, NodeType.File, 'and so is its child');
      await meta.unlink(ROOT, d.ino, 'child');
      const rootBefore = await meta.getAttr(ROOT, ROOT_INODE);
      await meta.rmdir(ROOT, ROOT_INODE, 'd');
      await expectCode(meta.lookup(ROOT, ROOT_INODE, 'd'), 'ENOENT', 'lookup after rmdir');
      assert.equal((await meta.getAttr(ROOT, ROOT_INODE)).nlink, rootBefore.nlink - 1);
    },
  },
  {
    group, name: 'a directory with a sub-directory is not empty either',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      await meta.mkdir(ROOT, d.ino, 'sub', 0o755, 0);
      await expectCode(meta.rmdir(ROOT, ROOT_INODE, 'd'), 'ENOTEMPTY', 'rmdir of a directory holding a directory');
    },
  },
  {
    group, name: 'hard links: nlink counts up and down, the node lives until the last link goes',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      let a = await meta.link(ROOT, f.ino, d.ino, 'l1');
      assert.equal(a.nlink, 2);
      a = await meta.link(ROOT, f.ino, ROOT_INODE, 'l2');
      assert.equal(a.nlink, 3);
      assert.equal((await meta.getAttr(ROOT, f.ino)).nlink, 3);
      assert.equal((await meta.lookup(ROOT, d.ino, 'l1')).ino, f.ino);
      await expectCode(meta.link(ROOT, f.ino, ROOT_INODE, 'l2'), 'EEXIST', 'link over an existing name');
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      assert.equal((await meta.getAttr(ROOT, f.ino)).nlink, 2);
      await meta.unlink(ROOT, d.ino, 'l1');
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'l2')).attr.nlink, 1);
      await meta.unlink(ROOT, ROOT_INODE, 'l2');
      await expectCode(meta.getAttr(ROOT, f.ino), 'ENOENT', 'getAttr after the last link went');
    },
  },
  {
    group, name: 'link to a directory is EPERM; link into a file is ENOTDIR',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await expectCode(meta.link(ROOT, d.ino, ROOT_INODE, 'dl'), 'EPERM', 'hard link to a directory');
      await expectCode(meta.link(ROOT, f.ino, f.ino, 'x'), 'ENOTDIR', 'link with a file as parent');
    },
  },
  {
    group, name: 'unlink of a symlink removes the link, not its target',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await meta.symlink(ROOT, ROOT_INODE, 's', 'f');
      await meta.unlink(ROOT, ROOT_INODE, 's');
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'f')).ino, f.ino);
      assert.deepEqual(await names(meta, ROOT_INODE), ['f']);
    },
  },
  {
    group, name: 'a node that got a second hard link reports parent 0',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      assert.equal(f.attr.parent, ROOT_INODE);
      await meta.link(ROOT, f.ino, ROOT_INODE, 'g');
      assert.equal((await meta.getAttr(ROOT, f.ino)).parent, 0n);
    },
  },
];
