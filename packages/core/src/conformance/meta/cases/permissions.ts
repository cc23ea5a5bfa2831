import assert from 'node:assert/strict';
import { ALICE, BOB, CAROL, expectCode, formatted, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'permissions';

export const permissionCases: MetaCase[] = [
  {
    group, name: 'creating or removing needs write and search permission on the parent (EACCES)',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ALICE, ROOT_INODE, 'd', 0o755, 0);
      await mkfile(meta, d.ino, 'f', ALICE);
      await expectCode(meta.mkdir(BOB, d.ino, 'x', 0o755, 0), 'EACCES', 'mkdir in a 0755 dir of another user');
      await expectCode(meta.create(BOB, d.ino, 'x', 0o644, 0, 0), 'EACCES', 'create in a 0755 dir of another user');
      await expectCode(meta.unlink(BOB, d.ino, 'f'), 'EACCES', 'unlink in a 0755 dir of another user');
      await expectCode(meta.rename(BOB, d.ino, 'f', ROOT_INODE, 'stolen'), 'EACCES', 'rename out of a 0755 dir of another user');
      await expectCode(meta.symlink(BOB, d.ino, 's', 'f'), 'EACCES', 'symlink in a 0755 dir of another user');
      await meta.setAttr(ALICE, d.ino, { mode: 0o775 });
      await mkfile(meta, d.ino, 'by-carol', CAROL);
      const noX = await meta.mkdir(ALICE, ROOT_INODE, 'nox', 0o766, 0);
      await expectCode(meta.create(BOB, noX.ino, 'x', 0o644, 0, 0), 'EACCES', 'create in a dir without x for others');
      await mkfile(meta, d.ino, 'by-root', ROOT);
    },
  },
  {
    group, name: 'sticky directory: only the owner of the entry or of the directory (or root) may remove or rename it',
    async run(env) {
      const meta = await formatted(env);
      const tmp = await meta.mkdir(ROOT, ROOT_INODE, 'tmp', 0o1777, 0);
      assert.equal(tmp.attr.mode, 0o1777);
      await mkfile(meta, tmp.ino, 'alices', ALICE);
      await mkfile(meta, tmp.ino, 'alices2', ALICE);
      await mkfile(meta, tmp.ino, 'bobs', BOB);
      await expectCode(meta.unlink(BOB, tmp.ino, 'alices'), 'EPERM', "bob unlinks alice's file in a sticky dir");
      await expectCode(meta.rename(BOB, tmp.ino, 'alices', tmp.ino, 'mine'), 'EPERM', "bob renames alice's file in a sticky dir");
      await expectCode(meta.rename(BOB, tmp.ino, 'bobs', tmp.ino, 'alices'), 'EPERM', "bob replaces alice's file in a sticky dir");
      await meta.unlink(ALICE, tmp.ino, 'alices');
      await meta.unlink(BOB, tmp.ino, 'bobs');
      await meta.unlink(ROOT, tmp.ino, 'alices2');
    },
  },
  {
    group, name: 'chmod by an owner outside the file\'s group drops setgid; root keeps it',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f', ALICE);
      await meta.setAttr(ROOT, f.ino, { gid: 4242 });
      assert.equal((await meta.setAttr(ALICE, f.ino, { mode: 0o2755 })).mode, 0o755);
      assert.equal((await meta.setAttr(ROOT, f.ino, { mode: 0o2755 })).mode, 0o2755);
      const g = await mkfile(meta, ROOT_INODE, 'g', ALICE);
      assert.equal((await meta.setAttr(ALICE, g.ino, { mode: 0o2755 })).mode, 0o2755, 'in the group: setgid stays');
    },
  },
  {
    group, name: 'setgid directories pass their group to new nodes and setgid to new sub-directories',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'shared', 0o2777, 0);
      await meta.setAttr(ROOT, d.ino, { gid: 5000 });
      const f = await mkfile(meta, d.ino, 'f', ALICE);
      assert.equal(f.attr.gid, 5000);
      const sub = await meta.mkdir(ALICE, d.ino, 'sub', 0o755, 0);
      assert.equal(sub.attr.gid, 5000);
      assert.equal(sub.attr.mode & 0o2000, 0o2000);
    },
  },
  {
    group, name: 'Linux order of checks: EEXIST before write permission, and before EPERM for a hard link to a directory',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const f = await mkfile(meta, d.ino, 'f');
      await expectCode(meta.mkdir(ALICE, d.ino, 'f', 0o755, 0), 'EEXIST', 'mkdir of an existing name without write permission');
      await expectCode(meta.create(ALICE, d.ino, 'f', 0o644, 0, 0), 'EEXIST', 'create of an existing name without write permission');
      await expectCode(meta.link(ALICE, f.ino, d.ino, 'f'), 'EEXIST', 'link onto an existing name without write permission');
      await expectCode(meta.link(ROOT, d.ino, ROOT_INODE, 'd'), 'EEXIST', 'link of a directory onto an existing name');
      await expectCode(meta.mkdir(ALICE, d.ino, 'new', 0o755, 0), 'EACCES', 'mkdir of a new name without write permission');
      await expectCode(meta.link(ALICE, d.ino, d.ino, 'new'), 'EACCES', 'link of a directory without write permission');
      await expectCode(meta.link(ROOT, d.ino, d.ino, 'new'), 'EPERM', 'link of a directory');
    },
  },
];
