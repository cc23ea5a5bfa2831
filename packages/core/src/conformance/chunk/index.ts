// Conformance suite for the ChunkStore contract (core/chunk/store.ts): what any data layer must do
// for the VFS to trust it. Implementations opt in from their own test files with a factory.
import type { ChunkStore } from '../../chunk/store.js';
import type { ChunkStoreCapabilities, ChunkStoreFactory, ChunkStoreUnderTest } from './harness.js';
import { expectedKey, firstDifference, pattern } from './data.js';

export type { ChunkStoreCapabilities, ChunkStoreFactory, ChunkStoreUnderTest } from './harness.js';
export { pattern, expectedKey } from './data.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 64 * MiB;

/** Writes `data` as slice `id` in `step`-sized sequential writes, flushing as a VFS writer does. */
async function writeSlice(store: ChunkStore, id: number, data: Buffer, step = 100 * KiB): Promise<void> {
  const w = store.newWriter(id);
  for (let off = 0; off < data.length; off += step) {
    await w.writeAt(data.subarray(off, Math.min(data.length, off + step)), off);
    await w.flushTo(off);
  }
  await w.finish(data.length);
}

async function readAll(store: ChunkStore, id: number, length: number, step = length || 1): Promise<Buffer> {
  const r = store.newReader(id, length);
  const parts: Buffer[] = [];
  for (let off = 0; off < length; off += step) parts.push(await r.readAt(off, step));
  return Buffer.concat(parts);
}

function expectSame(got: Buffer, want: Buffer): void {
  expect({ length: got.length, firstDifference: firstDifference(got, want) }).toEqual({ length: want.length, firstDifference: -1 });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return undefined;
}

