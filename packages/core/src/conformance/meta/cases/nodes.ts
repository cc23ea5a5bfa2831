import assert from 'node:assert/strict';
import { F_OK, R_OK, W_OK, X_OK } from '../../../meta/meta.js';
import { NodeType } from '../../../types/attr.js';
import { ALICE, BOB, CAROL, expectCode, formatted, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'nodes';
const MISSING = 987654321n;

export const nodeCases: MetaCase[] = [
  {
    group, name: 'storage tier (JuiceFS 1.4): root sets it with setattr (ctime moves), new nodes inherit their directory\'s, others get EPERM, 4 is EINVAL',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ALICE, ROOT_INODE, 'cold', 0o777, 0o022);
      assert.equal(d.attr.tier, 0);
      await expectCode(meta.setAttr(ALICE, d.ino, { tier: 2 }), 'EPERM', 'tier set by the owner, not root');
      await expectCode(meta.setAttr(ROOT, d.ino, { tier: 4 }), 'EINVAL', 'tier 4');
      const set = await meta.setAttr(ROOT, d.ino, { tier: 2 });
      assert.equal(set.tier, 2);
      assert.equal((await meta.getAttr(ROOT, d.ino)).tier, 2);
      const f = await meta.create(ALICE, d.ino, 'f', 0o644, 0o022, 0);
      const sub = await meta.mkdir(ALICE, d.ino, 'sub', 0o755, 0o022);
      const deeper = await meta.mknod(ALICE, sub.ino, 'g', NodeType.File, 0o644, 0o022);
      assert.deepEqual([f.attr.tier, sub.attr.tier, deeper.attr.tier], [2, 2, 2]);
      assert.equal((await meta.lookup(ROOT, d.ino, 'f')).attr.tier, 2);
      await meta.setAttr(ROOT, f.ino, { ctime: { sec: 1_600_000_000, nsec: 0 } });
      const back = await meta.setAttr(ROOT, f.ino, { tier: 0 });
      assert.equal(back.tier, 0);
      assert.ok(Number(back.ctime) > 1_600_000_000, 'a tier change moves ctime to now');
      assert.equal((await meta.create(ALICE, ROOT_INODE, 'hot', 0o644, 0o022, 0)).attr.tier, 0);
    },
  },
  {
    group, name: 'mknod, mkdir, create, symlink: the directory attributes given back with a new node (parentAttr) are what getAttr reads next',
    async run(env) {
      const meta = await formatted(env);
      // Optional in the contract: an engine that gives it must give the directory as stored, and
      // each is compared before the next change to that directory.
      const given: Array<{ op: string; nlink: number }> = [];
      const check = async (op: string, parent: bigint, r: Awaited<ReturnType<typeof meta.create>>) => {
        if (r.parentAttr === undefined) return r;
        assert.deepEqual(r.parentAttr, await meta.getAttr(ROOT, parent), `${op}: parentAttr`);
        given.push({ op, nlink: r.parentAttr.nlink });
        return r;
      };
      const d = await check('mkdir in the root', ROOT_INODE, await meta.mkdir(ALICE, ROOT_INODE, 'p', 0o777, 0o022));
      await check('create', d.ino, await meta.create(ALICE, d.ino, 'f', 0o644, 0o022, 0));
      await check('mknod', d.ino, await meta.mknod(ALICE, d.ino, 'fifo', NodeType.FIFO, 0o644, 0o022));
      await check('mkdir', d.ino, await meta.mkdir(ALICE, d.ino, 'sub', 0o755, 0o022));
      await check('symlink', d.ino, await meta.symlink(ALICE, d.ino, 'link', 'f'));
      const sub = given.find((g) => g.op === 'mkdir');
      if (sub) assert.equal(sub.nlink, 3, 'a new subdirectory counts in the link count of parentAttr');
    },
  },
  {
    group, name: 'mkdir: mode minus umask, owner from ctx, nlink 2, parent nlink +1, lookup finds it',
    async run(env) {
      const meta = await formatted(env);
      const before = await meta.getAttr(ROOT, ROOT_INODE);
      const d = await meta.mkdir(ALICE, ROOT_INODE, 'd', 0o777, 0o022);
      assert.equal(d.attr.type, NodeType.Directory);
      assert.equal(d.attr.mode, 0o755);
      assert.equal(d.attr.uid, 1000);
      assert.equal(d.attr.gid, 1000);
      assert.equal(d.attr.nlink, 2);
      assert.equal(d.attr.length, 4096);
      assert.equal(d.attr.parent, ROOT_INODE);
      const root = await meta.getAttr(ROOT, ROOT_INODE);
      assert.equal(root.nlink, before.nlink + 1);
      const found = await meta.lookup(ROOT, ROOT_INODE, 'd');
      assert.equal(found.ino, d.ino);
      assert.deepEqual(found.attr, await meta.getAttr(ROOT, d.ino));
      await expectCode(meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0), 'EEXIST', 'mkdir of an existing name');
    },
  },
  {
    group, name: 'create: a regular file of length 0, nlink 1; EEXIST on an existing name',
    async run(env) {
      const meta = await formatted(env);
      const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o666, 0o022, 0);
      assert.equal(f.attr.type, NodeType.File);
      assert.equal(f.attr.mode, 0o644);
      assert.equal(f.attr.length, 0);
      assert.equal(f.attr.nlink, 1);
      await meta.close(ROOT, f.ino);
      await expectCode(meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0), 'EEXIST', 'create of an existing name');
      assert.ok(f.ino > ROOT_INODE, 'new inode numbers are above the root');
    },
  },
  {
    group, name: 'mknod of every type: file, fifo, socket, block and char devices with rdev',
    async run(env) {
      const meta = await formatted(env);
      const types = [NodeType.File, NodeType.FIFO, NodeType.Socket, NodeType.BlockDev, NodeType.CharDev] as const;
      const inos = new Set<bigint>();
      for (const t of types) {
        const rdev = t === NodeType.BlockDev || t === NodeType.CharDev ? 0x0801 : 0;
        const n = await meta.mknod(ROOT, ROOT_INODE, `n${t}`, t, 0o640, 0, rdev);
        inos.add(n.ino);
        const a = await meta.getAttr(ROOT, n.ino);
        assert.equal(a.type, t);
        assert.equal(a.mode, 0o640);
        assert.equal(a.nlink, 1);
        assert.equal(a.length, 0);
        assert.equal(a.rdev, rdev);
        assert.equal((await meta.lookup(ROOT, ROOT_INODE, `n${t}`)).attr.type, t);
      }
      assert.equal(inos.size, types.length, 'every node gets its own inode');
    },
  },
  {
    group, name: 'symlink and readlink: target kept byte for byte, length = target bytes',
    async run(env) {
      const meta = await formatted(env);
      const target = Buffer.from('../some/where/\xe9t\xe9', 'latin1');
      const s = await meta.symlink(ROOT, ROOT_INODE, 'ln', target);
      assert.equal(s.attr.type, NodeType.Symlink);
      assert.equal(s.attr.length, target.length);
      assert.equal(s.attr.mode, 0o777);
      assert.deepEqual(await meta.readlink(ROOT, s.ino), target);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await expectCode(meta.readlink(ROOT, f.ino), 'EINVAL', 'readlink of a regular file');
      await expectCode(meta.symlink(ROOT, ROOT_INODE, 'long', 'x'.repeat(4097)), 'ENAMETOOLONG', 'symlink target > 4096');
    },
  },
  {
    group, name: 'lookup of "." and ".." in a sub-directory',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      assert.equal((await meta.lookup(ROOT, d.ino, '.')).ino, d.ino);
      assert.equal((await meta.lookup(ROOT, d.ino, '..')).ino, ROOT_INODE);
    },
  },
  {
    group, name: 'operations on a missing inode fail with ENOENT',
    async run(env) {
      const meta = await formatted(env);
      await expectCode(meta.getAttr(ROOT, MISSING), 'ENOENT', 'getAttr');
      await expectCode(meta.setAttr(ROOT, MISSING, { mode: 0o600 }), 'ENOENT', 'setAttr');
      await expectCode(meta.lookup(ROOT, ROOT_INODE, 'nope'), 'ENOENT', 'lookup of a missing name');
      await expectCode(meta.lookup(ROOT, MISSING, 'x'), 'ENOENT', 'lookup in a missing directory');
      await expectCode(meta.mkdir(ROOT, MISSING, 'x', 0o755, 0), 'ENOENT', 'mkdir in a missing directory');
      await expectCode(meta.create(ROOT, MISSING, 'x', 0o644, 0, 0), 'ENOENT', 'create in a missing directory');
      await expectCode(meta.unlink(ROOT, ROOT_INODE, 'nope'), 'ENOENT', 'unlink of a missing name');
      await expectCode(meta.rmdir(ROOT, ROOT_INODE, 'nope'), 'ENOENT', 'rmdir of a missing name');
      await expectCode(meta.rename(ROOT, ROOT_INODE, 'nope', ROOT_INODE, 'x'), 'ENOENT', 'rename of a missing name');
      await expectCode(meta.link(ROOT, MISSING, ROOT_INODE, 'x'), 'ENOENT', 'link of a missing inode');
      await expectCode(meta.readlink(ROOT, MISSING), 'ENOENT', 'readlink');
      await expectCode(meta.open(ROOT, MISSING, 0), 'ENOENT', 'open');
      await expectCode(meta.readdir(ROOT, MISSING), 'ENOENT', 'readdir');
      await expectCode(meta.truncate(ROOT, MISSING, 0), 'ENOENT', 'truncate');
      await expectCode(meta.readChunk(ROOT, MISSING, 0), 'ENOENT', 'readChunk');
      await expectCode(meta.access(ROOT, MISSING, R_OK), 'ENOENT', 'access');
    },
  },
  {
    group, name: 'ENOTDIR when the parent is not a directory',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await expectCode(meta.lookup(ROOT, f.ino, 'x'), 'ENOTDIR', 'lookup under a file');
      await expectCode(meta.mkdir(ROOT, f.ino, 'x', 0o755, 0), 'ENOTDIR', 'mkdir under a file');
      await expectCode(meta.create(ROOT, f.ino, 'x', 0o644, 0, 0), 'ENOTDIR', 'create under a file');
      await expectCode(meta.readdir(ROOT, f.ino), 'ENOTDIR', 'readdir of a file');
    },
  },
  {
    group, name: 'setattr: chmod, chown (clearing setuid, as Linux does), times with nanoseconds, ctime moves',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      let a = await meta.setAttr(ROOT, f.ino, { mode: 0o4751 });
      assert.equal(a.mode, 0o4751);
      a = await meta.setAttr(ROOT, f.ino, { uid: 1000, gid: 2000 });
      assert.equal(a.uid, 1000);
      assert.equal(a.gid, 2000);
      assert.equal(a.mode, 0o751, 'chown of a setuid file clears setuid');
      a = await meta.setAttr(ROOT, f.ino, { atime: { sec: 1234567890, nsec: 123456789 }, mtime: { sec: 1500000000, nsec: 987654321 } });
      assert.deepEqual([a.atime, a.atimensec, a.mtime, a.mtimensec], [1234567890, 123456789, 1500000000, 987654321]);
      const stored = await meta.getAttr(ROOT, f.ino);
      assert.deepEqual([stored.atime, stored.atimensec, stored.mtime, stored.mtimensec], [1234567890, 123456789, 1500000000, 987654321]);
      assert.equal(stored.mode, 0o751);
      assert.ok(stored.ctime >= f.attr.ctime, 'ctime does not go back');
      const before = Math.floor(Date.now() / 1000);
      a = await meta.setAttr(ROOT, f.ino, { mtime: 'now', atime: 'now' });
      const after = Math.ceil(Date.now() / 1000);
      assert.ok(a.mtime >= before && a.mtime <= after, `'now' mtime ${a.mtime} within [${before}, ${after}]`);
      assert.ok(a.atime >= before && a.atime <= after, `'now' atime ${a.atime} within [${before}, ${after}]`);
    },
  },
  {
    group, name: "setattr killSetid (a write or truncate without CAP_FSETID): clears setuid, and setgid where group-executable or the caller is outside the file's group, needs no ownership, leaves other files alone",
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f', ALICE);
      await meta.setAttr(ALICE, f.ino, { mode: 0o6777 });
      const killed = await meta.setAttr(BOB, f.ino, { killSetid: true });
      assert.equal(killed.mode, 0o777, 'setuid and group-executable setgid cleared, by a user who does not own the file');
      assert.equal((await meta.getAttr(ROOT, f.ino)).mode, 0o777, 'stored');
      assert.ok(killed.ctime * 1e9 + killed.ctimensec >= f.attr.ctime * 1e9 + f.attr.ctimensec, 'ctime does not go back');
      await meta.setAttr(ALICE, f.ino, { mode: 0o6766 });
      assert.equal((await meta.setAttr(CAROL, f.ino, { killSetid: true })).mode, 0o2766, 'setgid without group execute stays for a member of the group (a supplementary one)');
      assert.equal((await meta.setAttr(BOB, f.ino, { killSetid: true })).mode, 0o766, 'and goes for a caller outside it (Linux 6.x, ext4)');
      await meta.setAttr(ALICE, f.ino, { mode: 0o644 });
      const plain = await meta.getAttr(ROOT, f.ino);
      const untouched = await meta.setAttr(BOB, f.ino, { killSetid: true });
      assert.deepEqual([untouched.mode, untouched.ctime, untouched.ctimensec], [0o644, plain.ctime, plain.ctimensec], 'nothing to clear: mode and ctime as they were');
      const d = await meta.mkdir(ALICE, ROOT_INODE, 'd', 0o2775, 0);
      assert.equal((await meta.setAttr(BOB, d.ino, { killSetid: true })).mode, 0o2775, 'a directory keeps its setgid');
      const g = await mkfile(meta, ROOT_INODE, 'g', ALICE);
      await meta.setAttr(ALICE, g.ino, { mode: 0o4755 });
      const both = await meta.setAttr(ALICE, g.ino, { size: 0, killSetid: true });
      assert.deepEqual([both.mode, both.length], [0o755, 0], 'with a truncate in the same call');
    },
  },
  {
    group, name: 'setattr size truncates and extends a regular file',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      assert.equal((await meta.setAttr(ROOT, f.ino, { size: 10000 })).length, 10000);
      assert.equal((await meta.getAttr(ROOT, f.ino)).length, 10000);
      assert.equal((await meta.setAttr(ROOT, f.ino, { size: 10 })).length, 10);
    },
  },
  {
    group, name: 'setattr permissions: chmod by non-owner EPERM, chown by non-root EPERM, chgrp to own group allowed',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f', ALICE);
      await expectCode(meta.setAttr(BOB, f.ino, { mode: 0o777 }), 'EPERM', 'chmod by another user');
      await expectCode(meta.setAttr(ALICE, f.ino, { uid: 1001 }), 'EPERM', 'chown by a non-root owner');
      await expectCode(meta.setAttr(ALICE, f.ino, { gid: 4242 }), 'EPERM', 'chgrp to a group the owner is not in');
      await expectCode(meta.setAttr(BOB, f.ino, { mtime: { sec: 1, nsec: 0 } }), 'EPERM', 'explicit times by a non-owner');
      await expectCode(meta.setAttr(BOB, f.ino, { mtime: 'now', atime: 'now' }), 'EACCES', "'now' times by a non-owner without write permission");
      assert.equal((await meta.setAttr(ALICE, f.ino, { mode: 0o600 })).mode, 0o600);
      const g = await meta.setAttr(ROOT, f.ino, { mode: 0o666 });
      assert.equal(g.mode, 0o666);
      await meta.setAttr(BOB, f.ino, { mtime: 'now', atime: 'now' });
    },
  },
  {
    group, name: 'access: owner / group (incl. supplementary) / other bits; root passes',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f', ALICE, 0o640);
      await meta.access(ALICE, f.ino, R_OK | W_OK);
      await expectCode(meta.access(ALICE, f.ino, X_OK), 'EACCES', 'owner X on 0640');
      await meta.access(CAROL, f.ino, R_OK);
      await expectCode(meta.access(CAROL, f.ino, W_OK), 'EACCES', 'group W on 0640');
      await expectCode(meta.access(BOB, f.ino, R_OK), 'EACCES', 'other R on 0640');
      await meta.access(BOB, f.ino, F_OK);
      await meta.access(ROOT, f.ino, R_OK | W_OK);
    },
  },
];
