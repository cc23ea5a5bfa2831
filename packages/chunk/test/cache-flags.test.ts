import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createStorage, FaultyStorage } from '../src/object/index.js';
import { openChunkStore, type ChunkStoreOptions, type JuiceChunkStore } from '../src/store/index.js';
import { checksumsOf, crc32c, DiskBlockCache, type ChecksumLevel } from '../src/cache/index.js';
import { blockKey } from '../src/layout/index.js';
import { bytes, put } from './slices.js';
import { tempDir } from './services.js';

// The disk cache flags of `juicefs mount`, each shown by what it does to the files of a real
// cache directory: their mode, how many there are, which ones stay, what their bytes are.

const KiB = 1024;
const BS = 64 * KiB;
const UUID = '5f1c2e7a-0000-4000-8000-0000000000ca';

let t: ReturnType<typeof tempDir>;
let storage: FaultyStorage;
beforeEach(() => {
  t = tempDir('cacheflags');
  storage = new FaultyStorage(createStorage('mem', path.basename(t.dir)));
});
afterEach(() => t.remove());

const raw = (): string => path.join(t.dir, 'cache', UUID, 'raw');
const fileOf = (id: number, index = 0, length = BS): string => path.join(raw(), blockKey({ id, index, length }));
/** Block files in the cache, by name. */
const cachedNames = (): string[] =>
  existsSync(raw()) ? readdirSync(raw(), { recursive: true }).map(String).filter((f) => /\d+_\d+_\d+$/.test(f)).map((f) => path.basename(f)).sort() : [];

/** A store over the shared bucket with a disk cache only (no memory cache hiding its reads). */
function cached(extra: Partial<ChunkStoreOptions> = {}): Promise<JuiceChunkStore> {
  return openChunkStore(storage, { blockSize: BS, cacheDir: path.join(t.dir, 'cache'), uuid: UUID, memoryCacheSize: 0, readahead: 0, ...extra });
}

/** Writes slices `ids` (one full block each, unless `length`) through a store without any cache. */
async function seed(ids: number[], length = BS): Promise<Map<number, Buffer>> {
  const w = await openChunkStore(storage, { blockSize: BS, memoryCacheSize: 0 });
  const out = new Map<number, Buffer>();
  for (const id of ids) {
    const d = bytes(length, id);
    await put(w, id, d);
    out.set(id, d);
  }
  await w.close();
  return out;
}

async function readAll(store: JuiceChunkStore, id: number, data: Buffer): Promise<void> {
  const got = await store.newReader(id, data.length).readAt(0, data.length);
  expect(got.equals(data)).toBe(true);
}

