import { defaultFormat, O_RDONLY, ROOT_INODE, Vfs } from '../src/index.js';
import { HandleTable } from '../src/vfs/handles.js';
import { createFile, newHarness, pattern } from './vfs-harness.js';

// A restarted mount worker takes over its predecessor's handles: its VFS numbers new handles from
// `firstHandle`, and reopens a file or directory under an old number (below it) when the kernel
// uses one, so the same handle goes on reading and the lock owners derived from it stay the same.

describe('handles of an earlier server', () => {
  test('a table numbers from its first; a number below it can be taken once, others never', () => {
    const t = new HandleTable(100);
    expect([t.allocate(), t.allocate()]).toEqual([100, 101]);
    expect(t.allocate(7)).toBe(7);
    t.add({ kind: 'dir', fh: 7, ino: 1n, attr: {} as never });
    const refused = (n: number) => {
      try {
        t.allocate(n);
        return 'taken';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    expect([refused(7), refused(100), refused(250), refused(0), refused(1.5)]).toEqual(['EBADF', 'EBADF', 'EBADF', 'EBADF', 'EBADF']);
    expect(() => new HandleTable(0)).toThrow(RangeError);
  });

  test('the VFS opens a file and a directory again under an old number, and reads through it', async () => {
    const first = await newHarness();
    const { ino, fh } = await createFile(first, 'f');
    const data = pattern(10_000, 3);
    await first.vfs.write(first.ctx, ino, fh, 0, data);
    await first.vfs.release(first.ctx, ino, fh);

    // The next worker, on the same volume and store: its own handles start above the old ones.
    const format = { ...defaultFormat('vfs-test', '6b0b1b2e-0000-4000-8000-000000000001', '/tmp/vfs-test'), TrashDays: 0 };
    const next = { ctx: first.ctx, vfs: new Vfs({ meta: first.meta, store: first.store, format, options: { attrCache: 0, entryCache: 0, dirEntryCache: 0, firstHandle: 2 ** 32 + 1 } }) };
    const mine = await next.vfs.open(next.ctx, ino, O_RDONLY);
    expect(mine.fh).toBe(2 ** 32 + 1);
    const old = await next.vfs.open(next.ctx, ino, O_RDONLY, fh);
    expect(old.fh).toBe(fh);
    expect((await next.vfs.read(next.ctx, ino, fh, 0, 10_000)).equals(data)).toBe(true);
    await expect(next.vfs.open(next.ctx, ino, O_RDONLY, fh)).rejects.toMatchObject({ code: 'EBADF' }); // in use now
    await expect(next.vfs.open(next.ctx, ino, O_RDONLY, 2 ** 32 + 5)).rejects.toMatchObject({ code: 'EBADF' }); // not an old number
    const dir = await next.vfs.opendir(next.ctx, ROOT_INODE, 3);
    expect(dir.fh).toBe(3);
    const names = (await next.vfs.readdir(next.ctx, ROOT_INODE, 3, 0, { plus: false, limit: 100 })).map((e) => e.name.toString());
    expect(names).toContain('f');
  });
});
