import assert from 'node:assert/strict';
import { XATTR_CREATE, XATTR_REPLACE } from '../../../meta/meta.js';
import { expectCode, formatted, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'xattrs';

export const xattrCases: MetaCase[] = [
  {
    group, name: 'set, get, list, replace and remove; ENODATA for missing ones',
    needs: ['xattrs'],
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await expectCode(meta.getXattr(ROOT, f.ino, 'user.a'), 'ENODATA', 'get of a missing xattr');
      assert.deepEqual(await meta.listXattr(ROOT, f.ino), []);
      await meta.setXattr(ROOT, f.ino, 'user.a', Buffer.from('one'), 0);
      await meta.setXattr(ROOT, f.ino, 'user.b', Buffer.from([0, 1, 2, 255]), 0);
      await meta.setXattr(ROOT, f.ino, 'user.empty', Buffer.alloc(0), 0);
      assert.deepEqual(await meta.getXattr(ROOT, f.ino, 'user.a'), Buffer.from('one'));
      assert.deepEqual(await meta.getXattr(ROOT, f.ino, 'user.b'), Buffer.from([0, 1, 2, 255]));
      assert.deepEqual(await meta.getXattr(ROOT, f.ino, 'user.empty'), Buffer.alloc(0));
      assert.deepEqual((await meta.listXattr(ROOT, f.ino)).sort(), ['user.a', 'user.b', 'user.empty']);
      await meta.setXattr(ROOT, f.ino, 'user.a', Buffer.from('two'), 0);
      assert.deepEqual(await meta.getXattr(ROOT, f.ino, 'user.a'), Buffer.from('two'));
      await meta.removeXattr(ROOT, f.ino, 'user.a');
      await expectCode(meta.getXattr(ROOT, f.ino, 'user.a'), 'ENODATA', 'get after remove');
      await expectCode(meta.removeXattr(ROOT, f.ino, 'user.a'), 'ENODATA', 'remove of a missing xattr');
      assert.deepEqual((await meta.listXattr(ROOT, f.ino)).sort(), ['user.b', 'user.empty']);
    },
  },
  {
    group, name: 'XATTR_CREATE fails with EEXIST on an existing name; XATTR_REPLACE with ENODATA on a missing one',
    needs: ['xattrs'],
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await meta.setXattr(ROOT, f.ino, 'user.x', Buffer.from('1'), XATTR_CREATE);
      await expectCode(meta.setXattr(ROOT, f.ino, 'user.x', Buffer.from('2'), XATTR_CREATE), 'EEXIST', 'XATTR_CREATE on existing');
      assert.deepEqual(await meta.getXattr(ROOT, f.ino, 'user.x'), Buffer.from('1'));
      await expectCode(meta.setXattr(ROOT, f.ino, 'user.y', Buffer.from('2'), XATTR_REPLACE), 'ENODATA', 'XATTR_REPLACE on missing');
      await expectCode(meta.getXattr(ROOT, f.ino, 'user.y'), 'ENODATA', 'nothing was created');
      await meta.setXattr(ROOT, f.ino, 'user.x', Buffer.from('3'), XATTR_REPLACE);
      assert.deepEqual(await meta.getXattr(ROOT, f.ino, 'user.x'), Buffer.from('3'));
    },
  },
  {
    group, name: 'xattrs of a missing inode: ENOENT; empty name: EINVAL; xattrs go with their node',
    needs: ['xattrs'],
    async run(env) {
      const meta = await formatted(env);
      await expectCode(meta.getXattr(ROOT, 987654321n, 'user.a'), 'ENOENT', 'getXattr of a missing inode');
      await expectCode(meta.setXattr(ROOT, 987654321n, 'user.a', Buffer.from('v'), 0), 'ENOENT', 'setXattr of a missing inode');
      await expectCode(meta.listXattr(ROOT, 987654321n), 'ENOENT', 'listXattr of a missing inode');
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      await expectCode(meta.setXattr(ROOT, d.ino, '', Buffer.from('v'), 0), 'EINVAL', 'empty xattr name');
      await meta.setXattr(ROOT, d.ino, 'user.dir', Buffer.from('v'), 0);
      assert.deepEqual(await meta.getXattr(ROOT, d.ino, 'user.dir'), Buffer.from('v'));
      await meta.rmdir(ROOT, ROOT_INODE, 'd');
      const again = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      assert.deepEqual(await meta.listXattr(ROOT, again.ino), []);
    },
  },
  {
    group, name: 'xattr limits: a name over 255 bytes is ERANGE, a value over 64 KiB E2BIG',
    needs: ['xattrs'],
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await expectCode(meta.setXattr(ROOT, f.ino, `user.${'n'.repeat(251)}`, Buffer.from('v'), 0), 'ERANGE', '256-byte xattr name');
      await expectCode(meta.setXattr(ROOT, f.ino, 'user.big', Buffer.alloc(65537), 0), 'E2BIG', '65537-byte value');
      await meta.setXattr(ROOT, f.ino, `user.${'n'.repeat(250)}`, Buffer.alloc(65535, 7), 0);
      assert.equal((await meta.getXattr(ROOT, f.ino, `user.${'n'.repeat(250)}`)).length, 65535);
    },
  },
  {
    group, name: 'xattr limits: a value of exactly 64 KiB is stored',
    needs: ['xattrs', 'xattrValue64KiB'],
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await meta.setXattr(ROOT, f.ino, `user.${'n'.repeat(250)}`, Buffer.alloc(65536, 7), 0);
      assert.equal((await meta.getXattr(ROOT, f.ino, `user.${'n'.repeat(250)}`)).length, 65536);
    },
  },
];
