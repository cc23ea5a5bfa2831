import { CHUNK_SIZE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, ROOT_INODE } from '@juicefs/core';
import { codeOf, memoryVolume, ROOT } from './base-helpers.js';

// The slice records BaseMeta writes (holes as JuiceFS writes them), slice reference counting,
// and the lifecycle of deleted data, on the in-memory engine.

const hole = (pos: number, len: number) => ({ pos, id: 0, size: 0, off: 0, len });

describe('BaseMeta: hole records', () => {
  it('truncate writes a hole from the old to the new length, split per chunk like JuiceFS', async () => {
    const { meta } = await memoryVolume();
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
    await meta.write(ROOT, f.ino, 0, { pos: 0, id: 7, size: 100, off: 0, len: 100 });
    await meta.truncate(ROOT, f.ino, 40);
    expect(await meta.readChunk(ROOT, f.ino, 0)).toEqual([{ pos: 0, id: 7, size: 100, off: 0, len: 100 }, hole(40, 60)]);
    await meta.truncate(ROOT, f.ino, 2 * CHUNK_SIZE + 10);
    expect((await meta.readChunk(ROOT, f.ino, 0)).at(-1)).toEqual(hole(40, CHUNK_SIZE - 40));
    expect(await meta.readChunk(ROOT, f.ino, 1)).toEqual([]); // a whole-chunk hole only where data exists
    expect(await meta.readChunk(ROOT, f.ino, 2)).toEqual([hole(0, 10)]);
  });

  it('fallocate: PUNCH_HOLE and ZERO_RANGE write holes inside the length only; other modes are refused', async () => {
    const { meta } = await memoryVolume();
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
    await meta.write(ROOT, f.ino, 0, { pos: 0, id: 7, size: 1000, off: 0, len: 1000 });
    await meta.fallocate(ROOT, f.ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 900, 500);
    expect((await meta.readChunk(ROOT, f.ino, 0)).at(-1)).toEqual(hole(900, 100));
    const a = await meta.fallocate(ROOT, f.ino, FALLOC_FL_ZERO_RANGE, 100, 2000);
    expect(a.length).toBe(2100);
    expect((await meta.readChunk(ROOT, f.ino, 0)).at(-1)).toEqual(hole(100, 900));
    expect(await codeOf(meta.fallocate(ROOT, f.ino, 0x08, 0, 10))).toBe('EOPNOTSUPP'); // collapse range
    expect(await codeOf(meta.fallocate(ROOT, f.ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | 1, 0, 10))).toBe('EOPNOTSUPP');
    expect(await codeOf(meta.fallocate(ROOT, f.ino, 0, 0, 0))).toBe('EINVAL');
    const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
    expect(await codeOf(meta.fallocate(ROOT, d.ino, 0, 0, 10))).toBe('EISDIR');
  });
});

describe('BaseMeta: copy_file_range', () => {
  it('copies slice references with offsets, turns gaps into holes and splits at chunk boundaries', async () => {
    const { meta, engine } = await memoryVolume();
    const src = await meta.create(ROOT, ROOT_INODE, 'src', 0o644, 0, 0);
    const dst = await meta.create(ROOT, ROOT_INODE, 'dst', 0o644, 0, 0);
    await meta.write(ROOT, src.ino, 0, { pos: 0, id: 11, size: 100, off: 0, len: 100 });
    await meta.write(ROOT, src.ino, 0, { pos: 200, id: 12, size: 100, off: 0, len: 100 });
    const n = await meta.copyFileRange(ROOT, src.ino, 50, dst.ino, CHUNK_SIZE - 100, 1000, 0);
    expect(n).toBe(250); // clamped to the source length (300)
    expect(await meta.readChunk(ROOT, dst.ino, 0)).toEqual([
      { pos: CHUNK_SIZE - 100, id: 11, size: 100, off: 50, len: 50 },
      hole(CHUNK_SIZE - 50, 50),
    ]);
    expect(await meta.readChunk(ROOT, dst.ino, 1)).toEqual([hole(0, 50), { pos: 50, id: 12, size: 100, off: 0, len: 100 }]);
    expect((await meta.getAttr(ROOT, dst.ino)).length).toBe(CHUNK_SIZE + 150);
    expect(engine.state.sliceRefs.get(11)?.refs).toBe(2);
    expect(engine.state.sliceRefs.get(12)?.refs).toBe(2);
    expect(await codeOf(meta.copyFileRange(ROOT, src.ino, 0, src.ino, 10, 50, 0))).toBe('EINVAL');
    expect(await codeOf(meta.copyFileRange(ROOT, src.ino, 0, dst.ino, 0, 10, 1))).toBe('EINVAL');
  });
});

describe('BaseMeta: deleted data', () => {
  it('slices are deleted once their last reference goes: file purge, compaction, shared copies', async () => {
    const { meta } = await memoryVolume();
    const deleted: number[] = [];
    meta.onSliceDelete(async (id) => {
      deleted.push(id);
    });
    const a = await meta.create(ROOT, ROOT_INODE, 'a', 0o644, 0, 0);
    const b = await meta.create(ROOT, ROOT_INODE, 'b', 0o644, 0, 0);
    const s1 = { pos: 0, id: await meta.newSlice(), size: 10, off: 0, len: 10 };
    const s2 = { pos: 10, id: await meta.newSlice(), size: 10, off: 0, len: 10 };
    await meta.write(ROOT, a.ino, 0, s1);
    await meta.write(ROOT, a.ino, 0, s2);
    await meta.copyFileRange(ROOT, a.ino, 0, b.ino, 0, 10, 0); // b shares s1
    const merged = { pos: 0, id: await meta.newSlice(), size: 20, off: 0, len: 20 };
    await expect(meta.compactChunk(a.ino, 0, [s2], merged)).rejects.toMatchObject({ code: 'EAGAIN' });
    await meta.compactChunk(a.ino, 0, [s1, s2], merged);
    expect(deleted).toEqual([s2.id]); // s1 is still used by b
    for (const ino of [a.ino, b.ino]) await meta.close(ROOT, ino);
    await meta.unlink(ROOT, ROOT_INODE, 'a');
    await meta.unlink(ROOT, ROOT_INODE, 'b');
    expect(await meta.cleanupDeleted()).toEqual({ files: 2, slices: 2 });
    expect(deleted.sort((x, y) => x - y)).toEqual([s1.id, s2.id, merged.id].sort((x, y) => x - y));
    expect(await meta.cleanupDeleted()).toEqual({ files: 0, slices: 0 });
  });

  it('an unlinked open file is sustained in the session and deleted at the last close', async () => {
    const { meta, engine } = await memoryVolume();
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
    await meta.open(ROOT, f.ino, 0);
    await meta.unlink(ROOT, ROOT_INODE, 'f');
    expect(engine.state.sustained.get(meta.sid)).toEqual(new Set([f.ino]));
    expect((await meta.getAttr(ROOT, f.ino)).nlink).toBe(0);
    await meta.close(ROOT, f.ino);
    expect((await meta.getAttr(ROOT, f.ino)).nlink).toBe(0);
    await meta.close(ROOT, f.ino);
    expect(await codeOf(meta.getAttr(ROOT, f.ino))).toBe('ENOENT');
    expect(engine.state.sustained.get(meta.sid)).toBeUndefined();
    expect(engine.state.delFiles.has(f.ino)).toBe(true);
    expect(engine.state.counters.get('totalInodes')).toBe(0);
  });
});
