import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createStorage, FaultyStorage } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';
import { blockKey } from '../src/layout/index.js';
import { tempDir } from './services.js';

const KiB = 1024;
const UUID = '5f1c2e7a-0000-4000-8000-000000000002';

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed * 7 + (i >> 9)) & 0xff;
  return b;
}

describe('write buffers', () => {
  test('total buffer memory stays near bufferSize while many writers run, and all data lands', async () => {
    const bs = 64 * KiB;
    const storage = new FaultyStorage(createStorage('mem', 'bp'));
    const store = await openChunkStore(storage, { blockSize: bs, bufferSize: 256 * KiB, maxUploads: 2 });
    let peak = 0;
    const writers = [1, 2, 3, 4, 5, 6].map(async (id) => {
      const w = store.newWriter(id);
      const data = bytes(8 * bs, id);
      for (let off = 0; off < data.length; off += 16 * KiB) {
        await w.writeAt(data.subarray(off, off + 16 * KiB), off);
        await w.flushTo(off + 16 * KiB);
        peak = Math.max(peak, store.budget.usedBytes);
      }
      await w.finish(data.length);
    });
    await Promise.all(writers);
    // Over the limit by at most one block per writer, never by whole slices.
    expect(peak).toBeLessThanOrEqual(256 * KiB + 6 * bs);
    expect(store.budget.usedBytes).toBe(0);
    for (const id of [1, 2, 3, 4, 5, 6]) {
      const d = bytes(8 * bs, id);
      expect((await store.newReader(id, d.length).readAt(0, d.length)).equals(d)).toBe(true);
    }
    await store.close();
  });

  test('writes before a flushed offset and finish shorter than the data are refused', async () => {
    const store = await openChunkStore(createStorage('mem', 'inv'), { blockSize: 64 * KiB });
    const w = store.newWriter(1);
    await w.writeAt(bytes(130 * KiB, 1), 0);
    await w.flushTo(128 * KiB);
    await expect(w.writeAt(Buffer.alloc(1), 10)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(w.finish(100)).rejects.toMatchObject({ code: 'EINVAL' });
    await w.finish(130 * KiB);
    await store.close();
  });
});

describe('writeback', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir('wb');
  });
  afterEach(() => t.remove());

  test('blocks staged before a crash are uploaded on the next start', async () => {
    const raw = createStorage('file', `${t.dir}/bucket`);
    const down = new FaultyStorage(raw);
    down.inject({ ops: ['put'] });
    const opts = { blockSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: UUID, writeback: true };
    const a = await openChunkStore(down, opts);
    const data = bytes(100 * KiB, 5);
    const w = a.newWriter(77);
    await w.writeAt(data, 0);
    await w.finish(data.length);
    const staged = path.join(t.dir, 'cache', UUID, 'rawstaging', blockKey({ id: 77, index: 1, length: 36 * KiB }));
    expect(existsSync(staged)).toBe(true);
    expect(a.stats().stagedBlocks).toBe(2);
    a.abandon(); // the process dies with uploads pending

    const b = await openChunkStore(raw, opts);
    await b.close(); // waits for the staged uploads
    expect(existsSync(staged)).toBe(false);
    expect((await raw.get(blockKey({ id: 77, index: 1, length: 36 * KiB }))).equals(data.subarray(64 * KiB))).toBe(true);
    const c = await openChunkStore(raw, { blockSize: 64 * KiB });
    expect((await c.newReader(77, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    await c.close();
  });

  test('writeback needs a cache directory', async () => {
    await expect(openChunkStore(createStorage('mem', 'x'), { blockSize: 64 * KiB, writeback: true })).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe('cache directory "memory"', () => {
  test('means a memory cache of cacheSize and no disk cache', async () => {
    const store = await openChunkStore(createStorage('mem', 'cm'), { blockSize: 64 * KiB, cacheDir: 'memory', cacheSize: 128 * KiB });
    expect(store.options.cacheDir).toBeUndefined();
    expect(store.options.memoryCacheSize).toBe(128 * KiB);
    for (let id = 1; id <= 4; id++) {
      const w = store.newWriter(id);
      await w.writeAt(bytes(64 * KiB, id), 0);
      await w.finish(64 * KiB);
      await store.newReader(id, 64 * KiB).readAt(0, 64 * KiB);
    }
    expect(store.stats().memoryCacheBytes).toBeLessThanOrEqual(128 * KiB);
    expect(store.stats().diskCacheBytes).toBe(0);
    await store.close();
    await expect(openChunkStore(createStorage('mem', 'cm2'), { blockSize: 64 * KiB, cacheDir: 'memory', writeback: true })).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