describe('--verify-cache-checksum: JuiceFS\'s layout of cache files', () => {
  test('CRC-32C is the Castagnoli checksum, the same from any offset', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
    // Against a bit-at-a-time reference, on ranges starting and ending off word boundaries.
    const reference = (d: Uint8Array): number => {
      let c = 0xffffffff;
      for (const byte of d) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    const data = bytes(1000, 3);
    for (const [from, to] of [[0, 1000], [1, 999], [3, 20], [5, 6], [7, 7]] as const) {
      expect(crc32c(data, from, to)).toBe(reference(data.subarray(from, to)));
    }
  });

  test('a cached block is followed by the CRC-32C of each 32 KiB of it, big-endian, as the Go client writes it', async () => {
    const data = (await seed([1], 40 * KiB)).get(1)!;
    const store = await cached();
    await readAll(store, 1, data);
    await store.close();
    const file = readFileSync(fileOf(1, 0, 40 * KiB));
    expect(file.length).toBe(40 * KiB + 8);
    expect(file.subarray(0, 40 * KiB).equals(data)).toBe(true);
    expect(file.readUInt32BE(40 * KiB)).toBe(crc32c(data, 0, 32 * KiB));
    expect(file.readUInt32BE(40 * KiB + 4)).toBe(crc32c(data, 32 * KiB, 40 * KiB));
  });

  test('a block too big for the writer thread (1 MiB) is written with its checksums too', async () => {
    const MiB = 1024 * KiB;
    const data = bytes(MiB, 4);
    const w = await openChunkStore(storage, { blockSize: MiB, memoryCacheSize: 0 });
    await put(w, 4, data);
    await w.close();
    const store = await openChunkStore(storage, { blockSize: MiB, cacheDir: path.join(t.dir, 'cache'), uuid: UUID, memoryCacheSize: 0, readahead: 0 });
    expect((await store.newReader(4, MiB).readAt(0, MiB)).equals(data)).toBe(true);
    await store.close();
    const file = readFileSync(path.join(raw(), blockKey({ id: 4, index: 0, length: MiB })));
    expect(file.subarray(MiB).equals(checksumsOf(data))).toBe(true);
    expect(file.length).toBe(MiB + 32 * 4);
  });

  test('with none, blocks are cached bare', async () => {
    const data = (await seed([1])).get(1)!;
    const store = await cached({ verifyCacheChecksum: 'none' });
    await readAll(store, 1, data);
    await store.close();
    expect(statSync(fileOf(1)).size).toBe(BS);
  });

  /** Caches block 1, flips a byte at `at` in its file, and reads [off, off+len) through a new store. */
  async function corruptAndRead(level: ChecksumLevel, at: number, off: number, len: number): Promise<{ right: boolean; fetched: number }> {
    const data = (await seed([1])).get(1)!;
    const a = await cached({ verifyCacheChecksum: level });
    await readAll(a, 1, data);
    await a.close();
    const file = readFileSync(fileOf(1));
    file[at] = file[at]! ^ 0xff;
    writeFileSync(fileOf(1), file);
    const b = await cached({ verifyCacheChecksum: level });
    const gets = storage.calls.get;
    const got = await b.newReader(1, BS).readAt(off, len);
    const fetched = storage.calls.get - gets;
    await b.close();
    return { right: got.equals(data.subarray(off, off + len)), fetched };
  }

  test('extend: a corrupted cache file is never returned; it is dropped and the block read from object storage', async () => {
    // A small read near the flipped byte: extend widens it to the 32 KiB piece and checks that.
    expect(await corruptAndRead('extend', 1000, 990, 20)).toEqual({ right: true, fetched: 1 });
  });

  test('extend: the refetched block replaces the bad file with a good one', async () => {
    await corruptAndRead('extend', 40_000, 0, BS);
    const c = await cached();
    const gets = storage.calls.get;
    await readAll(c, 1, bytes(BS, 1));
    expect(storage.calls.get).toBe(gets); // served from the new cache file, which checks out
    await c.close();
  });

  test('full: a read of the whole block is checked', async () => {
    expect(await corruptAndRead('full', 5, 0, BS)).toEqual({ right: true, fetched: 1 });
  });

  test('shrink: a read covering the damaged 32 KiB piece is checked', async () => {
    expect(await corruptAndRead('shrink', 33_000, 32 * KiB, 32 * KiB)).toEqual({ right: true, fetched: 1 });
  });

  test('none: nothing is checked, so the flipped byte comes back (what the checks are there to stop)', async () => {
    expect(await corruptAndRead('none', 5, 0, BS)).toEqual({ right: false, fetched: 0 });
  });

  test('a file in the Go client\'s layout is served as it is; a bare file (no checksums to check) is fetched again', async () => {
    const data = (await seed([1, 2])).get(1)!;
    const other = bytes(BS, 2);
    // As the Go client leaves them: block 1 with checksums, block 2 written with --verify-cache-checksum none.
    const dir = path.dirname(fileOf(1));
    mkdirSync(dir, { recursive: true });
    writeFileSync(fileOf(1), Buffer.concat([data, checksumsOf(data)]));
    writeFileSync(fileOf(2), other);
    const store = await cached();
    const gets = storage.calls.get;
    await readAll(store, 1, data);
    expect(storage.calls.get).toBe(gets);
    await readAll(store, 2, other);
    expect(storage.calls.get).toBe(gets + 1);
    await store.close();
    expect(statSync(fileOf(2)).size).toBe(BS + 8); // rewritten with checksums
  });

  test('a file whose size fits no layout is dropped on start and the block fetched again', async () => {
    const data = (await seed([1])).get(1)!;
    mkdirSync(path.dirname(fileOf(1)), { recursive: true });
    writeFileSync(fileOf(1), Buffer.concat([data, Buffer.alloc(4)])); // checksums cut short: 4 of the 8 bytes
    const store = await cached();
    expect(existsSync(fileOf(1))).toBe(false);
    const gets = storage.calls.get;
    await readAll(store, 1, data);
    expect(storage.calls.get).toBe(gets + 1);
    await store.close();
  });
});

describe('--cache-mode', () => {
  test('cached files get the mode; directories the matching execute (and write) bits, as JuiceFS derives them', async () => {
    const data = (await seed([1])).get(1)!;
    const store = await cached({ cacheMode: 0o640 });
    await readAll(store, 1, data);
    await store.close();
    const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8);
    expect({
      file: mode(fileOf(1)),
      leaf: mode(path.dirname(fileOf(1))),
      chunks: mode(path.join(raw(), 'chunks')),
      raw: mode(raw()),
      volume: mode(path.dirname(raw())),
    }).toEqual({ file: '640', leaf: '770', chunks: '770', raw: '770', volume: '770' });
  });

  test('the default is 0600 for files and 0700 for directories', async () => {
    const data = (await seed([1])).get(1)!;
    const store = await cached();
    await readAll(store, 1, data);
    await store.close();
    expect([(statSync(fileOf(1)).mode & 0o777).toString(8), (statSync(path.dirname(fileOf(1))).mode & 0o777).toString(8)]).toEqual(['600', '700']);
  });
});

