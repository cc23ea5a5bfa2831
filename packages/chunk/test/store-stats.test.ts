import { createStorage } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';
import { bytes, put } from './slices.js';

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
