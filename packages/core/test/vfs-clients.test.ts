import { O_RDONLY, O_RDWR, ROOT_CONTEXT, ROOT_INODE, Vfs, defaultFormat } from '../src/index.js';
import { createMemoryMeta, MemoryChunkStore, MemoryVolume } from '../src/testing/index.js';

/** Two mounts of one volume: separate Meta clients and VFS instances, one shared object store. */
async function twoClients(attrCache: number) {
  const volume = new MemoryVolume();
  const format = { ...defaultFormat('shared', 'uuid-shared', '/tmp/shared'), TrashDays: 0 };
  const store = new MemoryChunkStore({ blockSize: 4096 });
  const mount = async () => {
    const meta = createMemoryMeta(volume);
    await meta.newSession();
    return new Vfs({ meta, store, format, options: { attrCache, entryCache: attrCache, dirEntryCache: attrCache } });
  };
  await createMemoryMeta(volume).init(format);
  return { a: await mount(), b: await mount() };
}

const ctx = ROOT_CONTEXT;

describe('VFS with two clients of one volume', () => {
  it('close-to-open: data written and closed by one client is read by the next open of the other', async () => {
    const { a, b } = await twoClients(0);
    const f = await a.create(ctx, ROOT_INODE, 'shared', 0o644, 0, O_RDWR);
    await a.write(ctx, f.ino, f.fh, 0, Buffer.from('version one'));
    // Not flushed yet: the other client sees an empty file.
    const early = await b.open(ctx, f.ino, O_RDONLY);
    expect((await b.read(ctx, f.ino, early.fh, 0, 100)).length).toBe(0);
    await a.release(ctx, f.ino, f.fh);
    await b.release(ctx, f.ino, early.fh);
    const late = await b.open(ctx, f.ino, O_RDONLY);
    expect(late.attr.length).toBe(11);
    expect((await b.read(ctx, f.ino, late.fh, 0, 100)).toString()).toBe('version one');

    // The other way round, growing the file while the first client keeps a handle open.
    const w = await b.open(ctx, f.ino, O_RDWR);
    await b.write(ctx, f.ino, w.fh, 11, Buffer.from(', version two'));
    await b.release(ctx, f.ino, w.fh);
    const again = await a.open(ctx, f.ino, O_RDONLY);
    expect((await a.read(ctx, f.ino, again.fh, 0, 100)).toString()).toBe('version one, version two');
  });

  it('names created by one client are found by the other, and removals are seen', async () => {
    const { a, b } = await twoClients(0);
    const d = await a.mkdir(ctx, ROOT_INODE, 'dir', 0o755, 0);
    expect((await b.lookup(ctx, ROOT_INODE, 'dir')).ino).toBe(d.ino);
    await a.rmdir(ctx, ROOT_INODE, 'dir');
    await expect(b.lookup(ctx, ROOT_INODE, 'dir')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a file unlinked by another client is gone for this one too (open files are kept per session, as in JuiceFS)', async () => {
    const { a, b } = await twoClients(0);
    const f = await a.create(ctx, ROOT_INODE, 'victim', 0o644, 0, O_RDWR);
    await a.write(ctx, f.ino, f.fh, 0, Buffer.from('keep me'));
    await a.release(ctx, f.ino, f.fh);
    const held = await b.open(ctx, f.ino, O_RDONLY);
    await a.unlink(ctx, ROOT_INODE, 'victim');
    await expect(b.read(ctx, f.ino, held.fh, 0, 100)).rejects.toMatchObject({ code: 'EBADF' });
    await b.release(ctx, f.ino, held.fh).catch(() => undefined);
  });
});
