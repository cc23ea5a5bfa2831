import { chroot, context, NodeType, RENAME_EXCHANGE, ROOT_INODE, TRASH_INODE } from '@juicefs/core';
import { trashHourName } from '../src/base/trash.js';
import { codeOf, memoryVolume, ROOT } from './base-helpers.js';

// POSIX rules of BaseMeta beyond the conformance suite, on the in-memory engine: hard-link
// parent maps, statistics and counters, the trash layout, sticky and ownership rules, rollback.

describe('BaseMeta: hard links', () => {
  it('a second link sets parent 0 and tracks every parent with its entry count', async () => {
    const { meta, engine } = await memoryVolume();
    const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
    expect(f.attr.parent).toBe(ROOT_INODE);
    await meta.link(ROOT, f.ino, d.ino, 'l1');
    const a = await meta.link(ROOT, f.ino, d.ino, 'l2');
    expect(a.parent).toBe(0n);
    expect(a.nlink).toBe(3);
    expect(engine.state.parents.get(f.ino)).toEqual(new Map([[ROOT_INODE, 1], [d.ino, 2]]));
    await meta.unlink(ROOT, d.ino, 'l1');
    expect(engine.state.parents.get(f.ino)?.get(d.ino)).toBe(1);
    // moving a hard-linked node across directories moves its parent count, parent stays 0
    await meta.rename(ROOT, d.ino, 'l2', ROOT_INODE, 'l3');
    expect(engine.state.parents.get(f.ino)).toEqual(new Map([[ROOT_INODE, 2], [d.ino, 0]]));
    expect((await meta.getAttr(ROOT, f.ino)).parent).toBe(0n);
    // getParents (what info's paths come from) leaves out the emptied directory
    expect(await meta.getParents(ROOT, f.ino)).toEqual(new Map([[ROOT_INODE, 2]]));
    expect(await meta.getParents(ROOT, d.ino)).toEqual(new Map([[ROOT_INODE, 1]]));
  });
});

describe('BaseMeta: getParents through a --subdir view', () => {
  it('names the directory shown as the root inode 1, as its attributes do', async () => {
    const { meta } = await memoryVolume();
    const team = await meta.mkdir(ROOT, ROOT_INODE, 'team', 0o755, 0);
    const f = await meta.create(ROOT, team.ino, 'f', 0o644, 0, 0);
    await meta.link(ROOT, f.ino, team.ino, 'g');
    const rooted = await chroot(meta, ROOT, '/team');
    expect(await rooted.getParents(ROOT, f.ino)).toEqual(new Map([[ROOT_INODE, 2]]));
  });
});

describe('BaseMeta: counters and directory stats', () => {
  it('usedSpace/totalInodes follow create, write, truncate and unlink; dir stats follow the children', async () => {
    const { meta, engine } = await memoryVolume();
    const c = () => [engine.state.counters.get('usedSpace'), engine.state.counters.get('totalInodes')];
    const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
    const f = await meta.create(ROOT, d.ino, 'f', 0o644, 0, 0);
    expect(c()).toEqual([8192, 2]);
    await meta.write(ROOT, f.ino, 0, { pos: 0, id: await meta.newSlice(), size: 10000, off: 0, len: 10000 });
    expect(c()).toEqual([4096 + 12288, 2]);
    expect(await meta.getDirStat(ROOT, d.ino)).toEqual({ length: 10000, space: 12288, inodes: 1 });
    await meta.truncate(ROOT, f.ino, 100);
    expect(await meta.getDirStat(ROOT, d.ino)).toEqual({ length: 100, space: 4096, inodes: 1 });
    await meta.close(ROOT, f.ino);
    await meta.unlink(ROOT, d.ino, 'f');
    expect(c()).toEqual([4096, 1]);
    expect(await meta.getDirStat(ROOT, d.ino)).toEqual({ length: 0, space: 0, inodes: 0 });
    // root keeps no stored stats row: computed from its entries
    expect(await meta.getDirStat(ROOT, ROOT_INODE)).toEqual({ length: 0, space: 4096, inodes: 1 });
  });

  it('rename across directories moves the stats; RENAME_EXCHANGE of a dir and a file fixes both nlinks', async () => {
    const { meta } = await memoryVolume();
    const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
    const b = await meta.mkdir(ROOT, ROOT_INODE, 'b', 0o755, 0);
    await meta.mkdir(ROOT, a.ino, 'sub', 0o755, 0);
    await meta.create(ROOT, b.ino, 'file', 0o644, 0, 0);
    await meta.rename(ROOT, a.ino, 'sub', b.ino, 'file', RENAME_EXCHANGE);
    expect((await meta.getAttr(ROOT, a.ino)).nlink).toBe(2);
    expect((await meta.getAttr(ROOT, b.ino)).nlink).toBe(3);
    expect((await meta.lookup(ROOT, a.ino, 'sub')).attr.type).toBe(NodeType.File);
    expect((await meta.lookup(ROOT, b.ino, 'file')).attr.parent).toBe(b.ino);
    expect(await meta.getDirStat(ROOT, a.ino)).toEqual({ length: 0, space: 4096, inodes: 1 });
    expect(await meta.getDirStat(ROOT, b.ino)).toEqual({ length: 0, space: 4096, inodes: 1 });
  });
});