describe('--cache-items and --cache-eviction', () => {
  const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

  test('without a bound every block read stays cached', async () => {
    const blocks = await seed(ids);
    const store = await cached();
    for (const id of ids) await readAll(store, id, blocks.get(id)!);
    await store.close();
    expect(cachedNames()).toHaveLength(10);
  });

  test('--cache-items 3: reading ten blocks leaves at most three files, the last one read among them', async () => {
    const blocks = await seed(ids);
    const store = await cached({ cacheItems: 3 });
    for (const id of ids) {
      await readAll(store, id, blocks.get(id)!);
      await settle(store);
      await new Promise((r) => setTimeout(r, 2)); // each block its own last-use time: 2-random keeps the newer of two
    }
    await store.close();
    const names = cachedNames();
    expect(names.length).toBeLessThanOrEqual(3);
    expect(names.length).toBeGreaterThan(0);
    expect(names).toContain(path.basename(fileOf(10)));
  });

  test('--cache-eviction none with --cache-items 3: the first three stay, later blocks are not cached at all', async () => {
    const blocks = await seed(ids);
    const store = await cached({ cacheItems: 3, cacheEviction: 'none' });
    for (const id of ids) {
      await readAll(store, id, blocks.get(id)!);
      await settle(store);
    }
    const drops = store.stats().cacheDrops;
    await store.close();
    expect(cachedNames()).toEqual([1, 2, 3].map((id) => path.basename(fileOf(id))));
    expect(drops).toBe(7);
  });

  test('--cache-eviction lru: the blocks read again most recently are the ones kept', async () => {
    const blocks = await seed(ids);
    const store = await cached({ cacheItems: 4, cacheEviction: 'lru' });
    for (const id of [1, 2, 3, 4]) {
      await readAll(store, id, blocks.get(id)!);
      await settle(store);
    }
    await new Promise((r) => setTimeout(r, 5));
    await readAll(store, 1, blocks.get(1)!); // 1 used again: now 2 is the least recently used
    await readAll(store, 5, blocks.get(5)!);
    await store.close();
    expect(cachedNames()).not.toContain(path.basename(fileOf(2)));
    expect(cachedNames()).toContain(path.basename(fileOf(1)));
  });
});

/** Waits for the store's background cache writes (a disk cache's `flush`, through the private field). */
async function settle(store: JuiceChunkStore): Promise<void> {
  await (store as unknown as { disk: DiskBlockCache }).disk.flush();
}

describe('--cache-expire', () => {
  test('blocks whose files were last used longer ago than the expiry are removed; recent ones stay', async () => {
    const blocks = await seed([1, 2]);
    const a = await cached();
    await readAll(a, 1, blocks.get(1)!);
    await readAll(a, 2, blocks.get(2)!);
    await a.close();
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(fileOf(1), twoHoursAgo, twoHoursAgo);
    const cache = new DiskBlockCache({ cacheDir: path.join(t.dir, 'cache'), uuid: UUID, capacity: 1 << 30, expireMs: 3600_000 });
    await cache.open();
    expect(cache.count).toBe(2);
    await cache.removeExpired(); // what the expiry loop runs every minute
    await cache.close();
    expect(cachedNames()).toEqual([path.basename(fileOf(2))]);
  });

  test('a store with --cache-expire 1 removes blocks nobody reads again, and reads them from object storage after', async () => {
    const blocks = await seed([1]);
    const store = await cached({ cacheExpire: 1 });
    await readAll(store, 1, blocks.get(1)!);
    await settle(store);
    expect(existsSync(fileOf(1))).toBe(true);
    await waitFor(() => !existsSync(fileOf(1)), 10_000);
    const gets = storage.calls.get;
    await readAll(store, 1, blocks.get(1)!);
    expect(storage.calls.get).toBe(gets + 1);
    await store.close();
  });
});

