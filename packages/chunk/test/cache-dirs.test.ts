import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { homedir } from 'node:os';
import { createStorage, FaultyStorage } from '../src/object/index.js';
import { openChunkStore, type ChunkStoreOptions, type JuiceChunkStore } from '../src/store/index.js';
import { CacheDirRouter, CacheRing, expandCacheDirs, murmur3 } from '../src/cache/index.js';
import { blockKey } from '../src/layout/index.js';
import { bytes, put } from './slices.js';
import { tempDir } from './services.js';

// Several cache directories (`--cache-dir a:b`, glob patterns), as JuiceFS spreads blocks over
// them: shown by the files each real directory ends up holding.

const KiB = 1024;
const BS = 64 * KiB;
const UUID = '5f1c2e7a-0000-4000-8000-00000000d125';

describe('MurmurHash3 and the ring JuiceFS places blocks with', () => {
  test('murmur3 (x86, 32-bit, seed 0) gives the reference values of the Go package JuiceFS uses', () => {
    const vectors: Array<[string, number]> = [
      ['', 0x00000000],
      ['hello', 0x248bfa47],
      ['hello, world', 0x149bbb7f],
      ['19 Jan 2038 at 3:14:07 AM', 0xe31e8a70],
      ['The quick brown fox jumps over the lazy dog.', 0xd5c48bfc],
    ];
    expect(vectors.map(([s]) => murmur3(Buffer.from(s)))).toEqual(vectors.map(([, h]) => h));
  });

  test('the ring puts block keys where the Go ring (100 points each, rebalanced once) puts them', () => {
    // Golden values printed by a Go program running groupcache's consistenthash as Juicedata
    // extended it, over these three ids and keys chunks/0/<id/1000>/<id>_0_4194304, ids 1-3000.
    const ids = ['6f1c1a8e-3b0e-4f6e-9a57-0d4c1f2b7a10', 'a3d9e2c4-58b1-4c0f-8e3a-7b6d5f4e3c21', '0b7f4e91-2c6d-4a8b-b1e0-9f8e7d6c5b43'];
    const ring = new CacheRing(ids);
    const counts = new Map<string, number>();
    const first: string[] = [];
    for (let id = 1; id <= 3000; id++) {
      const owner = ring.get(`chunks/${Math.floor(id / 1e6)}/${Math.floor(id / 1000)}/${id}_0_4194304`)!;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
      if (id <= 12) first.push(`${id}:${owner.slice(0, 8)}`);
    }
    expect(Object.fromEntries(counts)).toEqual({ [ids[2]!]: 996, [ids[0]!]: 992, [ids[1]!]: 1012 });
    expect(first).toEqual(['1:a3d9e2c4', '2:a3d9e2c4', '3:a3d9e2c4', '4:a3d9e2c4', '5:a3d9e2c4', '6:6f1c1a8e', '7:a3d9e2c4', '8:6f1c1a8e', '9:a3d9e2c4', '10:6f1c1a8e', '11:6f1c1a8e', '12:6f1c1a8e']);
    // The order the ids come in does not move any key.
    const reversed = new CacheRing([...ids].reverse());
    for (let id = 1; id <= 300; id++) expect(reversed.get(`k${id}`)).toBe(ring.get(`k${id}`));
  });
});

describe('expandCacheDirs: the directories a --cache-dir names', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir('cachelist')));
  afterEach(() => t.remove());

  test('a list, sorted, without repeats or trailing slashes; plain paths whether or not they exist', () => {
    const d = t.dir;
    expect(expandCacheDirs(`${d}/b/:${d}/a::${d}/b`)).toEqual([`${d}/a`, `${d}/b`]);
    expect(expandCacheDirs(`${d}/b,${d}/a`)).toEqual([`${d}/a`, `${d}/b`]); // commas, when there is no colon (JuiceFS's SplitDir)
    expect(existsSync(`${d}/a`)).toBe(false); // listing makes nothing
    // Relative entries and ~ become absolute, as JuiceFS makes them, so .config says where they are.
    expect(expandCacheDirs('rel/cache:~/jfs')).toEqual([path.resolve('rel/cache'), path.join(homedir(), 'jfs')].sort());
  });

  test('glob patterns stand for the directories they match now (files and missing paths match nothing)', () => {
    const d = t.dir;
    for (const n of ['ssd1', 'ssd2', 'ssd10', 'hdd1']) mkdirSync(path.join(d, n, 'jfs'), { recursive: true });
    writeFileSync(path.join(d, 'ssd3'), 'a file, not a disk');
    expect(expandCacheDirs(`${d}/ssd*`)).toEqual([`${d}/ssd1`, `${d}/ssd10`, `${d}/ssd2`]);
    expect(expandCacheDirs(`${d}/ssd?/jfs`)).toEqual([`${d}/ssd1/jfs`, `${d}/ssd2/jfs`]);
    // Plain parts after a pattern need not exist yet (they are made): only what the pattern matches must.
    expect(expandCacheDirs(`${d}/ssd?/new`)).toEqual([`${d}/ssd1/new`, `${d}/ssd2/new`]);
    expect(expandCacheDirs(`${d}/[hs][sd]d[^2]/jfs:${d}/plain`)).toEqual([`${d}/hdd1/jfs`, `${d}/plain`, `${d}/ssd1/jfs`]);
    expect(expandCacheDirs(`${d}/nvme*`)).toEqual([]);
  });
});

