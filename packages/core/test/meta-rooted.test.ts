import { chroot, defaultFormat, JuiceFS, NodeType, ROOT_CONTEXT, ROOT_INODE, Vfs, type Ino } from '../src/index.js';
import { createMemoryMeta, MemoryChunkStore, MemoryVolume } from '../src/testing/index.js';

// `juicefs mount --subdir`: a Meta seen from one directory of the volume. Everything done through
// it lands below that directory; inode 1 is that directory, and nothing leads out of it.

async function volume(trashDays = 0) {
  const meta = createMemoryMeta(new MemoryVolume());
  const format = { ...defaultFormat('rooted', '6b0b1b2e-0000-4000-8000-00000000000a', '/tmp/rooted'), TrashDays: trashDays };
  await meta.init(format);
  await meta.newSession();
  return { meta, format, store: new MemoryChunkStore({ blockSize: 4096 }) };
}

/** Entry names of a directory of the whole volume, by path. */
async function namesAt(fs: JuiceFS, dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => !n.startsWith('.')).sort();
}

describe('RootedMeta (--subdir)', () => {
  it('chroot makes the missing directories (0777, as JuiceFS) and refuses files and ".."', async () => {
    const { meta } = await volume();
    await meta.mkdir(ROOT_CONTEXT, ROOT_INODE, 'team', 0o750, 0);
    const rooted = await chroot(meta, ROOT_CONTEXT, '/team//a/b/');
    const a = await meta.lookup(ROOT_CONTEXT, (await meta.lookup(ROOT_CONTEXT, ROOT_INODE, 'team')).ino, 'a');
    const b = await meta.lookup(ROOT_CONTEXT, a.ino, 'b');
    expect({ root: rooted.root, aMode: a.attr.mode & 0o7777, team: (await meta.lookup(ROOT_CONTEXT, ROOT_INODE, 'team')).attr.mode & 0o7777 }).toEqual({
      root: b.ino,
      aMode: 0o777,
      team: 0o750,
    });
    // Again: nothing new is made, the same directory is the root.
    expect((await chroot(meta, ROOT_CONTEXT, 'team/a/b')).root).toBe(b.ino);
    await meta.create(ROOT_CONTEXT, b.ino, 'file', 0o644, 0, 0);
    await expect(chroot(meta, ROOT_CONTEXT, 'team/a/b/file')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(chroot(meta, ROOT_CONTEXT, 'team/../etc')).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('a new name in its root gives back the root as inode 1 sees it (parentAttr), as getAttr reads it', async () => {
    const { meta } = await volume();
    const rooted = await chroot(meta, ROOT_CONTEXT, 'team/a');
    for (const make of [
      () => rooted.mkdir(ROOT_CONTEXT, ROOT_INODE, 'd', 0o755, 0),
      () => rooted.create(ROOT_CONTEXT, ROOT_INODE, 'f', 0o644, 0, 0),
      () => rooted.symlink(ROOT_CONTEXT, ROOT_INODE, 'l', 'f'),
      () => rooted.mknod(ROOT_CONTEXT, ROOT_INODE, 'p', NodeType.FIFO, 0o644, 0),
    ]) {
      const made = await make();
      expect(made.parentAttr).toEqual(await rooted.getAttr(ROOT_CONTEXT, ROOT_INODE));
      expect(made.parentAttr?.parent).toBe(ROOT_INODE);
    }
  });

  it('files made through it land below the directory; the rest of the volume is out of sight', async () => {
    const { meta, format, store } = await volume();
    const whole = new JuiceFS(new Vfs({ meta, store, format, options: { attrCache: 0, entryCache: 0, dirEntryCache: 0 } }));
    await whole.mkdir('/other');
    await whole.writeFile('/other/secret', 'not yours');
    const rooted = await chroot(meta, ROOT_CONTEXT, 'tenants/one');
    const sub = new JuiceFS(new Vfs({ meta: rooted, store, format, options: { attrCache: 0, entryCache: 0, dirEntryCache: 0, hideTrash: true } }));
    await sub.mkdir('/docs/deep', { recursive: true });
    await sub.writeFile('/docs/deep/a.txt', 'hello');
    await sub.rename('/docs/deep/a.txt', '/a.txt');
    await sub.link('/a.txt', '/docs/hard');
    await sub.symlink('docs/hard', '/link');
    expect({
      subRoot: await namesAt(sub, '/'),
      wholeTenant: await namesAt(whole, '/tenants/one'),
      wholeRoot: await namesAt(whole, '/'),
      read: (await whole.readFile('/tenants/one/docs/hard')).toString(),
      viaLink: (await sub.readFile('/link')).toString(),
      nlink: (await sub.stat('/a.txt')).nlink,
      rootIno: (await sub.stat('/')).ino,
      outside: await sub.stat('/other').then(() => 'found', (e: { code?: string }) => e.code),
      trashListed: (await sub.readdir('/')).includes('.trash'),
      trashFound: await sub.stat('/.trash').then(() => 'found', (e: { code?: string }) => e.code),
      wholeTrash: (await whole.readdir('/')).includes('.trash'),
    }).toEqual({
      subRoot: ['a.txt', 'docs', 'link'],
      wholeTenant: ['a.txt', 'docs', 'link'],
      wholeRoot: ['other', 'tenants'],
      read: 'hello',
      viaLink: 'hello',
      nlink: 2,
      rootIno: ROOT_INODE,
      outside: 'ENOENT',
      trashListed: false,
      trashFound: 'ENOENT',
      wholeTrash: true,
    });
  });

  it('inode 1 is the directory: its parent, ".." and its entries\' parent all read 1', async () => {
    const { meta } = await volume();
    const rooted = await chroot(meta, ROOT_CONTEXT, 'sub');
    const dir = await rooted.mkdir(ROOT_CONTEXT, ROOT_INODE, 'd', 0o755, 0);
    const file = await rooted.create(ROOT_CONTEXT, dir.ino, 'f', 0o644, 0, 0);
    const page = await rooted.readdir(ROOT_CONTEXT, ROOT_INODE, { plus: true });
    const up = await rooted.lookup(ROOT_CONTEXT, ROOT_INODE, '..');
    expect({
      rootParent: (await rooted.getAttr(ROOT_CONTEXT, ROOT_INODE)).parent,
      rootType: (await rooted.getAttr(ROOT_CONTEXT, ROOT_INODE)).type,
      dotdot: up.ino,
      dirParent: dir.attr.parent,
      dirParentAgain: (await rooted.getAttr(ROOT_CONTEXT, dir.ino)).parent,
      fileParent: file.attr.parent,
      listedParents: page.entries.map((e) => [e.name.toString(), e.attr?.parent]),
      realDirParent: (await meta.getAttr(ROOT_CONTEXT, dir.ino)).parent,
    }).toEqual({
      rootParent: ROOT_INODE,
      rootType: NodeType.Directory,
      dotdot: ROOT_INODE,
      dirParent: ROOT_INODE,
      dirParentAgain: ROOT_INODE,
      fileParent: dir.ino,
      listedParents: [['d', ROOT_INODE]],
      realDirParent: rooted.root,
    });
    // statfs of inode 1 is that of the directory (its quota, where one is set).
    const a = await rooted.statFS(ROOT_CONTEXT, ROOT_INODE);
    const b = await meta.statFS(ROOT_CONTEXT, rooted.root as Ino);
    expect(a).toEqual(b);
  });
});
