import { createStorage, FaultyStorage } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';
import { bytes, put } from './slices.js';
import { resolveOptions, MiB } from '../src/store/options.js';

const KiB = 1024;

/** Waits (bounded) until `cond` holds; the assertion after it is what the test checks. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((res) => setTimeout(res, 5));
}

describe('readahead window', () => {
  test('default: adaptive, bounded by a quarter of the buffer and half a memory-only cache', () => {
    const base = { blockSize: 4 * MiB };
    expect(resolveOptions(base)).toMatchObject({ readahead: 8, adaptiveReadahead: true }); // 64 MiB memory cache / 2
    expect(resolveOptions({ ...base, cacheDir: '/tmp/x' }).readahead).toBe(8); // disk cache: 300/4/4 = 18, capped at 8
    expect(resolveOptions({ ...base, memoryCacheSize: 16 * MiB }).readahead).toBe(2);
    expect(resolveOptions({ ...base, cacheDir: '/tmp/x', bufferSize: 32 * MiB }).readahead).toBe(2);
    expect(resolveOptions({ ...base, bufferSize: 1 * MiB }).readahead).toBe(1);
  });

  test('a window asked for is fixed, still bounded by the buffer; 0 disables', () => {
    const base = { blockSize: 4 * MiB };
    expect(resolveOptions({ ...base, readahead: 3 })).toMatchObject({ readahead: 3, adaptiveReadahead: false });
    expect(resolveOptions({ ...base, readahead: 100, bufferSize: 64 * MiB }).readahead).toBe(4);
    expect(resolveOptions({ ...base, readahead: 0 }).readahead).toBe(0);
  });

  test('the adaptive window doubles with each sequential read and is fetched in parallel', async () => {
    const storage = new FaultyStorage(createStorage('mem', 'adaptive'));
    const bs = 64 * KiB;
    const store = await openChunkStore(storage, { blockSize: bs, memoryCacheSize: 32 * bs });
    expect(store.options.readahead).toBe(8);
    const data = bytes(32 * bs, 6);
    await put(store, 20, data);
    const r = store.newReader(20, data.length);
    const cached = () => store.stats().memoryCacheBytes / bs;
    // Read 1 (block 0): one block ahead.
    expect((await r.readAt(0, bs)).equals(data.subarray(0, bs))).toBe(true);
    await until(() => cached() >= 2);
    expect(cached()).toBe(2);
    // Read 2 (block 1): two ahead (blocks 2, 3).
    expect((await r.readAt(bs, bs)).equals(data.subarray(bs, 2 * bs))).toBe(true);
    await until(() => cached() >= 4);
    expect(cached()).toBe(4);
    // Read 3 (block 2): four ahead (up to block 6).
    expect((await r.readAt(2 * bs, bs)).equals(data.subarray(2 * bs, 3 * bs))).toBe(true);
    await until(() => cached() >= 7);
    expect(cached()).toBe(7);
    expect(storage.calls.get).toBe(7);
    await store.close();
  });

  test('a random read ends the run: the window starts again from one block', async () => {
    const storage = new FaultyStorage(createStorage('mem', 'reset'));
    const bs = 64 * KiB;
    const store = await openChunkStore(storage, { blockSize: bs, memoryCacheSize: 32 * bs });
    const data = bytes(32 * bs, 7);
    await put(store, 21, data);
    await store.newReader(21, data.length).readAt(20 * bs, 4 * KiB); // random: a range get, no readahead
    expect(store.stats().memoryCacheBytes).toBe(0);
    await store.newReader(21, data.length).readAt(20 * bs + 4 * KiB, 4 * KiB); // continues: sequential, streak 1
    await until(() => store.stats().memoryCacheBytes >= 2 * bs);
    expect(store.stats().memoryCacheBytes).toBe(2 * bs); // block 20 whole, and block 21 ahead
    await store.close();
  });
});

describe('reads spanning blocks', () => {
  test('return one buffer the caller owns: writing into it leaves the cache intact', async () => {
    const store = await openChunkStore(createStorage('mem', 'span'), { blockSize: 64 * KiB });
    const data = bytes(256 * KiB, 8);
    await put(store, 22, data);
    const got = await store.newReader(22, data.length).readAt(10 * KiB, 200 * KiB);
    expect(got.equals(data.subarray(10 * KiB, 210 * KiB))).toBe(true);
    got.fill(0);
    const single = await store.newReader(22, data.length).readAt(70 * KiB, 10 * KiB);
    single.fill(0);
    expect((await store.newReader(22, data.length).readAt(0, data.length)).equals(data)).toBe(true);
    await store.close();
  });

  test("readInto fills the caller's buffer at its offset, short only at the end of the slice", async () => {
    const store = await openChunkStore(createStorage('mem', 'into'), { blockSize: 64 * KiB });
    const data = bytes(150 * KiB, 9);
    await put(store, 23, data);
    const r = store.newReader(23, data.length);
    
    const out = Buffer.alloc(300 * KiB, 0xee);
    expect(await r.readInto(30 * KiB, 100 * KiB, out, 5)).toBe(100 * KiB);
    expect(out.subarray(5, 5 + 100 * KiB).equals(data.subarray(30 * KiB, 130 * KiB))).toBe(true);
    expect(out[4]).toBe(0xee);
    expect(out[5 + 100 * KiB]).toBe(0xee);
    // Past the end of the slice: only what is there.
    expect(await r.readInto(140 * KiB, 100 * KiB, out, 0)).toBe(10 * KiB);
    expect(out.subarray(0, 10 * KiB).equals(data.subarray(140 * KiB))).toBe(true);
    // Writing into the caller's buffer does not reach the cache.
    out.fill(0);
    expect((await r.readAt(0, data.length)).equals(data)).toBe(true);
    await store.close();
  });
});
