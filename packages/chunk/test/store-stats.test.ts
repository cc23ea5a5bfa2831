import { rmSync } from 'node:fs';
import { createStorage, FaultyStorage } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';
import { bytes, put } from './slices.js';
import { tempDir } from './services.js';

// stats() feeds the GET and PUT byte metrics (juicefs_object_request_data_bytes). After a bench
// through a mount they were equal; these tests pin down that each counter counts its own traffic:
// bytes as stored (compressed), and nothing for reads served by a cache.
const KiB = 1024;

test('PUT bytes count writes, GET bytes count only the ranges fetched', async () => {
  const store = await openChunkStore(createStorage('mem', 'stats-range'), { blockSize: 64 * KiB, memoryCacheSize: 0, readahead: 0 });
  const data = bytes(200 * KiB, 1);
  await put(store, 1, data);
  expect(store.stats()).toMatchObject({ objectPuts: 4, putBytes: 200 * KiB, objectGets: 0, getBytes: 0 });
  expect((await store.newReader(1, data.length).readAt(70 * KiB, 4 * KiB)).equals(data.subarray(70 * KiB, 74 * KiB))).toBe(true);
  expect(store.stats()).toMatchObject({ objectPuts: 4, putBytes: 200 * KiB, objectGets: 1, getBytes: 4 * KiB });
  await store.close();
});

test('with compression both count stored (compressed) bytes; cache hits add no GET bytes', async () => {
  const storage = createStorage('mem', 'stats-lz4');
  const store = await openChunkStore(storage, { blockSize: 64 * KiB, compression: 'lz4', memoryCacheSize: 1024 * KiB });
  const data = Buffer.concat([Buffer.alloc(100 * KiB, 7), bytes(28 * KiB, 2)]);
  await put(store, 2, data);
  const stored = (await storage.list('')).reduce((n, i) => n + i.size, 0);
  expect(stored).toBeLessThan(data.length); // lz4 did shrink it: the counter must follow the objects
  expect(store.stats().putBytes).toBe(stored);
  expect(store.stats().getBytes).toBe(0);

  // One cold read of everything fetches every object once: GET bytes equal PUT bytes, legitimately.
  expect((await store.newReader(2, data.length).readAt(0, data.length)).equals(data)).toBe(true);
  expect(store.stats().getBytes).toBe(stored);
  // Read again: from the memory cache, no object traffic.
  const before = store.stats();
  expect((await store.newReader(2, data.length).readAt(0, data.length)).equals(data)).toBe(true);
  expect(store.stats()).toMatchObject({ getBytes: before.getBytes, objectGets: before.objectGets, putBytes: stored });
  expect(store.stats().cacheHits).toBeGreaterThan(before.cacheHits);
  await store.close();
});

test('a read of part of a slice moves GET bytes away from PUT bytes', async () => {
  const store = await openChunkStore(createStorage('mem', 'stats-part'), { blockSize: 64 * KiB, readahead: 0 });
  const data = bytes(256 * KiB, 3);
  await put(store, 3, data);
  await store.newReader(3, data.length).readAt(0, 64 * KiB); // the first block, whole
  const s = store.stats();
  expect(s.putBytes).toBe(256 * KiB);
  expect(s.getBytes).toBe(64 * KiB);
  expect(s.objectGets).toBe(1);
  await store.close();
});

describe('request and cache timings (the .stats histograms bench and stats show)', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir('stats-timing');
  });
  afterEach(() => t.remove());

  test('object GET/PUT/DELETE are counted and timed by method; a failed request counts as an error', async () => {
    const storage = new FaultyStorage(createStorage('file', `${t.dir}/bucket`));
    const store = await openChunkStore(storage, { blockSize: 64 * KiB, memoryCacheSize: 0, readahead: 0 });
    const data = bytes(100 * KiB, 4); // two blocks
    await put(store, 7, data);
    await store.newReader(7, data.length).readAt(0, 4 * KiB);
    await store.remove(7, data.length);
    const s = store.stats();
    expect([s.objectRequests.PUT.total, s.objectRequests.GET.total, s.objectRequests.DELETE.total]).toEqual([2, 1, 2]);
    for (const m of ['PUT', 'GET', 'DELETE'] as const) expect(s.objectRequests[m].sum).toBeGreaterThan(0);
    expect(s.objectErrors).toBe(0);

    storage.inject({ ops: ['get'], times: 1 });
    await put(store, 8, data);
    await expect(store.newReader(8, data.length).readAt(0, 4 * KiB)).rejects.toMatchObject({ code: 'EIO' });
    expect(store.stats().objectErrors).toBe(1);
    expect(store.stats().objectRequests.GET.total).toBe(2);
    await store.close();
  });

  test('disk cache writes (copies and links) and reads are counted, timed, and measured in bytes', async () => {
    const opts = { blockSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: '5f1c2e7a-0000-4000-8000-0000000000aa', memoryCacheSize: 0, readahead: 0 };
    // A file bucket: the small block is linked into the cache. A memory bucket: it is copied.
    for (const storage of [createStorage('file', `${t.dir}/bucket`), createStorage('mem', 'stats-cache')]) {
      const store = await openChunkStore(storage, opts);
      const data = bytes(20 * KiB, 5);
      await put(store, 9, data);
      await store.close(); // waits for the cache write
      const again = await openChunkStore(storage, opts);
      expect((await again.newReader(9, data.length).readAt(0, data.length)).equals(data)).toBe(true);
      const s = again.stats();
      expect(s.diskCacheReads.total).toBe(1);
      expect(s.diskCacheReads.sum).toBeGreaterThan(0);
      expect(s.cacheHitBytes).toBe(data.length);
      expect(s.cacheMissBytes).toBe(0);
      expect(s.objectRequests.GET.total).toBe(0);
      await again.close();
      rmSync(`${t.dir}/cache`, { recursive: true, force: true });

      const fresh = await openChunkStore(storage, opts);
      await put(fresh, 10, data);
      await fresh.newReader(10, data.length).readAt(0, data.length); // served while or after it is cached
      const w = fresh.stats();
      await fresh.close();
      const done = fresh.stats();
      expect(done.diskCacheWrites.total).toBe(1);
      expect(done.diskCacheWriteBytes).toBe(data.length);
      expect(done.diskCacheWrites.sum).toBeGreaterThan(0);
      expect(w.cacheHitBytes + w.cacheMissBytes).toBe(data.length);
      rmSync(`${t.dir}/cache`, { recursive: true, force: true });
    }
  });
});
