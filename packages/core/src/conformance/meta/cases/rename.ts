import assert from 'node:assert/strict';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../../meta/meta.js';
import { NodeType } from '../../../types/attr.js';
import { ALICE, expectCode, formatted, mkfile, names, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'rename';

export const renameCases: MetaCase[] = [
  {
    group, name: 'rename within a directory and across directories; parent and nlink follow a moved directory',
    async run(env) {
      const meta = await formatted(env);
      const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
      const b = await meta.mkdir(ROOT, ROOT_INODE, 'b', 0o755, 0);
      const f = await mkfile(meta, a.ino, 'f');
      const moved = await meta.rename(ROOT, a.ino, 'f', a.ino, 'g');
      assert.equal(moved.ino, f.ino);
      assert.deepEqual(await names(meta, a.ino), ['g']);
      await meta.rename(ROOT, a.ino, 'g', b.ino, 'h');
      assert.deepEqual(await names(meta, a.ino), []);
      assert.equal((await meta.lookup(ROOT, b.ino, 'h')).ino, f.ino);
      const sub = await meta.mkdir(ROOT, a.ino, 'sub', 0o755, 0);
      assert.equal((await meta.getAttr(ROOT, a.ino)).nlink, 3);
      await meta.rename(ROOT, a.ino, 'sub', b.ino, 'sub2');
      assert.equal((await meta.getAttr(ROOT, a.ino)).nlink, 2);
      assert.equal((await meta.getAttr(ROOT, b.ino)).nlink, 3);
      assert.equal((await meta.getAttr(ROOT, sub.ino)).parent, b.ino);
      assert.equal((await meta.lookup(ROOT, sub.ino, '..')).ino, b.ino);
    },
  },
  {
    group, name: 'rename over an existing file replaces it (the old node goes)',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const g = await mkfile(meta, ROOT_INODE, 'g');
      await meta.rename(ROOT, ROOT_INODE, 'f', ROOT_INODE, 'g');
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'g')).ino, f.ino);
      assert.deepEqual(await names(meta, ROOT_INODE), ['g']);
      await expectCode(meta.getAttr(ROOT, g.ino), 'ENOENT', 'the replaced file');
    },
  },
  {
    group, name: 'rename a directory over an empty directory works, over a non-empty one ENOTEMPTY',
    async run(env) {
      const meta = await formatted(env);
      const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
      const b = await meta.mkdir(ROOT, ROOT_INODE, 'b', 0o755, 0);
      await mkfile(meta, b.ino, 'x');
      await expectCode(meta.rename(ROOT, ROOT_INODE, 'a', ROOT_INODE, 'b'), 'ENOTEMPTY', 'rename over a non-empty directory');
      await meta.unlink(ROOT, b.ino, 'x');
      const before = (await meta.getAttr(ROOT, ROOT_INODE)).nlink;
      await meta.rename(ROOT, ROOT_INODE, 'a', ROOT_INODE, 'b');
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'b')).ino, a.ino);
      assert.equal((await meta.getAttr(ROOT, ROOT_INODE)).nlink, before - 1);
      await expectCode(meta.getAttr(ROOT, b.ino), 'ENOENT', 'the replaced directory');
    },
  },
  {
    group, name: 'file over directory is EISDIR; directory over file is ENOTDIR',
    async run(env) {
      const meta = await formatted(env);
      await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      await mkfile(meta, ROOT_INODE, 'f');
      await expectCode(meta.rename(ROOT, ROOT_INODE, 'f', ROOT_INODE, 'd'), 'EISDIR', 'file over directory');
      await expectCode(meta.rename(ROOT, ROOT_INODE, 'd', ROOT_INODE, 'f'), 'ENOTDIR', 'directory over file');
    },
  },
  {
    group, name: 'moving a directory into itself or its own descendant is EINVAL',
    async run(env) {
      const meta = await formatted(env);
      const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
      const b = await meta.mkdir(ROOT, a.ino, 'b', 0o755, 0);
      const c = await meta.mkdir(ROOT, b.ino, 'c', 0o755, 0);
      await expectCode(meta.rename(ROOT, ROOT_INODE, 'a', c.ino, 'a'), 'EINVAL', 'a into a/b/c');
      await expectCode(meta.rename(ROOT, ROOT_INODE, 'a', a.ino, 'x'), 'EINVAL', 'a into a');
      await expectCode(meta.rename(ROOT, a.ino, 'b', c.ino, 'b'), 'EINVAL', 'a/b into a/b/c');
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'a')).ino, a.ino);
      assert.equal((await meta.lookup(ROOT, a.ino, 'b')).ino, b.ino);
    },
  },
  {
    group, name: 'RENAME_NOREPLACE: EEXIST when the target exists, a plain move otherwise',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const g = await mkfile(meta, ROOT_INODE, 'g');
      await expectCode(meta.rename(ROOT, ROOT_INODE, 'f', ROOT_INODE, 'g', RENAME_NOREPLACE), 'EEXIST', 'NOREPLACE over g');
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'g')).ino, g.ino);
      await meta.rename(ROOT, ROOT_INODE, 'f', ROOT_INODE, 'h', RENAME_NOREPLACE);
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, 'h')).ino, f.ino);
    },
  },
  {
    group, name: 'RENAME_EXCHANGE swaps two entries (file and directory across parents); ENOENT without a target',
    async run(env) {
      const meta = await formatted(env);
      const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
      const b = await meta.mkdir(ROOT, ROOT_INODE, 'b', 0o755, 0);
      const f = await mkfile(meta, a.ino, 'f');
      const d = await meta.mkdir(ROOT, b.ino, 'd', 0o755, 0);
      await meta.rename(ROOT, a.ino, 'f', b.ino, 'd', RENAME_EXCHANGE);
      const inA = await meta.lookup(ROOT, a.ino, 'f');
      const inB = await meta.lookup(ROOT, b.ino, 'd');
      assert.equal(inA.ino, d.ino);
      assert.equal(inA.attr.type, NodeType.Directory);
      assert.equal(inB.ino, f.ino);
      assert.equal((await meta.getAttr(ROOT, a.ino)).nlink, 3, 'a gained a sub-directory');
      assert.equal((await meta.getAttr(ROOT, b.ino)).nlink, 2, 'b lost one');
      assert.equal((await meta.lookup(ROOT, d.ino, '..')).ino, a.ino);
      await expectCode(meta.rename(ROOT, a.ino, 'f', b.ino, 'missing', RENAME_EXCHANGE), 'ENOENT', 'EXCHANGE without a target');
    },
  },
  {
    group, name: 'rename onto another hard link of the same inode does nothing',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await meta.link(ROOT, f.ino, ROOT_INODE, 'g');
      await meta.rename(ROOT, ROOT_INODE, 'f', ROOT_INODE, 'g');
      assert.deepEqual(await names(meta, ROOT_INODE), ['f', 'g']);
      assert.equal((await meta.getAttr(ROOT, f.ino)).nlink, 2);
    },
  },
  {
    group, name: 'renaming onto an ancestor of the source is ENOTEMPTY, checked before EISDIR and permissions (Linux order)',
    async run(env) {
      const meta = await formatted(env);
      const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
      await mkfile(meta, a.ino, 'f');
      await meta.mkdir(ROOT, a.ino, 'sub', 0o755, 0);
      await expectCode(meta.rename(ROOT, a.ino, 'f', ROOT_INODE, 'a'), 'ENOTEMPTY', 'file a/f onto its ancestor a');
      await expectCode(meta.rename(ROOT, a.ino, 'sub', ROOT_INODE, 'a'), 'ENOTEMPTY', 'directory a/sub onto its ancestor a');
      await expectCode(meta.rename(ROOT, a.ino, 'missing', ROOT_INODE, 'a'), 'ENOENT', 'a missing source comes first');
      await expectCode(meta.rename(ROOT, a.ino, 'sub', ROOT_INODE, 'a', RENAME_EXCHANGE), 'EINVAL', 'EXCHANGE with an ancestor');
    },
  },
  {
    group, name: 'moving a directory to another parent needs write permission on the directory itself',
    async run(env) {
      const meta = await formatted(env);
      const src = await meta.mkdir(ROOT, ROOT_INODE, 'src', 0o777, 0);
      const dst = await meta.mkdir(ROOT, ROOT_INODE, 'dst', 0o777, 0);
      await meta.mkdir(ROOT, src.ino, 'rootdir', 0o755, 0);
      await meta.mkdir(ALICE, src.ino, 'alicedir', 0o755, 0);
      await mkfile(meta, src.ino, 'rootfile', ROOT, 0o644);
      await expectCode(meta.rename(ALICE, src.ino, 'rootdir', dst.ino, 'x'), 'EACCES', "moving root's 0755 directory to another parent");
      await meta.rename(ALICE, src.ino, 'rootdir', src.ino, 'renamed');
      await meta.rename(ALICE, src.ino, 'alicedir', dst.ino, 'alicedir');
      await meta.rename(ALICE, src.ino, 'rootfile', dst.ino, 'rootfile');
    },
  },
];