describe('BaseMeta: trash layout', () => {
  it('unlink and rename-over move nodes into .trash/<hour>/<parent>-<ino>-<name>; the hour dir is TRASH_INODE+n', async () => {
    const { meta, engine } = await memoryVolume({ TrashDays: 1 });
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
    const g = await meta.create(ROOT, ROOT_INODE, 'g', 0o644, 0, 0);
    await meta.close(ROOT, f.ino); // create counts as an open: an open file would stay sustained
    await meta.unlink(ROOT, ROOT_INODE, 'f');
    await meta.rename(ROOT, ROOT_INODE, 'g', ROOT_INODE, 'h'); // plain rename: nothing trashed
    const x = await meta.create(ROOT, ROOT_INODE, 'x', 0o644, 0, 0);
    await meta.rename(ROOT, ROOT_INODE, 'x', ROOT_INODE, 'h'); // g's node replaced → trash
    const hour = await meta.lookup(ROOT, TRASH_INODE, trashHourName(new Date()));
    expect(hour.ino).toBe(TRASH_INODE + 1n);
    expect(engine.state.counters.get('nextTrash')).toBe(1);
    const names = (await meta.readdir(ROOT, hour.ino)).entries.map((e) => e.name.toString()).sort();
    expect(names).toEqual([`1-${f.ino}-f`, `1-${g.ino}-h`].sort());
    const trashed = await meta.getAttr(ROOT, f.ino);
    expect([trashed.parent, trashed.nlink]).toEqual([hour.ino, 1]);
    expect((await meta.getAttr(ROOT, TRASH_INODE)).nlink).toBe(2); // hour dirs do not count
    expect(engine.state.counters.get('totalInodes')).toBe(4); // f, g, x and the hour directory
    expect(x.ino).not.toBe(g.ino);
    // a user may not delete inside the trash; root may, and that deletes for good
    await expect(meta.unlink(context(1000, 1000), hour.ino, `1-${f.ino}-f`)).rejects.toMatchObject({ code: 'EPERM' });
    await meta.unlink(ROOT, hour.ino, `1-${f.ino}-f`);
    expect(await codeOf(meta.getAttr(ROOT, f.ino))).toBe('ENOENT');
  });

  it('SkipTrash (chattr s) bypasses the trash; cleanupTrash purges expired hours only', async () => {
    const { meta } = await memoryVolume({ TrashDays: 1 });
    const s = await meta.create(ROOT, ROOT_INODE, 's', 0o644, 0, 0);
    await meta.close(ROOT, s.ino);
    await meta.setAttr(ROOT, s.ino, { flags: 32 });
    await meta.unlink(ROOT, ROOT_INODE, 's');
    expect(await codeOf(meta.getAttr(ROOT, s.ino))).toBe('ENOENT');
    const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
    await meta.rmdir(ROOT, ROOT_INODE, 'd');
    const now = Math.floor(Date.now() / 1000);
    expect(await meta.cleanupTrash(now)).toBe(0);
    expect(await meta.cleanupTrash(now + 2 * 86400)).toBe(1);
    expect(await codeOf(meta.getAttr(ROOT, d.ino))).toBe('ENOENT');
    expect((await meta.readdir(ROOT, TRASH_INODE)).entries).toEqual([]);
  });
});