export function chunkStoreConformance(name: string, factory: ChunkStoreFactory, caps: ChunkStoreCapabilities = {}): void {
  const bs = 64 * KiB;
  describe(`ChunkStore conformance: ${name}`, () => {
    let ut: ChunkStoreUnderTest;
    let store: ChunkStore;
    beforeEach(async () => {
      ut = await factory({ blockSize: bs });
      store = ut.store;
    });
    afterEach(async () => {
      await ut.cleanup();
    });

    test('reports its block size', () => {
      expect(store.blockSize).toBe(bs);
    });

    test('sequential writes read back byte for byte, in any read size', async () => {
      const data = pattern(5 * bs + 12345, 1);
      await writeSlice(store, 11, data, 7 * KiB + 3);
      for (const step of [data.length, bs, 4 * KiB, 100 * KiB + 1]) expectSame(await readAll(store, 11, data.length, step), data);
    });

    test('random-offset writes within a slice land where they were written', async () => {
      const data = pattern(3 * bs + 999, 2);
      const pieces: Array<[number, number]> = [];
      for (let off = 0; off < data.length; off += 5000) pieces.push([off, Math.min(data.length, off + 5000)]);
      // A fixed shuffle so a failure can be repeated.
      pieces.sort((a, b) => ((a[0] * 7919) % 10007) - ((b[0] * 7919) % 10007));
      const w = store.newWriter(12);
      for (const [s, e] of pieces) await w.writeAt(data.subarray(s, e), s);
      await w.finish(data.length);
      expectSame(await readAll(store, 12, data.length), data);
    });

    test('overlapping writes: the later write wins', async () => {
      const len = 2 * bs + 100;
      const want = Buffer.alloc(len, 1);
      const w = store.newWriter(13);
      await w.writeAt(Buffer.alloc(len, 1), 0);
      const a = pattern(bs, 3);
      await w.writeAt(a, bs / 2);
      a.copy(want, bs / 2);
      const b = pattern(300, 4);
      await w.writeAt(b, bs - 100);
      b.copy(want, bs - 100);
      await w.finish(len);
      expectSame(await readAll(store, 13, len), want);
    });

    test('sparse slices read as zeros where nothing was written', async () => {
      const len = 4 * bs;
      const want = Buffer.alloc(len);
      const w = store.newWriter(14);
      const head = pattern(100, 5);
      const tail = pattern(100, 6);
      await w.writeAt(head, 10);
      head.copy(want, 10);
      await w.writeAt(tail, len - 100);
      tail.copy(want, len - 100);
      await w.finish(len);
      expectSame(await readAll(store, 14, len), want);
      expectSame(await store.newReader(14, len).readAt(bs, bs), Buffer.alloc(bs));
    });

    test.each([1, bs - 1, bs, bs + 1, 2 * bs, 3 * bs - 1])('a slice of %i bytes (around block boundaries)', async (len) => {
      const data = pattern(len, len);
      await writeSlice(store, 15, data);
      expectSame(await readAll(store, 15, len), data);
      const r = store.newReader(15, len);
      // Reads that straddle block boundaries and run past the end.
      for (const off of [0, bs - 1, bs, len - 1]) {
        if (off < 0 || off >= len) continue;
        expectSame(await r.readAt(off, 3), data.subarray(off, off + 3));
      }
      expect((await r.readAt(len, 10)).length).toBe(0);
      expectSame(await r.readAt(len - 1, 100), data.subarray(len - 1));
    });

    test('a whole 64 MiB chunk fits in one slice (4 MiB blocks); writes past it are refused', async () => {
      // Its own store with JuiceFS's default block size: 16 objects rather than 1024 small ones.
      const big = await factory({ blockSize: 4 * MiB });
      try {
        const step = 4 * MiB;
        const w = big.store.newWriter(16);
        const block = pattern(step, 7);
        for (let off = 0; off < CHUNK; off += step) {
          await w.writeAt(block, off);
          await w.flushTo(off + step);
        }
        await w.finish(CHUNK);
        const r = big.store.newReader(16, CHUNK);
        expectSame(await r.readAt(CHUNK - step, step), block);
        expectSame(await r.readAt(step - 10, 20), Buffer.concat([block.subarray(step - 10), block.subarray(0, 10)]));
        const w2 = big.store.newWriter(17);
        expect(await rejection(w2.writeAt(Buffer.alloc(2), CHUNK - 1))).toMatchObject({ code: 'EINVAL' });
        await w2.abort();
        await big.store.close();
        expect((await big.listKeys()).filter((k) => k.includes('/16_')).length).toBe(16);
      } finally {
        await big.cleanup();
      }
    });

    test('a 0-byte slice stores no objects and reads as empty', async () => {
      const w = store.newWriter(18);
      await w.finish(0);
      expect((await store.newReader(18, 0).readAt(0, 100)).length).toBe(0);
      await store.close();
      expect((await ut.listKeys()).filter((k) => k.includes('/18_'))).toEqual([]);
    });

    test('objects are named as JuiceFS names them, with uncompressed block lengths', async () => {
      const id = 1234567890;
      const len = 2 * bs + 10;
      await writeSlice(store, id, pattern(len, 8));
      await store.close(); // with writeback, uploads are done once close resolves
      const keys = await ut.listKeys();
      const hp = caps.hashPrefix ?? false;
      expect(keys).toEqual([expectedKey(id, 0, bs, hp), expectedKey(id, 1, bs, hp), expectedKey(id, 2, 10, hp)].sort());
    });

    test('remove deletes the objects of a slice and nothing else', async () => {
      await writeSlice(store, 20, pattern(2 * bs, 9));
      await writeSlice(store, 21, pattern(bs, 10));
      await store.remove(20, 2 * bs);
      await store.close();
      const keys = await ut.listKeys();
      expect(keys.filter((k) => k.includes('/20_'))).toEqual([]);
      expect(keys.filter((k) => k.includes('/21_')).length).toBe(1);
    });

    test('abort drops buffered data and deletes blocks already flushed', async () => {
      const w = store.newWriter(22);
      const data = pattern(3 * bs, 11);
      await w.writeAt(data, 0);
      await w.flushTo(2 * bs);
      await w.abort();
      expect(await rejection(w.writeAt(Buffer.alloc(1), 0))).toMatchObject({ code: 'EINVAL' });
      await store.close();
      expect((await ut.listKeys()).filter((k) => k.includes('/22_'))).toEqual([]);
    });

    test('concurrent readers of one block share one fetch', async () => {
      const data = pattern(bs, 12);
      await writeSlice(store, 23, data);
      await store.evictCache(23, bs);
      const before = ut.objectCalls().get;
      const results = await Promise.all([0, 1, 2, 3].map(() => store.newReader(23, bs).readAt(0, bs)));
      for (const r of results) expectSame(r, data);
      expect(ut.objectCalls().get - before).toBeLessThanOrEqual(1);
    });

    const cached = caps.cache ? test : test.skip;
    cached('a second read is served from the cache: object gets do not grow', async () => {
      const data = pattern(3 * bs + 5, 13);
      await writeSlice(store, 24, data);
      expectSame(await readAll(store, 24, data.length), data);
      const gets = ut.objectCalls().get;
      const statGets = store.stats().objectGets;
      expectSame(await readAll(store, 24, data.length), data);
      expectSame(await readAll(store, 24, data.length, 4 * KiB), data);
      expect(ut.objectCalls().get).toBe(gets);
      expect(store.stats().objectGets).toBe(statGets);
      expect(store.stats().cacheHits).toBeGreaterThan(0);
    });

    cached('checkCache reports what fillCache brought in and evictCache took out, fetching nothing', async () => {
      if (!store.checkCache) return; // optional in the contract
      const data = pattern(2 * bs + 7, 16);
      await writeSlice(store, 27, data);
      await store.evictCache(27, data.length);
      const gets = ut.objectCalls().get;
      const cold = await store.checkCache(27, data.length);
      expect(cold.missBytes).toBe(caps.writeback ? cold.missBytes : data.length);
      await store.fillCache(27, data.length);
      const warm = await store.checkCache(27, data.length);
      expect(warm.missBytes).toBe(0);
      expect(Object.values(warm.locations).reduce((a, b) => a + b, 0)).toBe(data.length);
      const fetched = ut.objectCalls().get - gets;
      await store.checkCache(27, data.length);
      expect(ut.objectCalls().get - gets).toBe(fetched); // checking fetched nothing more
      if (!caps.writeback) {
        await store.evictCache(27, data.length);
        expect((await store.checkCache(27, data.length)).missBytes).toBe(data.length);
      }
    });

    cached('fillCache warms the cache and evictCache empties it', async () => {
      const data = pattern(2 * bs, 14);
      await writeSlice(store, 25, data);
      await store.evictCache(25, data.length);
      await store.fillCache(25, data.length);
      const gets = ut.objectCalls().get;
      expectSame(await readAll(store, 25, data.length), data);
      expect(ut.objectCalls().get).toBe(gets);
      await store.evictCache(25, data.length);
      if (!caps.writeback) {
        expectSame(await readAll(store, 25, data.length), data);
        expect(ut.objectCalls().get).toBeGreaterThan(gets);
      }
    });

    if (!caps.writeback) {
      test('a failed upload rejects finish, and the slice leaves no objects behind', async () => {
        const data = pattern(3 * bs, 15);
        ut.failPuts();
        const err = await rejection(writeSlice(store, 26, data));
        expect(err).toBeDefined();
        expect(typeof (err as { code?: unknown }).code).toBe('string');
        ut.clearFaults();
        expect((await ut.listKeys()).filter((k) => k.includes('/26_'))).toEqual([]);
        // The store still works once the storage recovers.
        await writeSlice(store, 27, data);
        expectSame(await readAll(store, 27, data.length), data);
      });

      test('one failed block among many still rejects finish', async () => {
        ut.failPuts(1);
        const err = await rejection(writeSlice(store, 28, pattern(4 * bs, 16)));
        // A store that retries may recover from a single failure; it must then have stored every block.
        if (err === undefined) {
          expect((await ut.listKeys()).filter((k) => k.includes('/28_')).length).toBe(4);
        } else {
          expect((err as { code?: unknown }).code).toBeDefined();
        }
      });
    } else {
      test('writeback: finish succeeds while uploads fail; reads see the data; uploads complete later', async () => {
        const data = pattern(3 * bs + 7, 17);
        ut.failPuts();
        await writeSlice(store, 29, data);
        expectSame(await readAll(store, 29, data.length), data);
        expect(store.stats().stagedBlocks).toBeGreaterThan(0);
        ut.clearFaults();
        await store.close();
        expect((await ut.listKeys()).filter((k) => k.includes('/29_')).length).toBe(4);
      });
    }

    test.each(['error', 'short'] as const)('gets that fail (%s) make reads fail, never return wrong bytes', async (mode) => {
      const data = pattern(4 * bs, 18);
      await writeSlice(store, 30, data);
      // Each read evicts first so it goes to the object storage (staged writeback copies may still
      // serve, which is right: they are the data).
      ut.failGets(mode, 0.5);
      let failures = 0;
      let successes = 0;
      for (let i = 0; i < 40; i++) {
        const off = (i * 7919 * 13) % data.length;
        const size = 1 + ((i * 104729) % (2 * bs));
        try {
          const got = await readerAfterEvict(store, 30, data.length, off, size);
          expectSame(got, data.subarray(off, Math.min(data.length, off + size)));
          successes++;
        } catch (err) {
          if ((err as { matcherResult?: unknown }).matcherResult !== undefined) throw err;
          expect(typeof (err as { code?: unknown }).code).toBe('string');
          failures++;
        }
      }
      expect(successes + failures).toBe(40);
      // Short objects are not a transient error a retry hides: without a staged copy, some reads must fail.
      if (mode === 'short' && !caps.writeback) expect(failures).toBeGreaterThan(0);
    });
  });
}

async function readerAfterEvict(store: ChunkStore, id: number, length: number, off: number, size: number): Promise<Buffer> {
  await store.evictCache(id, length);
  return store.newReader(id, length).readAt(off, size);
}
