import { NodeType, O_APPEND, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, RENAME_NOREPLACE, ROOT_INODE, XATTR_CREATE, context } from '../src/index.js';
import { createFile, newHarness, pattern } from './vfs-harness.js';

describe('VFS names, directories and attributes', () => {
  it('creates nodes of each kind and finds them with lookup', async () => {
    const h = await newHarness();
    const dir = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'dir', 0o755, 0o022);
    expect(dir.attr.type).toBe(NodeType.Directory);
    const fifo = await h.vfs.mknod(h.ctx, dir.ino, 'fifo', 0o010644, 0);
    expect(fifo.attr.type).toBe(NodeType.FIFO);
    const plain = await h.vfs.mknod(h.ctx, dir.ino, 'plain', 0o644, 0);
    expect(plain.attr.type).toBe(NodeType.File);
    const link = await h.vfs.symlink(h.ctx, dir.ino, 'link', '../target');
    expect((await h.vfs.readlink(h.ctx, link.ino)).toString()).toBe('../target');
    const found = await h.vfs.lookup(h.ctx, dir.ino, 'fifo');
    expect(found.ino).toBe(fifo.ino);
    expect(found.entryTimeout).toBe(0);
    await expect(h.vfs.lookup(h.ctx, dir.ino, 'missing')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(h.vfs.mkdir(h.ctx, ROOT_INODE, 'x'.repeat(256), 0o755, 0)).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    await expect(h.vfs.symlink(h.ctx, ROOT_INODE, 'long', 'x'.repeat(4096))).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
  });

  it('reports the configured cache timeouts, directories with the dir-entry one', async () => {
    const h = await newHarness({ attrCache: 2, entryCache: 3, dirEntryCache: 5 });
    const d = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'd', 0o755, 0);
    expect(d).toMatchObject({ attrTimeout: 2, entryTimeout: 5 });
    const f = await createFile(h, 'f');
    const e = await h.vfs.lookup(h.ctx, ROOT_INODE, 'f');
    expect(e).toMatchObject({ ino: f.ino, attrTimeout: 2, entryTimeout: 3 });
    expect((await h.vfs.getattr(h.ctx, f.ino)).attrTimeout).toBe(2);
  });

  it('caches attributes but drops them when this client changes the node', async () => {
    const h = await newHarness({ attrCache: 3600, entryCache: 3600, dirEntryCache: 3600 });
    const { ino } = await createFile(h, 'cached');
    expect((await h.vfs.getattr(h.ctx, ino)).attr.mode).toBe(0o644);
    // A change made behind the VFS's back is not seen while cached...
    await h.meta.setAttr(h.ctx, ino, { mode: 0o600 });
    expect((await h.vfs.getattr(h.ctx, ino)).attr.mode).toBe(0o644);
    // ...but one made through the VFS is, at once.
    await h.vfs.setattr(h.ctx, ino, { mode: 0o640 });
    expect((await h.vfs.getattr(h.ctx, ino)).attr.mode).toBe(0o640);
    // Entry cache: a renamed name is forgotten at once.
    await h.vfs.rename(h.ctx, ROOT_INODE, 'cached', ROOT_INODE, 'moved');
    await expect(h.vfs.lookup(h.ctx, ROOT_INODE, 'cached')).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await h.vfs.lookup(h.ctx, ROOT_INODE, 'moved')).ino).toBe(ino);
    expect((await h.vfs.getattr(h.ctx, ino)).attr.nlink).toBe(1);
    await h.vfs.link(h.ctx, ino, ROOT_INODE, 'hard');
    expect((await h.vfs.getattr(h.ctx, ino)).attr.nlink).toBe(2);
    await h.vfs.unlink(h.ctx, ROOT_INODE, 'hard');
    expect((await h.vfs.getattr(h.ctx, ino)).attr.nlink).toBe(1);
  });

  it('after a new name the directory\'s attributes come from the engine\'s answer, not another read', async () => {
    const h = await newHarness({ attrCache: 3600, entryCache: 3600, dirEntryCache: 3600 });
    const dir = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'd', 0o755, 0);
    const reads = jest.spyOn(h.meta, 'getAttr');
    for (const make of [
      () => h.vfs.create(h.ctx, dir.ino, 'f', 0o644, 0o022, O_RDWR),
      () => h.vfs.mkdir(h.ctx, dir.ino, 'sub', 0o755, 0o022),
      () => h.vfs.mknod(h.ctx, dir.ino, 'fifo', 0o010644, 0),
      () => h.vfs.symlink(h.ctx, dir.ino, 'link', 'f'),
    ]) {
      await make();
      reads.mockClear();
      const cached = (await h.vfs.getattr(h.ctx, dir.ino)).attr;
      expect(reads).not.toHaveBeenCalled();
      expect(cached).toEqual(await h.meta.getAttr(h.ctx, dir.ino));
    }
    expect((await h.vfs.getattr(h.ctx, dir.ino)).attr.nlink).toBe(3);
    // An engine that does not give them back: the directory is read again, never served stale.
    const create = h.meta.create.bind(h.meta);
    jest.spyOn(h.meta, 'create').mockImplementation(async (...args) => {
      const { parentAttr: _dropped, ...rest } = await create(...args);
      return rest;
    });
    await h.vfs.create(h.ctx, dir.ino, 'g', 0o644, 0o022, O_RDWR);
    reads.mockClear();
    expect((await h.vfs.getattr(h.ctx, dir.ino)).attr).toEqual(await h.meta.getAttr(h.ctx, dir.ino));
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('two new names in one directory finishing out of order leave no stale directory attributes cached', async () => {
    const h = await newHarness({ attrCache: 3600, entryCache: 3600, dirEntryCache: 3600 });
    const dir = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'd', 0o755, 0);
    // The first mkdir commits first (the directory then has 3 links) but its answer is held back
    // until the second one (4 links) has been answered and cached.
    const mkdir = h.meta.mkdir.bind(h.meta);
    let releaseFirst!: () => void;
    const held = new Promise<void>((resolve) => (releaseFirst = resolve));
    jest.spyOn(h.meta, 'mkdir').mockImplementationOnce(async (...args) => {
      const r = await mkdir(...args);
      await held;
      return r;
    });
    const first = h.vfs.mkdir(h.ctx, dir.ino, 'a', 0o755, 0);
    await new Promise((resolve) => setImmediate(resolve));
    await h.vfs.mkdir(h.ctx, dir.ino, 'b', 0o755, 0);
    expect((await h.vfs.getattr(h.ctx, dir.ino)).attr.nlink).toBe(4);
    releaseFirst();
    await first;
    expect((await h.vfs.getattr(h.ctx, dir.ino)).attr.nlink).toBe(4);
  });

  it('lists a directory page by page with stable offsets, "." and ".." first', async () => {
    const h = await newHarness();
    const dir = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'many', 0o755, 0);
    const names = Array.from({ length: 25 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    for (const n of names) await h.vfs.mknod(h.ctx, dir.ino, n, 0o100644, 0);
    const { fh } = await h.vfs.opendir(h.ctx, dir.ino);
    const seen: string[] = [];
    let offset = 0;
    for (;;) {
      const page = await h.vfs.readdir(h.ctx, dir.ino, fh, offset, { limit: 7 });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(7);
      for (const e of page) seen.push(e.name.toString());
      offset = page[page.length - 1]!.offset;
    }
    expect(seen.slice(0, 2)).toEqual(['.', '..']);
    expect(seen.slice(2).sort()).toEqual(names);
    // Re-reading from a middle offset gives the same entries.
    const again = await h.vfs.readdir(h.ctx, dir.ino, fh, 10, { limit: 3 });
    expect(again.map((e) => e.name.toString())).toEqual(seen.slice(10, 13));
    const plus = await h.vfs.readdir(h.ctx, dir.ino, fh, 0, { plus: true });
    expect(plus.find((e) => e.name.toString() === 'f03')?.attr?.type).toBe(NodeType.File);
    await h.vfs.releasedir(h.ctx, dir.ino, fh);
    await expect(h.vfs.readdir(h.ctx, dir.ino, fh, 0)).rejects.toMatchObject({ code: 'EBADF' });
    const f = await createFile(h, 'notdir');
    await expect(h.vfs.opendir(h.ctx, f.ino)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('keeps a file unlinked while open readable and writable until the last close', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'ghost');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('still here'));
    await h.vfs.unlink(h.ctx, ROOT_INODE, 'ghost');
    await expect(h.vfs.lookup(h.ctx, ROOT_INODE, 'ghost')).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await h.vfs.read(h.ctx, ino, fh, 0, 100)).toString()).toBe('still here');
    await h.vfs.write(h.ctx, ino, fh, 10, Buffer.from('!'));
    expect((await h.vfs.read(h.ctx, ino, fh, 0, 100)).toString()).toBe('still here!');
    expect((await h.vfs.getattr(h.ctx, ino)).attr.nlink).toBe(0);
    await h.vfs.release(h.ctx, ino, fh);
    await expect(h.meta.getAttr(h.ctx, ino)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('renaming an open file keeps its handle working', async () => {
    const h = await newHarness();
    const d = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'sub', 0o755, 0);
    const { ino, fh } = await createFile(h, 'before');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('one'));
    await h.vfs.rename(h.ctx, ROOT_INODE, 'before', d.ino, 'after');
    await h.vfs.write(h.ctx, ino, fh, 3, Buffer.from('two'));
    await h.vfs.release(h.ctx, ino, fh);
    const e = await h.vfs.lookup(h.ctx, d.ino, 'after');
    expect(e.ino).toBe(ino);
    const r = await h.vfs.open(h.ctx, ino, O_RDONLY);
    expect((await h.vfs.read(h.ctx, ino, r.fh, 0, 10)).toString()).toBe('onetwo');
    await createFile(h, 'taken');
    await expect(h.vfs.rename(h.ctx, d.ino, 'after', ROOT_INODE, 'taken', RENAME_NOREPLACE)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('extended attributes: ERANGE when the caller buffer is too small, sizes when it is 0', async () => {
    const h = await newHarness();
    const { ino } = await createFile(h, 'x');
    await h.vfs.setxattr(h.ctx, ino, 'user.a', Buffer.from('12345'), 0);
    await h.vfs.setxattr(h.ctx, ino, 'user.bb', Buffer.from('z'), 0);
    expect((await h.vfs.getxattr(h.ctx, ino, 'user.a', 0)).length).toBe(5);
    expect((await h.vfs.getxattr(h.ctx, ino, 'user.a', 5)).toString()).toBe('12345');
    await expect(h.vfs.getxattr(h.ctx, ino, 'user.a', 4)).rejects.toMatchObject({ code: 'ERANGE' });
    const list = await h.vfs.listxattr(h.ctx, ino, 0);
    expect(list.toString().split('\0').filter(Boolean).sort()).toEqual(['user.a', 'user.bb']);
    await expect(h.vfs.listxattr(h.ctx, ino, list.length - 1)).rejects.toMatchObject({ code: 'ERANGE' });
    await expect(h.vfs.setxattr(h.ctx, ino, 'user.a', Buffer.from('again'), XATTR_CREATE)).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(h.vfs.setxattr(h.ctx, ino, 'user.big', Buffer.alloc(65537), 0)).rejects.toMatchObject({ code: 'ERANGE' });
    await expect(h.vfs.getxattr(h.ctx, ino, '', 0)).rejects.toMatchObject({ code: 'EINVAL' });
    await h.vfs.removexattr(h.ctx, ino, 'user.a');
    await expect(h.vfs.getxattr(h.ctx, ino, 'user.a', 0)).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('permission checks use the caller: access, and EACCES for a stranger', async () => {
    const h = await newHarness();
    const d = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'private', 0o700, 0);
    const alice = context(1000, 1000);
    await expect(h.vfs.access(alice, d.ino, 4)).rejects.toMatchObject({ code: 'EACCES' });
    await expect(h.vfs.mkdir(alice, d.ino, 'in', 0o755, 0)).rejects.toMatchObject({ code: 'EACCES' });
    await h.vfs.access(h.ctx, d.ino, 7);
    await h.vfs.access(alice, d.ino, 0);
  });

  it('locks: flock conflicts between owners and is released on close; POSIX locks go at flush', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'locked');
    const other = await h.vfs.open(h.ctx, ino, O_RDWR);
    await h.vfs.flock(h.ctx, ino, fh, 1n, 'W', false);
    await expect(h.vfs.flock(h.ctx, ino, other.fh, 2n, 'W', false)).rejects.toMatchObject({ code: 'EAGAIN' });
    await h.vfs.release(h.ctx, ino, fh);
    await h.vfs.flock(h.ctx, ino, other.fh, 2n, 'W', false);
    // flock belongs to the open file: the same owner through another open conflicts.
    const third = await h.vfs.open(h.ctx, ino, O_RDWR);
    await expect(h.vfs.flock(h.ctx, ino, third.fh, 2n, 'W', false)).rejects.toMatchObject({ code: 'EAGAIN' });
    await h.vfs.flock(h.ctx, ino, other.fh, 2n, 'U', false);
    await h.vfs.flock(h.ctx, ino, third.fh, 2n, 'W', false);
    await h.vfs.release(h.ctx, ino, third.fh);

    const lock = { type: 1 as const, start: 0n, end: 99n, pid: 42 };
    await h.vfs.setlk(h.ctx, ino, other.fh, 7n, lock, false);
    const seen = await h.vfs.getlk(h.ctx, ino, other.fh, 8n, { type: 1, start: 50n, end: 60n, pid: 43 });
    expect(seen.type).toBe(1);
    await h.vfs.flush(h.ctx, ino, other.fh, 7n);
    expect((await h.vfs.getlk(h.ctx, ino, other.fh, 8n, { type: 1, start: 50n, end: 60n, pid: 43 })).type).toBe(2);
  });

  it('ioctl: chattr +i/+a round-trips through GETFLAGS/SETFLAGS; unknown ioctls are ENOTTY', async () => {
    const h = await newHarness();
    const { ino } = await createFile(h, 'attrs');
    const arg = Buffer.alloc(8);
    arg.writeUInt32LE(0x10 | 0x20); // FS_IMMUTABLE_FL | FS_APPEND_FL
    await h.vfs.ioctl(h.ctx, ino, 0x40086602, arg, 0);
    expect((await h.meta.getAttr(h.ctx, ino)).flags).toBe(1 | 2);
    expect((await h.vfs.ioctl(h.ctx, ino, 0x80086601, Buffer.alloc(0), 8)).readUInt32LE(0)).toBe(0x30);
    expect((await h.vfs.ioctl(h.ctx, ino, 0x801c581f, Buffer.alloc(0), 28)).readUInt32LE(0)).toBe(0x08 | 0x10);
    await expect(h.vfs.ioctl(context(1000, 1000), ino, 0x40086602, arg, 0)).rejects.toMatchObject({ code: 'EPERM' });
    await expect(h.vfs.ioctl(h.ctx, ino, 0x5401, Buffer.alloc(0), 0)).rejects.toMatchObject({ code: 'ENOTTY' });
    const bad = Buffer.alloc(4);
    bad.writeUInt32LE(0x80000);
    await expect(h.vfs.ioctl(h.ctx, ino, 0x40046602, bad, 0)).rejects.toMatchObject({ code: 'EOPNOTSUPP' });
  });

  it('open: chattr +i refuses every write or truncating open (root too), +a all but O_APPEND without O_TRUNC', async () => {
    const h = await newHarness();
    const setFlags = async (ino: bigint, iflag: number) => {
      const arg = Buffer.alloc(8);
      arg.writeUInt32LE(iflag);
      await h.vfs.ioctl(h.ctx, ino, 0x40086602, arg, 0);
    };
    const frozen = await createFile(h, 'frozen');
    await h.vfs.release(h.ctx, frozen.ino, frozen.fh);
    await setFlags(frozen.ino, 0x10); // FS_IMMUTABLE_FL
    for (const flags of [O_WRONLY, O_RDWR, O_WRONLY | O_APPEND, O_RDONLY | O_TRUNC]) {
      expect([flags, await h.vfs.open(h.ctx, frozen.ino, flags).then(() => 'opened', (e: { code?: string }) => e.code)]).toEqual([flags, 'EPERM']);
    }
    await expect(h.vfs.setattr(h.ctx, frozen.ino, { size: 0 })).rejects.toMatchObject({ code: 'EPERM' });
    const ro = await h.vfs.open(h.ctx, frozen.ino, O_RDONLY);
    await h.vfs.release(h.ctx, frozen.ino, ro.fh);

    const log = await createFile(h, 'log');
    await h.vfs.release(h.ctx, log.ino, log.fh);
    await setFlags(log.ino, 0x20); // FS_APPEND_FL
    for (const flags of [O_WRONLY, O_RDWR, O_WRONLY | O_APPEND | O_TRUNC]) {
      expect([flags, await h.vfs.open(h.ctx, log.ino, flags).then(() => 'opened', (e: { code?: string }) => e.code)]).toEqual([flags, 'EPERM']);
    }
    await expect(h.vfs.setattr(h.ctx, log.ino, { size: 0 })).rejects.toMatchObject({ code: 'EPERM' });
    const app = await h.vfs.open(h.ctx, log.ino, O_WRONLY | O_APPEND);
    expect(await h.vfs.write(h.ctx, log.ino, app.fh, 0, Buffer.from('entry\n'))).toBe(6);
    await h.vfs.release(h.ctx, log.ino, app.fh);
  });

  it('getattr of an open directory replaced by rename answers its last attributes with nlink 0', async () => {
    const h = await newHarness();
    await h.vfs.mkdir(h.ctx, ROOT_INODE, 'dir1', 0o755, 0);
    const dir2 = await h.vfs.mkdir(h.ctx, ROOT_INODE, 'dir2', 0o700, 0);
    const { fh } = await h.vfs.opendir(h.ctx, dir2.ino);
    await h.vfs.rename(h.ctx, ROOT_INODE, 'dir1', ROOT_INODE, 'dir2');
    const { attr } = await h.vfs.getattr(h.ctx, dir2.ino);
    expect({ type: attr.type, perm: attr.mode & 0o777, nlink: attr.nlink }).toEqual({ type: NodeType.Directory, perm: 0o700, nlink: 0 });
    await h.vfs.releasedir(h.ctx, dir2.ino, fh);
    await expect(h.vfs.getattr(h.ctx, dir2.ino)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('open keeps the kernel page cache only while mtime, ctime and length are unchanged since the last open', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'cached');
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('first'));
    await h.vfs.release(h.ctx, ino, fh);
    const keeps = async (flags = O_RDONLY): Promise<boolean> => {
      const r = await h.vfs.open(h.ctx, ino, flags);
      await h.vfs.release(h.ctx, ino, r.fh);
      return r.keepCache;
    };
    expect(await keeps()).toBe(false); // first open through this VFS: nothing known
    expect(await keeps()).toBe(true);
    const w = await h.vfs.open(h.ctx, ino, O_RDWR);
    await new Promise((r) => setTimeout(r, 5));
    await h.vfs.write(h.ctx, ino, w.fh, 0, Buffer.from('again, longer'));
    await h.vfs.release(h.ctx, ino, w.fh);
    expect(await keeps()).toBe(false); // the data changed
    expect(await keeps()).toBe(true);
    await h.vfs.setattr(h.ctx, ino, { mode: 0o600 });
    expect(await keeps()).toBe(false); // ctime moved (e.g. utimes back to an old mtime)
    expect(await keeps(O_RDWR | O_TRUNC)).toBe(false);
  });

  it('setuid/setgid go on a write, truncate or O_TRUNC by a caller without CAP_FSETID, and only then', async () => {
    const h = await newHarness();
    const bob = context(1001, 1001);
    const setid = async (name: string) => {
      const { ino, fh } = await createFile(h, name);
      await h.vfs.setattr(h.ctx, ino, { mode: 0o6777 });
      return { ino, fh };
    };
    const mode = async (ino: bigint) => (await h.vfs.getattr(h.ctx, ino)).attr.mode;

    const w = await setid('written');
    const bobs = (await h.vfs.open(bob, w.ino, O_WRONLY)).fh;
    await h.vfs.write(bob, w.ino, bobs, 0, Buffer.from('x'));
    expect(await mode(w.ino)).toBe(0o6777); // a write that says nothing keeps them (root's, CAP_FSETID)
    await h.vfs.write(bob, w.ino, bobs, 1, Buffer.from('y'), true);
    expect(await mode(w.ino)).toBe(0o777);
    await h.vfs.write(bob, w.ino, bobs, 2, Buffer.from('z'), true); // nothing left to clear
    expect(await mode(w.ino)).toBe(0o777);

    const t = await setid('truncated');
    await h.vfs.setattr(bob, t.ino, { size: 0 });
    expect(await mode(t.ino)).toBe(0o6777);
    expect((await h.vfs.setattr(bob, t.ino, { size: 1, killSetid: true })).attr.mode).toBe(0o777);

    const o = await setid('opened');
    await h.vfs.release(h.ctx, o.ino, (await h.vfs.open(bob, o.ino, O_WRONLY | O_TRUNC)).fh);
    expect(await mode(o.ino)).toBe(0o6777);
    await h.vfs.release(h.ctx, o.ino, (await h.vfs.open(bob, o.ino, O_WRONLY | O_TRUNC, undefined, { killSetid: true })).fh);
    expect(await mode(o.ino)).toBe(0o777);

    // Setgid without group execute: a member of the file's group (here root's, 0) keeps it, on a
    // write as on a setattr; anyone else's write clears it.
    const g = await setid('not-group-executable');
    await h.vfs.setattr(h.ctx, g.ino, { mode: 0o6766 });
    const member = context(1002, 1002, [1002, 0]);
    expect((await h.vfs.setattr(member, g.ino, { killSetid: true })).attr.mode).toBe(0o2766);
    const gh = (await h.vfs.open(bob, g.ino, O_WRONLY)).fh;
    await h.vfs.write(member, g.ino, gh, 0, Buffer.from('m'), true);
    expect(await mode(g.ino)).toBe(0o2766);
    await h.vfs.write(bob, g.ino, gh, 0, Buffer.from('b'), true);
    expect(await mode(g.ino)).toBe(0o766);
  });

  it('statfs reports blocks and inodes in statvfs units', async () => {
    const h = await newHarness();
    const { ino, fh } = await createFile(h, 'big');
    await h.vfs.write(h.ctx, ino, fh, 0, pattern(10000));
    await h.vfs.flush(h.ctx, ino, fh);
    const s = await h.vfs.statfs(h.ctx, ROOT_INODE);
    expect(s.bsize).toBe(4096);
    expect(s.namelen).toBe(255);
    expect(s.blocks).toBeGreaterThan(s.bavail);
    expect(s.files - s.ffree).toBeGreaterThanOrEqual(1);
  });
});