describe('a chunk store over several cache directories', () => {
  let t: ReturnType<typeof tempDir>;
  let storage: FaultyStorage;
  beforeEach(() => {
    t = tempDir('cachedirs');
    storage = new FaultyStorage(createStorage('mem', path.basename(t.dir)));
  });
  afterEach(() => t.remove());

  const dirOf = (name: string): string => path.join(t.dir, name);
  /** Block files (by name) under one cache directory's `raw` or `rawstaging`. */
  const filesIn = (name: string, sub = 'raw'): string[] => {
    const root = path.join(dirOf(name), UUID, sub);
    return existsSync(root) ? readdirSync(root, { recursive: true }).map(String).filter((f) => /\d+_\d+_\d+$/.test(f)).map((f) => path.basename(f)).sort() : [];
  };
  const open = (cacheDir: string, extra: Partial<ChunkStoreOptions> = {}): Promise<JuiceChunkStore> =>
    openChunkStore(storage, { blockSize: BS, cacheDir, uuid: UUID, memoryCacheSize: 0, readahead: 0, ...extra });

  async function seed(ids: number[]): Promise<Map<number, Buffer>> {
    const w = await openChunkStore(storage, { blockSize: BS, memoryCacheSize: 0 });
    const out = new Map<number, Buffer>();
    for (const id of ids) {
      out.set(id, bytes(BS, id));
      await put(w, id, out.get(id)!);
    }
    await w.close();
    return out;
  }

  async function readAll(store: JuiceChunkStore, data: Map<number, Buffer>): Promise<void> {
    for (const [id, d] of data) expect((await store.newReader(id, d.length).readAt(0, d.length)).equals(d)).toBe(true);
  }

  const ids = Array.from({ length: 40 }, (_, i) => i + 1);
  const names = (list: number[]): string[] => list.map((id) => path.basename(blockKey({ id, index: 0, length: BS }))).sort();

  test('blocks are spread over the directories, each in the one the ring picks from the directories\' .lock ids; the list\'s order does not matter', async () => {
    const data = await seed(ids);
    const store = await open(`${dirOf('ssd1')}:${dirOf('ssd2')}`);
    await readAll(store, data);
    await store.close();
    const lockIds = ['ssd1', 'ssd2'].map((n) => readFileSync(path.join(dirOf(n), UUID, '.lock'), 'utf8'));
    const ring = new CacheRing(lockIds);
    const expected = { ssd1: [] as number[], ssd2: [] as number[] };
    for (const id of ids) expected[ring.get(blockKey({ id, index: 0, length: BS })) === lockIds[0] ? 'ssd1' : 'ssd2'].push(id);
    expect({ ssd1: filesIn('ssd1'), ssd2: filesIn('ssd2') }).toEqual({ ssd1: names(expected.ssd1), ssd2: names(expected.ssd2) });
    expect(Math.min(expected.ssd1.length, expected.ssd2.length)).toBeGreaterThan(5); // both directories take a share
    expect(lockIds[0]).toMatch(/^[0-9a-f-]{36}$/);

    // The list in the other order: every block is found where it is, nothing fetched.
    const again = await open(`${dirOf('ssd2')}:${dirOf('ssd1')}`);
    const gets = storage.calls.get;
    await readAll(again, data);
    const where = await again.checkCache(ids[0]!, BS);
    await again.close();
    expect(storage.calls.get).toBe(gets);
    const first = expected.ssd1.includes(ids[0]!) ? 'ssd1' : 'ssd2';
    expect(where).toEqual({ missBytes: 0, locations: { [dirOf(first)]: BS } });
  });

  test('a directory added to the list: blocks cached before are still found in their old directory', async () => {
    const data = await seed(ids);
    const one = await open(dirOf('ssd1'));
    await readAll(one, data);
    await one.close();
    const two = await open(`${dirOf('ssd1')}:${dirOf('ssd2')}`);
    const gets = storage.calls.get;
    await readAll(two, data);
    await two.close();
    expect({ gets: storage.calls.get - gets, ssd1: filesIn('ssd1').length, ssd2: filesIn('ssd2').length }).toEqual({ gets: 0, ssd1: ids.length, ssd2: 0 });
  });

  test('--cache-size is split evenly: each directory keeps its half', async () => {
    const data = await seed(ids);
    // Room for 10 blocks in all (their checksums take a little more): 5 a directory.
    const store = await open(`${dirOf('a')}:${dirOf('b')}`, { cacheSize: 10 * BS + 4 * KiB });
    await readAll(store, data);
    await store.close();
    const bytesIn = (n: string): number => filesIn(n).reduce((sum, f) => sum + statSync(path.join(dirOf(n), UUID, 'raw', blockKey({ id: Number(f.split('_')[0]), index: 0, length: BS }))).size, 0);
    expect({ a: bytesIn('a') <= 5 * BS + 2 * KiB, b: bytesIn('b') <= 5 * BS + 2 * KiB, a1: filesIn('a').length > 0, b1: filesIn('b').length > 0 }).toEqual({ a: true, b: true, a1: true, b1: true });
  });

  test('glob patterns: blocks go to every directory the pattern matches', async () => {
    for (const n of ['disk1', 'disk2', 'disk3']) mkdirSync(dirOf(n));
    const data = await seed(ids);
    const store = await open(`${t.dir}/disk*`);
    await readAll(store, data);
    await store.close();
    const counts = ['disk1', 'disk2', 'disk3'].map((n) => filesIn(n).length);
    expect({ all: counts.reduce((a, b) => a + b, 0), everyDisk: counts.every((c) => c > 0) }).toEqual({ all: ids.length, everyDisk: true });
  });

  test('a pattern that matches nothing: a 100 MiB memory cache, said in the store\'s notices, and no directory made', async () => {
    const data = await seed([1, 2]);
    const store = await open(`${t.dir}/nvme*`);
    expect(store.options.notices).toEqual([`cache directory ${t.dir}/nvme* names no directory (its patterns match none); blocks are cached in memory only (100 MiB)`]);
    await readAll(store, data);
    const gets = storage.calls.get;
    await readAll(store, data);
    await store.close();
    expect({ gets: storage.calls.get - gets, memory: store.options.memoryCacheSize, made: readdirSync(t.dir) }).toEqual({ gets: 0, memory: 100 << 20, made: [] });
  });

  test('a directory of the list that cannot be used fails the start, named, with its errno', async () => {
    writeFileSync(path.join(t.dir, 'afile'), 'not a directory');
    const bad = `${t.dir}/afile/cache`;
    await expect(open(`${dirOf('ok')}:${bad}`)).rejects.toMatchObject({
      code: 'ENOTDIR',
      message: expect.stringContaining(`cache directory ${bad} cannot be used: not a directory`),
    });
  });

  test('a directory given up: its keys go to the others, most of theirs stay; with none left, nothing is routed', () => {
    const router = new CacheDirRouter(['a', 'b', 'c'].map(dirOf), UUID, 0o600);
    const keys = Array.from({ length: 300 }, (_, i) => blockKey({ id: i + 1, index: 0, length: BS }));
    const before = keys.map((k) => router.indexOf(k));
    router.markDown(1);
    const after = keys.map((k) => router.indexOf(k));
    const fromB = keys.filter((_, i) => before[i] === 1).map((k) => router.indexOf(k));
    const stayed = keys.filter((_, i) => before[i] !== 1 && after[i] === before[i]).length / keys.filter((_, i) => before[i] !== 1).length;
    // B's keys go to both others; the rest mostly stay (the one rebalancing pass, as in Go's ring, moves a few).
    expect({ bHadSome: fromB.length > 50, noneOnB: after.every((i) => i !== 1), spread: new Set(fromB).size, mostStay: stayed > 0.8 })
      .toEqual({ bHadSome: true, noneOnB: true, spread: 2, mostStay: true });
    router.markDown(0);
    router.markDown(2);
    expect(router.indexOf(keys[0]!)).toBe(-1);
    const single = new CacheDirRouter([dirOf('only')], UUID, 0o600);
    single.markDown(0);
    expect(single.indexOf(keys[0]!)).toBe(-1);
  });

  test('writeback stages blocks over the directories; after a crash, a start with the list reordered uploads every one', async () => {
    const list = `${dirOf('s1')}:${dirOf('s2')}`;
    const store = await open(list, { writeback: true, uploadDelayMs: 60_000 });
    const data = new Map<number, Buffer>();
    for (const id of ids) {
      data.set(id, bytes(BS, id + 100));
      await put(store, id, data.get(id)!);
    }
    const staged = { s1: filesIn('s1', 'rawstaging').length, s2: filesIn('s2', 'rawstaging').length };
    expect({ all: staged.s1 + staged.s2, both: staged.s1 > 0 && staged.s2 > 0, uploaded: storage.calls.put }).toEqual({ all: ids.length, both: true, uploaded: 0 });
    store.abandon(); // as a crash: the staged files stay
    const again = await open(`${dirOf('s2')}:${dirOf('s1')}`, { writeback: true });
    await again.close(); // waits for the uploads
    expect({ s1: filesIn('s1', 'rawstaging'), s2: filesIn('s2', 'rawstaging'), puts: storage.calls.put }).toEqual({ s1: [], s2: [], puts: ids.length });
    const plain = await openChunkStore(storage, { blockSize: BS, memoryCacheSize: 0 });
    await readAll(plain, data);
    await plain.close();
  });
});
