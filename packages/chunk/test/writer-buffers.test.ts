import { createStorage } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';
import { bytes, put } from './slices.js';
import { tempDir } from './services.js';

const KiB = 1024;
const MiB = 1024 * KiB;

// Small writes keep small buffers; large ones take the whole block at once instead of copying it
// over as it doubles (the write bench's 1 MiB calls).
test('write buffers: small writes grow by doubling, large writes take the whole block', async () => {
  const store = await openChunkStore(createStorage('mem', 'wbuf'), { blockSize: 4 * MiB });
  const small = store.newWriter(1);
  await small.writeAt(Buffer.alloc(4 * KiB, 1), 0);
  expect(store.budget.usedBytes).toBe(64 * KiB);
  await small.writeAt(Buffer.alloc(100 * KiB, 1), 4 * KiB);
  expect(store.budget.usedBytes).toBe(128 * KiB);
  await small.abort();
  expect(store.budget.usedBytes).toBe(0);

  const large = store.newWriter(2);
  await large.writeAt(Buffer.alloc(1 * MiB, 2), 0);
  expect(store.budget.usedBytes).toBe(4 * MiB);
  await large.writeAt(Buffer.alloc(1 * MiB, 3), 1 * MiB);
  expect(store.budget.usedBytes).toBe(4 * MiB);
  await large.finish(2 * MiB);
  const back = await store.newReader(2, 2 * MiB).readAt(0, 2 * MiB);
  expect(back.equals(Buffer.concat([Buffer.alloc(1 * MiB, 2), Buffer.alloc(1 * MiB, 3)]))).toBe(true);
  await store.close();
});

describe('whole-block buffers', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir('wbp');
  });
  afterEach(() => t.remove());

  // A file bucket writes blocks this big through the thread pool, which reads the buffer while
  // the put is pending: a buffer handed to the next slice too early would corrupt the first.
  test('are reused once their block is stored, and every slice keeps its own bytes', async () => {
    const store = await openChunkStore(createStorage('file', `${t.dir}/bucket`), { blockSize: 1 * MiB, memoryCacheSize: 0 });
    const first = bytes(4 * MiB, 1);
    await put(store, 1, first);
    expect(store.pooledBlockBuffers).toBeGreaterThan(0);
    const second = bytes(4 * MiB, 2);
    const w = store.newWriter(2);
    await w.writeAt(second, 0);
    const pooledWhileWriting = store.pooledBlockBuffers;
    await w.finish(second.length);
    expect(pooledWhileWriting).toBeLessThan(store.pooledBlockBuffers); // taken, then given back
    // Slices written while others are still being stored: a buffer must not come back before
    // its put is over, or the next slice's bytes would land in the object being written.
    const more = [3, 4, 5, 6].map((id) => [id, bytes(4 * MiB, id)] as const);
    await Promise.all(
      more.map(async ([id, data]) => {
        const writer = store.newWriter(id);
        await writer.writeAt(data, 0);
        await writer.finish(data.length);
      }),
    );
    for (const [id, data] of [[1, first], [2, second], ...more] as const) {
      expect((await store.newReader(id, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    }
    await store.close();
  });

  test('stay with the disk cache while it writes them (--cache-large-write, a bucket with no local files)', async () => {
    const opts = { blockSize: 1 * MiB, memoryCacheSize: 0, cacheDir: `${t.dir}/cache`, uuid: '5f1c2e7a-0000-4000-8000-000000000002', cacheWrites: true };
    const store = await openChunkStore(createStorage('mem', 'wbp-cached'), opts);
    const data = bytes(3 * MiB, 3);
    await put(store, 3, data);
    expect(store.pooledBlockBuffers).toBe(0);
    expect((await store.newReader(3, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    await store.close();
  });

  // With a local bucket the cache hard-links the object file and holds no bytes: the buffers of
  // small files come back too, so the next file's write is copied into memory already mapped.
  test('small-file buffers come back when the cache links the bucket file, and files keep their bytes', async () => {
    const opts = { blockSize: 4 * MiB, memoryCacheSize: 0, cacheDir: `${t.dir}/cache`, uuid: '5f1c2e7a-0000-4000-8000-000000000003' };
    const store = await openChunkStore(createStorage('file', `${t.dir}/bucket`), opts);
    const files = Array.from({ length: 6 }, (_, i) => bytes(128 * KiB - i * 1000, 10 + i));
    for (const [i, data] of files.entries()) {
      await put(store, 10 + i, data);
      expect(store.pooledBlockBuffers).toBe(1); // the one 128 KiB buffer, taken and given back each time
    }
    for (const [i, data] of files.entries()) {
      expect(await store.checkCache(10 + i, data.length)).toEqual({ missBytes: 0, locations: { [`${t.dir}/cache`]: data.length } });
      expect((await store.newReader(10 + i, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    }
    await store.close();
  });

  test('small-file buffers stay with the disk cache when it must write the bytes itself', async () => {
    const opts = { blockSize: 4 * MiB, memoryCacheSize: 0, cacheDir: `${t.dir}/cache`, uuid: '5f1c2e7a-0000-4000-8000-000000000004' };
    const store = await openChunkStore(createStorage('mem', 'wbp-small'), opts);
    const files = Array.from({ length: 4 }, (_, i) => bytes(100 * KiB, 20 + i));
    for (const [i, data] of files.entries()) await put(store, 20 + i, data);
    expect(store.pooledBlockBuffers).toBe(0);
    await store.close(); // waits for the cache's writes
    // Read back through an empty bucket: every byte comes from the cache files, as written from
    // buffers that nobody reused while the cache still held them.
    const cacheOnly = await openChunkStore(createStorage('mem', 'wbp-empty'), opts);
    for (const [i, data] of files.entries()) {
      expect((await cacheOnly.newReader(20 + i, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    }
    await cacheOnly.close();
  });

  test('a buffer outgrown by a longer write, or dropped by abort, is reused', async () => {
    const store = await openChunkStore(createStorage('mem', 'wbp-grow'), { blockSize: 4 * MiB, memoryCacheSize: 0 });
    const w = store.newWriter(30);
    await w.writeAt(bytes(60 * KiB, 1), 0); // a 64 KiB buffer
    await w.writeAt(bytes(60 * KiB, 2), 60 * KiB); // grows to 128 KiB; the 64 KiB one is free
    expect(store.pooledBlockBuffers).toBe(1);
    await w.abort();
    expect(store.pooledBlockBuffers).toBe(2);
    const again = store.newWriter(31);
    const data = bytes(120 * KiB, 3);
    await again.writeAt(data.subarray(0, 60 * KiB), 0); // takes the pooled 64 KiB buffer
    await again.writeAt(data.subarray(60 * KiB), 60 * KiB); // and the pooled 128 KiB one
    expect(store.pooledBlockBuffers).toBe(1);
    await again.finish(data.length);
    expect((await store.newReader(31, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    await store.close();
  });
});
