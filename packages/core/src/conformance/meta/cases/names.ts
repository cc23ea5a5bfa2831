import assert from 'node:assert/strict';
import { expectCode, formatted, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'names';
const LONG = 'n'.repeat(256);
const MAX = 'm'.repeat(255);

export const nameCases: MetaCase[] = [
  {
    group, name: "names with '/' or NUL are EINVAL, longer than 255 bytes ENAMETOOLONG, empty ENOENT",
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      for (const [bad, code] of [['a/b', 'EINVAL'], ['a\0b', 'EINVAL'], [LONG, 'ENAMETOOLONG'], ['', 'ENOENT']] as const) {
        const label = JSON.stringify(bad.length > 20 ? `${bad.slice(0, 5)}…(${bad.length})` : bad);
        await expectCode(meta.mkdir(ROOT, ROOT_INODE, bad, 0o755, 0), code, `mkdir ${label}`);
        await expectCode(meta.create(ROOT, ROOT_INODE, bad, 0o644, 0, 0), code, `create ${label}`);
        await expectCode(meta.mknod(ROOT, ROOT_INODE, bad, 4, 0o644, 0), code, `mknod ${label}`);
        await expectCode(meta.symlink(ROOT, ROOT_INODE, bad, 'target'), code, `symlink ${label}`);
        await expectCode(meta.link(ROOT, f.ino, ROOT_INODE, bad), code, `link ${label}`);
        await expectCode(meta.rename(ROOT, ROOT_INODE, 'f', ROOT_INODE, bad), code, `rename to ${label}`);
      }
      await expectCode(meta.lookup(ROOT, ROOT_INODE, LONG), 'ENAMETOOLONG', 'lookup of a 256-byte name');
      assert.deepEqual((await meta.lookup(ROOT, ROOT_INODE, 'f')).ino, f.ino, 'the file is still in place');
    },
  },
  {
    group, name: 'a 255-byte name and arbitrary non-UTF-8 bytes are fine',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, MAX, 0o755, 0);
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, MAX)).ino, d.ino);
      const raw = Buffer.from([0xff, 0xfe, 0x80, 0x41]);
      const f = await meta.create(ROOT, ROOT_INODE, raw, 0o644, 0, 0);
      assert.equal((await meta.lookup(ROOT, ROOT_INODE, raw)).ino, f.ino);
      const listed = (await meta.readdir(ROOT, ROOT_INODE)).entries.map((e) => e.name);
      assert.ok(listed.some((n) => n.equals(raw)), 'readdir returns the raw bytes');
    },
  },
  {
    group, name: '"." and "..": creating them is EEXIST; rmdir "." EINVAL, rmdir ".." ENOTEMPTY',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      for (const dot of ['.', '..']) {
        await expectCode(meta.mkdir(ROOT, d.ino, dot, 0o755, 0), 'EEXIST', `mkdir "${dot}"`);
        await expectCode(meta.create(ROOT, d.ino, dot, 0o644, 0, 0), 'EEXIST', `create "${dot}"`);
        await expectCode(meta.symlink(ROOT, d.ino, dot, 'x'), 'EEXIST', `symlink "${dot}"`);
      }
      await expectCode(meta.rmdir(ROOT, d.ino, '.'), 'EINVAL', 'rmdir "."');
      await expectCode(meta.rmdir(ROOT, d.ino, '..'), 'ENOTEMPTY', 'rmdir ".."');
    },
  },
];