describe('BaseMeta: trash edge cases', () => {
  it('a second link trashed under an existing trash name is dropped; nlink matches the entries', async () => {
    const { meta } = await memoryVolume({ TrashDays: 1 });
    const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
    const f = await meta.create(ROOT, a.ino, 'x', 0o644, 0, 0);
    await meta.close(ROOT, f.ino);
    await meta.link(ROOT, f.ino, a.ino, 'y');
    await meta.unlink(ROOT, a.ino, 'x'); // → trash "<a>-<f>-x", still 2 links
    expect((await meta.getAttr(ROOT, f.ino)).nlink).toBe(2);
    await meta.link(ROOT, f.ino, a.ino, 'x');
    await meta.unlink(ROOT, a.ino, 'x'); // same trash name: the link is dropped
    expect((await meta.getAttr(ROOT, f.ino)).nlink).toBe(2);
    const hour = await meta.lookup(ROOT, TRASH_INODE, trashHourName(new Date()));
    expect((await meta.readdir(ROOT, hour.ino)).entries.map((e) => e.name.toString())).toEqual([`${a.ino}-${f.ino}-x`]);
  });

  it('trashed files cannot be opened for writing; hour directories cannot be rmdir-ed; WHITEOUT is unsupported', async () => {
    const { meta } = await memoryVolume({ TrashDays: 1 });
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
    await meta.close(ROOT, f.ino);
    await meta.unlink(ROOT, ROOT_INODE, 'f');
    expect(await codeOf(meta.open(ROOT, f.ino, 2))).toBe('EPERM');
    await meta.open(ROOT, f.ino, 0); // reading a trashed file is fine
    const hour = trashHourName(new Date());
    expect(await codeOf(meta.rmdir(ROOT, TRASH_INODE, hour))).toBe('EPERM');
    await meta.create(ROOT, ROOT_INODE, 'g', 0o644, 0, 0);
    expect(await codeOf(meta.rename(ROOT, ROOT_INODE, 'g', ROOT_INODE, 'h', 4))).toBe('EOPNOTSUPP');
  });

  it('root restores a directory from the trash by rename; nlinks stay consistent', async () => {
    const { meta } = await memoryVolume({ TrashDays: 1 });
    const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
    await meta.rmdir(ROOT, ROOT_INODE, 'd');
    expect((await meta.getAttr(ROOT, ROOT_INODE)).nlink).toBe(2);
    const hour = await meta.lookup(ROOT, TRASH_INODE, trashHourName(new Date()));
    expect(await codeOf(meta.rename(context(1000, 1000), hour.ino, `1-${d.ino}-d`, ROOT_INODE, 'back'))).toBe('EPERM');
    await meta.rename(ROOT, hour.ino, `1-${d.ino}-d`, ROOT_INODE, 'back');
    expect((await meta.getAttr(ROOT, hour.ino)).nlink).toBe(2);
    expect((await meta.getAttr(ROOT, ROOT_INODE)).nlink).toBe(3);
    expect((await meta.getAttr(ROOT, d.ino)).parent).toBe(ROOT_INODE);
  });
});