async function waitFor(ok: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('--cache-scan-interval', () => {
  test('on start the cache indexes the blocks already in the directory', async () => {
    const blocks = await seed([1]);
    const a = await cached();
    await readAll(a, 1, blocks.get(1)!);
    await a.close();
    const b = await cached();
    expect(b.stats().diskCacheBytes).toBe(BS);
    await b.close();
  });

  test('a periodic scan picks up blocks put into the directory by someone else, and forgets removed ones', async () => {
    const blocks = await seed([1, 2]);
    const a = await cached();
    await readAll(a, 1, blocks.get(1)!);
    await readAll(a, 2, blocks.get(2)!);
    await a.close();
    // Block 2's file is kept aside, to come back while the next cache runs.
    const aside = path.join(t.dir, 'aside');
    cpSync(fileOf(2), aside);
    rmSync(fileOf(2));
    const cache = new DiskBlockCache({ cacheDir: path.join(t.dir, 'cache'), uuid: UUID, capacity: 1 << 30, scanIntervalMs: 100 });
    await cache.open();
    const key2 = blockKey({ id: 2, index: 0, length: BS });
    const key1 = blockKey({ id: 1, index: 0, length: BS });
    expect([cache.has(key1), cache.has(key2)]).toEqual([true, false]);
    cpSync(aside, fileOf(2));
    rmSync(fileOf(1));
    await waitFor(() => cache.has(key2) && !cache.has(key1), 5000);
    expect((await cache.get(key2, 0, BS))?.equals(blocks.get(2)!)).toBe(true);
    await cache.close();
  });

  test('without periodic scans (0) a file put there later stays unknown', async () => {
    const blocks = await seed([2]);
    const cache = new DiskBlockCache({ cacheDir: path.join(t.dir, 'cache'), uuid: UUID, capacity: 1 << 30, scanIntervalMs: 0 });
    await cache.open();
    mkdirSync(path.dirname(fileOf(2)), { recursive: true });
    const d = blocks.get(2)!;
    writeFileSync(fileOf(2), Buffer.concat([d, checksumsOf(d)]));
    await new Promise((r) => setTimeout(r, 300));
    expect(cache.has(blockKey({ id: 2, index: 0, length: BS }))).toBe(false);
    await cache.close();
  });
});

describe('--cache-partial-only', () => {
  test('a sequential read caches only the short block (the file\'s tail), not the full ones', async () => {
    const data = bytes(2 * BS + 10 * KiB, 7);
    const w = await openChunkStore(storage, { blockSize: BS, memoryCacheSize: 0 });
    await put(w, 7, data);
    await w.close();
    const store = await cached({ cachePartialOnly: true });
    await readAll(store, 7, data);
    await store.close();
    expect(cachedNames()).toEqual([path.basename(fileOf(7, 2, 10 * KiB))]);
    const all = await cached();
    await readAll(all, 7, data);
    await all.close();
    expect(cachedNames()).toHaveLength(3);
  });
});

describe('writeback staging in the same layout', () => {
  test('a block the Go client staged with checksums is found on start and uploaded without them', async () => {
    const data = bytes(40 * KiB, 9);
    const staged = path.join(t.dir, 'cache', UUID, 'rawstaging', blockKey({ id: 9, index: 0, length: 40 * KiB }));
    mkdirSync(path.dirname(staged), { recursive: true });
    writeFileSync(staged, Buffer.concat([data, checksumsOf(data)]));
    const store = await cached({ writeback: true });
    await store.close(); // waits for staged uploads
    expect(existsSync(staged)).toBe(false);
    const object = await storage.get(blockKey({ id: 9, index: 0, length: 40 * KiB }));
    expect(Buffer.from(object).equals(data)).toBe(true);
  });

  test('blocks staged here carry the checksums and the --cache-mode too', async () => {
    storage.inject({ ops: ['put'] }); // uploads fail: the block stays staged
    const store = await cached({ writeback: true, cacheMode: 0o640 });
    const data = bytes(40 * KiB, 10);
    const w = store.newWriter(10);
    await w.writeAt(data, 0);
    await w.finish(data.length);
    store.abandon(); // as a crash: the staged file stays for the next start
    const staged = readFileSync(path.join(t.dir, 'cache', UUID, 'rawstaging', blockKey({ id: 10, index: 0, length: 40 * KiB })));
    const st = statSync(path.join(t.dir, 'cache', UUID, 'rawstaging', blockKey({ id: 10, index: 0, length: 40 * KiB })));
    expect({ size: staged.length, mode: (st.mode & 0o777).toString(8), trailer: staged.subarray(40 * KiB).equals(checksumsOf(data)) })
      .toEqual({ size: 40 * KiB + 8, mode: '640', trailer: true });
    storage.clear();
    const again = await cached({ writeback: true });
    await again.close(); // uploads what was staged
    expect(Buffer.from(await storage.get(blockKey({ id: 10, index: 0, length: 40 * KiB }))).equals(data)).toBe(true);
  });
});
