import { existsSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createStorage, FaultyStorage, withPrefix } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';
import { bytes, put } from './slices.js';
import { DiskBlockCache, MemoryBlockCache } from '../src/cache/index.js';
import { blockKey } from '../src/layout/index.js';
import { tempDir } from './services.js';

const KiB = 1024;
const UUID = '5f1c2e7a-0000-4000-8000-000000000001';

describe('disk cache', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir('dc');
  });
  afterEach(() => t.remove());

  test('blocks are cached under <cacheDir>/<UUID>/raw/chunks/... and survive a restart', async () => {
    const faulty = new FaultyStorage(createStorage('file', `${t.dir}/bucket`));
    const opts = { blockSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: UUID, memoryCacheSize: 0 };
    const a = await openChunkStore(faulty, opts);
    const data = bytes(150 * KiB, 1);
    await put(a, 5, data);
    expect((await a.newReader(5, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    await a.close();
    const file = path.join(t.dir, 'cache', UUID, 'raw', blockKey({ id: 5, index: 2, length: 22 * KiB }));
    expect(statSync(file).size).toBe(22 * KiB + 4); // and JuiceFS's checksum of it

    const b = await openChunkStore(faulty, opts);
    expect(b.stats().diskCacheBytes).toBe(data.length);
    const gets = faulty.calls.get;
    expect((await b.newReader(5, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    expect(faulty.calls.get).toBe(gets);
    await b.close();
  });

  test('partial, foreign and temporary files are dropped on start, and a truncated block is refetched', async () => {
    const storage = new FaultyStorage(createStorage('file', `${t.dir}/bucket`));
    const opts = { blockSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: UUID, memoryCacheSize: 0 };
    const a = await openChunkStore(storage, opts);
    const data = bytes(128 * KiB, 2);
    await put(a, 6, data);
    await a.newReader(6, data.length).readAt(0, data.length);
    await a.close();
    const raw = path.join(t.dir, 'cache', UUID, 'raw');
    const block0 = path.join(raw, blockKey({ id: 6, index: 0, length: 64 * KiB }));
    truncateSync(block0, 1000);
    writeFileSync(`${block0}.tmp.abcd1234`, 'half');
    writeFileSync(path.join(raw, 'chunks', 'stray'), 'x');

    const b = await openChunkStore(storage, opts);
    expect(existsSync(block0)).toBe(false);
    expect(existsSync(`${block0}.tmp.abcd1234`)).toBe(false);
    expect(existsSync(path.join(raw, 'chunks', 'stray'))).toBe(false);
    expect(b.stats().diskCacheBytes).toBe(64 * KiB);
    const gets = storage.calls.get;
    expect((await b.newReader(6, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    expect(storage.calls.get).toBe(gets + 1);
    // Damage behind a running store's back is caught by the size check too.
    const block1 = path.join(raw, blockKey({ id: 6, index: 1, length: 64 * KiB }));
    truncateSync(block1, 10);
    expect((await b.newReader(6, data.length).readAt(64 * KiB, 64 * KiB)).equals(data.subarray(64 * KiB))).toBe(true);
    await b.close();
  });

  test('the cache stays within cacheSize, evicting least recently used blocks (--cache-eviction lru)', async () => {
    const storage = createStorage('mem', 'evict');
    const store = await openChunkStore(storage, {
      blockSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: UUID, cacheSize: 256 * KiB, memoryCacheSize: 0, cacheEviction: 'lru',
    });
    for (let id = 1; id <= 10; id++) {
      const d = bytes(64 * KiB, id);
      await put(store, id, d);
      expect((await store.newReader(id, d.length).readAt(0, d.length)).equals(d)).toBe(true);
      expect(store.stats().diskCacheBytes).toBeLessThanOrEqual(256 * KiB);
    }
    await store.close(); // cache files are written in the background
    const files = readdirSync(path.join(t.dir, 'cache', UUID, 'raw', 'chunks', '0', '0'));
    expect(files.length).toBeLessThanOrEqual(4);
    expect(files).toContain('10_0_65536');
    expect(files).not.toContain('1_0_65536');
  });

  test('a block smaller than a full one is cached once uploaded; full ones only with cacheWrites', async () => {
    const storage = new FaultyStorage(createStorage('mem', 'smallw'));
    const opts = { blockSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: UUID, memoryCacheSize: 0 };
    const store = await openChunkStore(storage, opts);
    const data = bytes(100 * KiB, 3); // one full block and a 36 KiB tail
    await put(store, 7, data);
    await store.close(); // cache files are written in the background
    const raw = path.join(t.dir, 'cache', UUID, 'raw');
    expect(existsSync(path.join(raw, blockKey({ id: 7, index: 1, length: 36 * KiB })))).toBe(true);
    expect(existsSync(path.join(raw, blockKey({ id: 7, index: 0, length: 64 * KiB })))).toBe(false);

    const again = await openChunkStore(storage, opts);
    const gets = storage.calls.get;
    expect((await again.newReader(7, data.length).readAt(64 * KiB, 36 * KiB)).equals(data.subarray(64 * KiB))).toBe(true);
    expect(storage.calls.get).toBe(gets); // the tail came from the cache
    await again.close();

    const all = await openChunkStore(createStorage('mem', 'bigw'), { ...opts, cacheDir: `${t.dir}/cache2`, cacheWrites: true });
    await put(all, 8, data);
    await all.close();
    expect(existsSync(path.join(t.dir, 'cache2', UUID, 'raw', blockKey({ id: 8, index: 0, length: 64 * KiB })))).toBe(true);
  });

  test('a small block written to a local bucket is cached as a hard link to its object, not a second copy', async () => {
    const opts = { blockSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: UUID, memoryCacheSize: 0 };
    const bucket = withPrefix(createStorage('file', `${t.dir}/bucket`), 'vol/');
    const store = await openChunkStore(bucket, opts);
    const data = bytes(40 * KiB, 4);
    await put(store, 9, data);
    await store.close();
    const key = blockKey({ id: 9, index: 0, length: 40 * KiB });
    const cached = statSync(path.join(t.dir, 'cache', UUID, 'raw', key));
    const object = statSync(path.join(t.dir, 'bucket', 'vol', key));
    expect(cached.ino).toBe(object.ino);
    expect(cached.nlink).toBe(2);

    // Read back after a restart: from the cache, whose file is the object's.
    const again = await openChunkStore(bucket, opts);
    expect(again.stats().diskCacheBytes).toBe(40 * KiB);
    expect((await again.newReader(9, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    await again.close();

    // Compressed objects hold other bytes than the block: those are copied.
    const lz4 = await openChunkStore(createStorage('file', `${t.dir}/bucket2`), { ...opts, cacheDir: `${t.dir}/cache2`, compression: 'lz4' });
    await put(lz4, 10, data);
    await lz4.close();
    const key10 = blockKey({ id: 10, index: 0, length: 40 * KiB });
    const copy = statSync(path.join(t.dir, 'cache2', UUID, 'raw', key10));
    expect(copy.nlink).toBe(1);
    expect(copy.ino).not.toBe(statSync(path.join(t.dir, 'bucket2', key10)).ino);
    expect(copy.size).toBe(40 * KiB + 8); // a copy carries JuiceFS's checksums (two 32 KiB pieces)
  });

  test('where no hard link can be made, the disk cache says so and the block is copied instead', async () => {
    const cache = new DiskBlockCache({ cacheDir: `${t.dir}/cache`, uuid: UUID, capacity: 1 << 20 });
    await cache.open();
    const data = bytes(10 * KiB, 5);
    const key = blockKey({ id: 11, index: 0, length: 10 * KiB });
    // Linking a directory fails with EPERM, as linking across file systems fails with EXDEV:
    // a reason that will not go away, so linking is not tried again.
    expect(cache.link(key, t.dir, data.length)).toBe(false);
    const source = path.join(t.dir, 'object');
    writeFileSync(source, data);
    expect(cache.link(key, source, data.length)).toBe(false);
    expect(cache.has(key)).toBe(false);
    await cache.put(key, data);
    const file = statSync(cache.fileOf(key));
    expect(file.ino).not.toBe(statSync(source).ino);
    expect((await cache.get(key, 0, data.length))?.equals(data)).toBe(true);
    await cache.close();

    // A fresh cache links; a missing source fails this block only.
    const other = new DiskBlockCache({ cacheDir: `${t.dir}/cache3`, uuid: UUID, capacity: 1 << 20 });
    await other.open();
    expect(other.link(key, path.join(t.dir, 'missing'), data.length)).toBe(false);
    expect(other.link(key, source, data.length)).toBe(true);
    expect(statSync(other.fileOf(key)).ino).toBe(statSync(source).ino);
    expect(other.usedBytes).toBe(data.length);
    await other.close();
  });

  test('prefetch loads a disk-cached block into memory; the read then needs neither the file nor the bucket', async () => {
    const storage = new FaultyStorage(createStorage('mem', 'warm'));
    const opts = { blockSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: UUID };
    const a = await openChunkStore(storage, opts);
    const data = bytes(40 * KiB, 9);
    await put(a, 11, data); // a small block: cached once uploaded
    await a.close();

    const b = await openChunkStore(storage, opts);
    expect(b.stats().memoryCacheBytes).toBe(0);
    b.prefetch(11, data.length, 0, data.length);
    for (let i = 0; i < 200 && b.stats().memoryCacheBytes === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(b.stats().memoryCacheBytes).toBe(40 * KiB);
    rmSync(path.join(t.dir, 'cache', UUID, 'raw', blockKey({ id: 11, index: 0, length: 40 * KiB })));
    const gets = storage.calls.get;
    expect((await b.newReader(11, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    expect(storage.calls.get).toBe(gets);
    await b.close();

    // Without a memory cache the hint does nothing.
    const c = await openChunkStore(storage, { ...opts, memoryCacheSize: 0 });
    c.prefetch(11, data.length, 0, data.length);
    await new Promise((r) => setTimeout(r, 20));
    expect(c.stats().memoryCacheBytes).toBe(0);
    expect(storage.calls.get).toBe(gets);
    await c.close();
  });

  test('a read arriving while a prefetch fetches the block joins it instead of fetching again', async () => {
    const storage = new FaultyStorage(createStorage('mem', 'join'));
    const writer = await openChunkStore(storage, { blockSize: 64 * KiB, memoryCacheSize: 0 });
    const data = bytes(64 * KiB, 4);
    await put(writer, 12, data);
    await writer.close();
    const store = await openChunkStore(storage, { blockSize: 64 * KiB });
    const gets = storage.calls.get;
    store.prefetch(12, data.length, 0, data.length);
    // A part of the block: on its own it would fetch just that range.
    expect((await store.newReader(12, data.length).readAt(1000, 2000)).equals(data.subarray(1000, 3000))).toBe(true);
    expect(storage.calls.get).toBe(gets + 1);
    await store.close();
  });

  test('a full caching queue drops blocks (counted) instead of growing; warmup is never dropped', async () => {
    // A buffer of one block leaves room for one queued cache write (a fifth, at least one).
    const opts = { blockSize: 64 * KiB, bufferSize: 64 * KiB, cacheDir: `${t.dir}/cache`, uuid: UUID, memoryCacheSize: 0 };
    const storage = createStorage('mem', 'drops');
    const writer = await openChunkStore(storage, { ...opts, cacheSize: 0 }); // no cache: only fills the bucket
    for (let id = 1; id <= 20; id++) await put(writer, id, bytes(64 * KiB, id));
    await writer.close();

    const store = await openChunkStore(storage, opts);
    // Twenty fetches in one turn of the event loop: the writer thread cannot keep up.
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.newReader(i + 1, 64 * KiB).readAt(0, 64 * KiB)));
    await store.close();
    const s = store.stats();
    expect(s.cacheDrops).toBeGreaterThan(0);
    expect(s.diskCacheBytes).toBe((20 - s.cacheDrops!) * 64 * KiB);

    const warm = await openChunkStore(storage, { ...opts, cacheDir: `${t.dir}/cache-warm` });
    await Promise.all(Array.from({ length: 20 }, (_, i) => warm.fillCache(i + 1, 64 * KiB)));
    await warm.close();
    expect(warm.stats().cacheDrops).toBe(0);
    expect(warm.stats().diskCacheBytes).toBe(20 * 64 * KiB);
  });
});

describe('memory cache', () => {
  test('is bounded in bytes and drops the least recently used first', () => {
    const c = new MemoryBlockCache(100);
    c.put('a', Buffer.alloc(40));
    c.put('b', Buffer.alloc(40));
    c.get('a');
    c.put('c', Buffer.alloc(40));
    expect(c.usedBytes).toBeLessThanOrEqual(100);
    expect(c.has('a')).toBe(true);
    expect(c.has('b')).toBe(false);
    c.put('huge', Buffer.alloc(101));
    expect(c.has('huge')).toBe(false);
  });

  test('an entry pushed out by the entry limit gives its bytes back', () => {
    const c = new MemoryBlockCache(1000, 2);
    c.put('a', Buffer.alloc(10));
    c.put('b', Buffer.alloc(20));
    c.put('c', Buffer.alloc(30));
    expect(c.has('a')).toBe(false);
    expect(c.usedBytes).toBe(50);
  });
});

describe('reads', () => {
  test('a small random read of an uncompressed block fetches only its range', async () => {
    const storage = createStorage('mem', 'range');
    const store = await openChunkStore(storage, { blockSize: 1024 * KiB, memoryCacheSize: 0, readahead: 0 });
    const data = bytes(1024 * KiB, 3);
    await put(store, 9, data);
    const r = store.newReader(9, data.length);
    expect((await r.readAt(500 * KiB, 4 * KiB)).equals(data.subarray(500 * KiB, 504 * KiB))).toBe(true);
    expect(store.stats().getBytes).toBe(4 * KiB);
    await store.close();
  });

  test('a sequential reader has the next block fetched ahead of it', async () => {
    const storage = new FaultyStorage(createStorage('mem', 'ahead'));
    const store = await openChunkStore(storage, { blockSize: 64 * KiB, readahead: 2 });
    const data = bytes(256 * KiB, 4);
    await put(store, 10, data);
    const r = store.newReader(10, data.length);
    await r.readAt(0, 16 * KiB);
    // The two blocks after the first arrive in the background.
    for (let i = 0; i < 400 && store.stats().memoryCacheBytes < 3 * 64 * KiB; i++) await new Promise((res) => setTimeout(res, 5));
    expect(store.stats().memoryCacheBytes).toBe(3 * 64 * KiB);
    expect(storage.calls.get).toBe(3);
    const misses = store.stats().cacheMisses;
    expect((await r.readAt(16 * KiB, 160 * KiB)).equals(data.subarray(16 * KiB, 176 * KiB))).toBe(true);
    expect(store.stats().cacheMisses).toBe(misses); // blocks 0-2 all came from the cache
    // ...and this read moved the window on: block 3 follows in the background.
    for (let i = 0; i < 400 && store.stats().memoryCacheBytes < 4 * 64 * KiB; i++) await new Promise((res) => setTimeout(res, 5));
    expect(store.stats().memoryCacheBytes).toBe(4 * 64 * KiB);
    expect(storage.calls.get).toBe(4);
    await store.close();
  });
});

describe('sequential detection', () => {
  test('spans readers: a new reader per read (as the VFS does) still gets readahead', async () => {
    const storage = new FaultyStorage(createStorage('mem', 'seq'));
    const store = await openChunkStore(storage, { blockSize: 64 * KiB, readahead: 1 });
    const data = bytes(256 * KiB, 5);
    await put(store, 11, data);
    // Start mid-slice so the first read is not taken as sequential by its offset alone.
    expect((await store.newReader(11, data.length).readAt(10 * KiB, 10 * KiB)).equals(data.subarray(10 * KiB, 20 * KiB))).toBe(true);
    expect(store.stats().memoryCacheBytes).toBe(0); // a random read: a range get, nothing cached
    expect((await store.newReader(11, data.length).readAt(20 * KiB, 10 * KiB)).equals(data.subarray(20 * KiB, 30 * KiB))).toBe(true);
    // Sequential now: block 0 is fetched whole and block 1 follows in the background.
    for (let i = 0; i < 400 && store.stats().memoryCacheBytes < 2 * 64 * KiB; i++) await new Promise((res) => setTimeout(res, 5));
    expect(store.stats().memoryCacheBytes).toBe(2 * 64 * KiB);
    await store.close();
  });
});