describe('BaseMeta: ownership rules', () => {
  it('chown clears setuid on files, and setgid only when group-executable', async () => {
    const { meta } = await memoryVolume();
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o6755, 0, 0);
    expect((await meta.setAttr(ROOT, f.ino, { uid: 5 })).mode).toBe(0o755);
    const g = await meta.create(ROOT, ROOT_INODE, 'g', 0o2644, 0, 0);
    expect((await meta.setAttr(ROOT, g.ino, { gid: 7 })).mode).toBe(0o2644);
    const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o2755, 0);
    expect((await meta.setAttr(ROOT, d.ino, { uid: 5 })).mode).toBe(0o2755);
  });

  it('chmod by a non-member of the group clears setgid; utimes now needs write permission, explicit times ownership', async () => {
    const { meta } = await memoryVolume();
    const user = context(1000, 1000);
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o666, 0, 0);
    await meta.setAttr(ROOT, f.ino, { uid: 1000, gid: 50 });
    expect((await meta.setAttr(user, f.ino, { mode: 0o2755 })).mode).toBe(0o755);
    const other = await meta.create(ROOT, ROOT_INODE, 'o', 0o666, 0, 0);
    await meta.setAttr(user, other.ino, { mtime: 'now' });
    expect(await codeOf(meta.setAttr(user, other.ino, { mtime: { sec: 1, nsec: 0 } }))).toBe('EPERM');
    await meta.setAttr(ROOT, other.ino, { mode: 0o644 });
    expect(await codeOf(meta.setAttr(user, other.ino, { atime: 'now' }))).toBe('EACCES');
  });

  it('moving a directory to another parent needs write permission on it (its ".." changes)', async () => {
    const { meta } = await memoryVolume();
    const user = context(1000, 1000);
    const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o777, 0);
    const b = await meta.mkdir(ROOT, ROOT_INODE, 'b', 0o777, 0);
    await meta.mkdir(ROOT, a.ino, 'ro', 0o555, 0);
    expect(await codeOf(meta.rename(user, a.ino, 'ro', b.ino, 'ro'))).toBe('EACCES');
    await meta.rename(user, a.ino, 'ro', a.ino, 'ro2'); // same parent: allowed
  });
});

describe('BaseMeta: rename checks in Linux order', () => {
  it('ENOENT and EEXIST (NOREPLACE) come before EACCES; EINVAL for a loop before EACCES; same-node rename is a no-op', async () => {
    const { meta } = await memoryVolume();
    const user = context(1000, 1000);
    const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0); // not writable by the user
    const f = await meta.create(ROOT, d.ino, 'f', 0o644, 0, 0);
    await meta.create(ROOT, d.ino, 'g', 0o644, 0, 0);
    await meta.link(ROOT, f.ino, d.ino, 'f2');
    expect(await codeOf(meta.rename(user, d.ino, 'missing', d.ino, 'x'))).toBe('ENOENT');
    expect(await codeOf(meta.rename(user, d.ino, 'f', d.ino, 'g', 1))).toBe('EEXIST');
    expect(await codeOf(meta.rename(user, d.ino, 'f', d.ino, 'x', 2))).toBe('ENOENT');
    expect(await codeOf(meta.rename(user, ROOT_INODE, 'd', d.ino, 'd'))).toBe('EINVAL');
    await meta.rename(user, d.ino, 'f', d.ino, 'f2'); // both names link one node
    expect(await codeOf(meta.rename(user, d.ino, 'f', d.ino, 'x'))).toBe('EACCES');
    expect((await meta.lookup(ROOT, d.ino, 'f')).ino).toBe(f.ino);
  });
});

describe('BaseMeta: transactions', () => {
  it('a failing operation leaves no partial change behind (rename onto a non-empty directory)', async () => {
    const { meta, engine } = await memoryVolume();
    const a = await meta.mkdir(ROOT, ROOT_INODE, 'a', 0o755, 0);
    const b = await meta.mkdir(ROOT, ROOT_INODE, 'b', 0o755, 0);
    await meta.create(ROOT, b.ino, 'x', 0o644, 0, 0);
    const before = JSON.stringify([...engine.state.attrs].map(([k, v]) => [String(k), { ...v, parent: String(v.parent) }]));
    expect(await codeOf(meta.rename(ROOT, ROOT_INODE, 'a', ROOT_INODE, 'b'))).toBe('ENOTEMPTY');
    const after = JSON.stringify([...engine.state.attrs].map(([k, v]) => [String(k), { ...v, parent: String(v.parent) }]));
    expect(after).toBe(before);
    expect((await meta.lookup(ROOT, ROOT_INODE, 'a')).ino).toBe(a.ino);
  });
});
