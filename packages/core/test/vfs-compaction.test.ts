import { CHUNK_SIZE, compactChunk, O_RDONLY } from '../src/index.js';
import { BLOCK, createFile, expectBytes, FileModel, newHarness, pattern } from './vfs-harness.js';

describe('VFS slice compaction', () => {
  it('compact() merges every chunk into one slice without changing the content', async () => {
    const h = await newHarness({ compactThreshold: 0 });
    const { ino, fh } = await createFile(h, 'fragmented');
    const model = new FileModel();
    for (let i = 0; i < 8; i++) {
      const off = (i * 3001) % (3 * BLOCK);
      const data = pattern(1500 + i * 100, i + 3);
      await h.vfs.write(h.ctx, ino, fh, off, data);
      await h.vfs.flush(h.ctx, ino, fh);
      model.write(off, data);
    }
    await h.vfs.setattr(h.ctx, ino, { size: 5 * BLOCK }, fh); // a hole at the end
    model.truncate(5 * BLOCK);
    await h.vfs.write(h.ctx, ino, fh, CHUNK_SIZE + 10, Buffer.from('second chunk'));
    await h.vfs.flush(h.ctx, ino, fh);
    await h.vfs.write(h.ctx, ino, fh, CHUNK_SIZE + 2, Buffer.from('AB'));
    await h.vfs.flush(h.ctx, ino, fh);
    expect((await h.meta.readChunk(h.ctx, ino, 0)).length).toBeGreaterThan(5);

    const slicesDeleted: number[] = [];
    h.meta.onSliceDelete(async (id, size) => {
      slicesDeleted.push(id);
      await h.store.remove(id, size);
    });
    expect(await h.vfs.compact(h.ctx, ino)).toBe(2);
    expect(await h.meta.readChunk(h.ctx, ino, 0)).toHaveLength(1);
    expect(await h.meta.readChunk(h.ctx, ino, 1)).toHaveLength(1);
    expectBytes(await h.vfs.read(h.ctx, ino, fh, 0, 5 * BLOCK), model.data);
    expect((await h.vfs.read(h.ctx, ino, fh, CHUNK_SIZE, 100)).toString('latin1')).toBe('\0\0AB\0\0\0\0\0\0second chunk');
    await h.meta.cleanupDeleted();
    expect(slicesDeleted.length).toBeGreaterThanOrEqual(8);
    // Still readable after the old slices' objects are gone (the views were refreshed).
    expectBytes(await h.vfs.read(h.ctx, ino, fh, 0, 5 * BLOCK), model.data);
  });

  it('a read that finds a fragmented chunk compacts it in the background', async () => {
    const h = await newHarness({ compactThreshold: 5, flushDelay: 0 });
    const { ino, fh } = await createFile(h, 'auto');
    for (let i = 0; i < 6; i++) {
      await h.vfs.write(h.ctx, ino, fh, i * 100, Buffer.alloc(100, 65 + i));
      await h.vfs.flush(h.ctx, ino, fh);
    }
    await h.vfs.release(h.ctx, ino, fh);
    const r = await h.vfs.open(h.ctx, ino, O_RDONLY);
    const before = await h.vfs.read(h.ctx, ino, r.fh, 0, 1000);
    await h.vfs.close(); // waits for background compactions
    expect(await h.meta.readChunk(h.ctx, ino, 0)).toHaveLength(1);
    expectBytes(await h.vfs.read(h.ctx, ino, r.fh, 0, 1000), before);
  });

  it('writes committed during a compaction survive it; a changed head makes it give up cleanly', async () => {
    const h = await newHarness({ compactThreshold: 0 });
    const { ino, fh } = await createFile(h, 'racy');
    for (let i = 0; i < 3; i++) {
      await h.vfs.write(h.ctx, ino, fh, i * 10, Buffer.from(`part-${i}-...`));
      await h.vfs.flush(h.ctx, ino, fh);
    }
    const original = h.meta.compactChunk.bind(h.meta);
    // A write lands after the records were read but before the swap: it is appended, so kept.
    h.meta.compactChunk = async (...args: Parameters<typeof original>) => {
      await h.vfs.write(h.ctx, ino, fh, 5, Buffer.from('LATE'));
      await h.vfs.flush(h.ctx, ino, fh);
      return original(...args);
    };
    expect(await compactChunk(h.meta, h.store, ino, 0)).toBe(true);
    expect((await h.meta.readChunk(h.ctx, ino, 0)).length).toBe(2);
    expect((await h.vfs.read(h.ctx, ino, fh, 0, 100)).toString()).toBe('part-LATE.part-1-...part-2-...');

    // Another compaction swaps the head first: the engine refuses ours and its slice is removed.
    const issued: number[] = [];
    const newSlice = h.meta.newSlice.bind(h.meta);
    h.meta.newSlice = async () => {
      const id = await newSlice();
      issued.push(id);
      return id;
    };
    await h.vfs.write(h.ctx, ino, fh, 30, Buffer.from('more'));
    await h.vfs.flush(h.ctx, ino, fh);
    issued.length = 0;
    h.meta.compactChunk = async (...args: Parameters<typeof original>) => {
      h.meta.compactChunk = original;
      expect(await compactChunk(h.meta, h.store, ino, 0)).toBe(true);
      return original(...args);
    };
    expect(await compactChunk(h.meta, h.store, ino, 0)).toBe(false);
    expect(issued).toHaveLength(2);
    expect([...h.store.blocks.keys()].filter((k) => k.startsWith(`${issued[0]}_`))).toEqual([]);
    expect([...h.store.blocks.keys()].filter((k) => k.startsWith(`${issued[1]}_`)).length).toBeGreaterThan(0);
    expect(await h.meta.readChunk(h.ctx, ino, 0)).toHaveLength(1);
    expect((await h.vfs.read(h.ctx, ino, fh, 0, 100)).toString()).toBe('part-LATE.part-1-...part-2-...more');
  });
});
