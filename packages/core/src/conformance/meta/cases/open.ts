import assert from 'node:assert/strict';
import { ALICE, BOB, expectCode, formatted, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'open files';
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;

export const openCases: MetaCase[] = [
  {
    group, name: 'open checks permission for the access mode; a directory opened for writing is EISDIR',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      await expectCode(meta.open(ROOT, d.ino, O_WRONLY), 'EISDIR', 'open of a directory for writing');
      await expectCode(meta.open(BOB, d.ino, O_RDWR), 'EISDIR', 'EISDIR comes before the permission check');
      const f = await mkfile(meta, ROOT_INODE, 'f', ALICE, 0o640);
      await meta.open(ALICE, f.ino, O_RDWR);
      await meta.close(ALICE, f.ino);
      await expectCode(meta.open(BOB, f.ino, O_RDONLY), 'EACCES', 'open for reading without r');
      await expectCode(meta.open(BOB, f.ino, O_WRONLY), 'EACCES', 'open for writing without w');
      const ro = await mkfile(meta, ROOT_INODE, 'ro', ALICE, 0o444);
      await expectCode(meta.open(ALICE, ro.ino, O_WRONLY), 'EACCES', 'owner open for writing of 0444');
      const a = await meta.open(ALICE, ro.ino, O_RDONLY);
      assert.equal(a.mode, 0o444);
      await meta.close(ALICE, ro.ino);
    },
  },
  {
    group, name: 'a file unlinked while open keeps its attributes and data until the last close',
    async run(env) {
      const meta = await formatted(env);
      const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
      const id = await meta.newSlice();
      await meta.write(ROOT, f.ino, 0, { pos: 0, id, size: 4096, off: 0, len: 4096 });
      await meta.open(ROOT, f.ino, O_RDONLY); // two opens now
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      await expectCode(meta.lookup(ROOT, ROOT_INODE, 'f'), 'ENOENT', 'lookup after unlink');
      const a = await meta.getAttr(ROOT, f.ino);
      assert.equal(a.nlink, 0);
      assert.equal(a.length, 4096);
      assert.deepEqual((await meta.readChunk(ROOT, f.ino, 0)).map((s) => s.id), [id]);
      await meta.close(ROOT, f.ino);
      assert.equal((await meta.getAttr(ROOT, f.ino)).nlink, 0, 'still there while one open remains');
      await meta.close(ROOT, f.ino);
      await expectCode(meta.getAttr(ROOT, f.ino), 'ENOENT', 'getAttr after the last close');
    },
  },
  {
    group, name: 'a file replaced by rename while open stays readable until closed',
    async run(env) {
      const meta = await formatted(env);
      const victim = await meta.create(ROOT, ROOT_INODE, 'victim', 0o644, 0, 0);
      await mkfile(meta, ROOT_INODE, 'new');
      await meta.rename(ROOT, ROOT_INODE, 'new', ROOT_INODE, 'victim');
      assert.equal((await meta.getAttr(ROOT, victim.ino)).nlink, 0);
      await meta.close(ROOT, victim.ino);
      await expectCode(meta.getAttr(ROOT, victim.ino), 'ENOENT', 'after close');
    },
  },
];
