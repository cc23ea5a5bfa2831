import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createStorage, withRetry } from '../src/object/index.js';
import {
  inUploadHours,
  msUntilUploadHours,
  openChunkStore,
  parseUploadHours,
  type ChunkStoreOptions,
} from '../src/store/index.js';
import { bytes, put } from './slices.js';
import { tempDir } from './services.js';

// --upload-delay, --upload-hours, --writeback-threshold-size and --max-stage-write: a real
// writeback chunk store staging into a real cache directory over a real file bucket; what each
// flag does is read off the bucket and the staging directory.

const BLOCK = 1 << 20;
const UUID = 'wb-schedule';

function volume() {
  const t = tempDir('wbs');
  const bucket = createStorage('file', `${t.dir}/bucket`);
  const staged = (): string[] => {
    const root = path.join(t.dir, 'cache', UUID, 'rawstaging');
    if (!fs.existsSync(root)) return [];
    return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => /\d+_\d+_\d+$/.test(f)).map((f) => path.basename(f)).sort();
  };
  const uploaded = async (): Promise<string[]> => (await bucket.list('chunks/')).map((i) => path.basename(i.key)).sort();
  const open = async (o: Partial<ChunkStoreOptions> = {}) => {
    await bucket.create();
    return openChunkStore(withRetry(bucket, { retries: 0 }), {
      blockSize: BLOCK, cacheDir: `${t.dir}/cache`, cacheSize: 64 << 20, uuid: UUID, writeback: true, ...o,
    });
  };
  return { open, staged, uploaded, remove: () => t.remove() };
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('--upload-hours parsing and window', () => {
  test('START,END or START-END, hours 0 to 23', () => {
    expect(parseUploadHours('1,6')).toEqual({ start: 1, end: 6 });
    expect(parseUploadHours('23-3')).toEqual({ start: 23, end: 3 });
    expect(parseUploadHours('')).toBeUndefined();
    for (const bad of ['1', '1,2,3', '0,24', 'a,b', '-1,3']) {
      expect(() => parseUploadHours(bad)).toThrow(/--upload-hours .*START,END/);
    }
  });

  test('start inclusive, end exclusive, wrapping over midnight; equal hours mean always', () => {
    const at = (h: number, m = 0) => new Date(2026, 0, 1, h, m);
    const day = { start: 1, end: 6 };
    expect([0, 1, 5, 6].map((h) => inUploadHours(day, at(h, 30)))).toEqual([false, true, true, false]);
    const night = { start: 23, end: 3 };
    expect([22, 23, 0, 2, 3].map((h) => inUploadHours(night, at(h)))).toEqual([false, true, true, true, false]);
    expect(inUploadHours({ start: 4, end: 4 }, at(12))).toBe(true);
    expect(msUntilUploadHours(day, at(0, 30))).toBe(30 * 60_000);
    expect(msUntilUploadHours(day, at(7))).toBe(18 * 3_600_000);
    expect(msUntilUploadHours(day, at(2))).toBe(0);
  });
});

describe('writeback scheduling', () => {
  test('--upload-delay: the staged block reaches the bucket only after the delay, readable meanwhile', async () => {
    const v = volume();
    const store = await v.open({ uploadDelayMs: 1500 });
    try {
      const data = bytes(1000, 1);
      const staged = Date.now();
      await put(store, 11, data);
      expect(v.staged()).toEqual(['11_0_1000']);
      expect(await v.uploaded()).toEqual([]);
      expect((await store.newReader(11, 1000).readAt(0, 1000)).equals(data)).toBe(true);
      expect(await waitFor(async () => (await v.uploaded()).length > 0, 10_000)).toBe(true);
      expect(Date.now() - staged).toBeGreaterThanOrEqual(1400);
      expect(await v.uploaded()).toEqual(['11_0_1000']);
      expect(await waitFor(async () => v.staged().length === 0, 5000)).toBe(true);
    } finally {
      await store.close();
      v.remove();
    }
  });

  test('a delay longer than a timer can hold (40 days) still holds the block back', async () => {
    const v = volume();
    const store = await v.open({ uploadDelayMs: 40 * 86_400_000 });
    try {
      await put(store, 16, bytes(300, 6));
      await new Promise((r) => setTimeout(r, 300));
      expect(await v.uploaded()).toEqual([]);
      expect(v.staged()).toEqual(['16_0_300']);
    } finally {
      await store.close();
      v.remove();
    }
  });

  test('a block still waiting at close stays staged; the next start uploads it once its delay is over', async () => {
    const v = volume();
    try {
      const first = await v.open({ uploadDelayMs: 3_600_000 });
      await put(first, 12, bytes(500, 2));
      await first.close();
      expect(v.staged()).toEqual(['12_0_500']);
      expect(await v.uploaded()).toEqual([]);
      const second = await v.open({ uploadDelayMs: 0 });
      try {
        expect(await waitFor(async () => (await v.uploaded()).length > 0, 10_000)).toBe(true);
        expect(await v.uploaded()).toEqual(['12_0_500']);
      } finally {
        await second.close();
      }
    } finally {
      v.remove();
    }
  });

  test('--upload-hours: outside the window blocks stay staged; inside it they go at once', async () => {
    const h = new Date().getHours();
    const v = volume();
    try {
      // A window starting three hours from now: closed for the whole test.
      const shut = await v.open({ uploadHours: { start: (h + 3) % 24, end: (h + 4) % 24 } });
      await put(shut, 13, bytes(700, 3));
      await new Promise((r) => setTimeout(r, 500));
      expect(await v.uploaded()).toEqual([]);
      await shut.close();
      expect(v.staged()).toEqual(['13_0_700']);
      // A window around now (an hour either side, so the hour may turn during the test).
      const open = await v.open({ uploadHours: { start: (h + 23) % 24, end: (h + 2) % 24 } });
      try {
        expect(await waitFor(async () => (await v.uploaded()).length > 0, 10_000)).toBe(true);
        expect(await v.uploaded()).toEqual(['13_0_700']);
      } finally {
        await open.close();
      }
    } finally {
      v.remove();
    }
  });

  test('--writeback-threshold-size: blocks as large as the threshold are uploaded directly, smaller ones staged', async () => {
    const v = volume();
    // The delay keeps staged blocks out of the bucket, so the bucket shows what went directly.
    const store = await v.open({ uploadDelayMs: 3_600_000, writebackThresholdSize: BLOCK });
    try {
      await put(store, 14, bytes(BLOCK + 100, 4)); // one full block and a 100-byte tail
      expect(await v.uploaded()).toEqual([`14_0_${BLOCK}`]);
      expect(v.staged()).toEqual(['14_1_100']);
    } finally {
      await store.close();
      v.remove();
    }
  });

  test('--writeback-threshold-size 0 (the default) stages every block', async () => {
    const v = volume();
    const store = await v.open({ uploadDelayMs: 3_600_000, writebackThresholdSize: 0 });
    try {
      await put(store, 15, bytes(BLOCK + 100, 5));
      expect(await v.uploaded()).toEqual([]);
      expect(v.staged()).toEqual([`15_0_${BLOCK}`, '15_1_100']);
    } finally {
      await store.close();
      v.remove();
    }
  });

  test('--max-stage-write: blocks that find the staged writes all busy are uploaded directly', async () => {
    const write8 = async (maxStageWrite: number) => {
      const v = volume();
      const store = await v.open({ uploadDelayMs: 3_600_000, maxStageWrite });
      try {
        // Eight 1 MiB blocks sealed at once: their staged writes (async, over 256 KiB) overlap.
        await Promise.all(Array.from({ length: 8 }, (_, i) => put(store, 100 + i, bytes(BLOCK, i))));
        return { direct: (await v.uploaded()).length, staged: v.staged().length };
      } finally {
        await store.close();
        v.remove();
      }
    };
    expect(await write8(0)).toEqual({ direct: 0, staged: 8 });
    const bounded = await write8(1);
    expect(bounded.direct + bounded.staged).toBe(8);
    expect(bounded.direct).toBeGreaterThan(0);
    expect(bounded.staged).toBeGreaterThan(0);
  });
});

describe('writeback on a cache disk running out of space', () => {
  // A real small file system for the cache: a 2 MiB tmpfs (mounting it needs root, as the FUSE tests do).
  let t: ReturnType<typeof tempDir>;
  let disk: string;
  beforeEach(() => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root');
    t = tempDir('wbfull');
    disk = path.join(t.dir, 'disk');
    fs.mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
  });
  afterEach(() => {
    execFileSync('umount', [disk]);
    t.remove();
  });

  test('writes never fail: blocks that do not fit are uploaded directly, and held-back ones go early once free space runs low', async () => {
    const BS = 64 << 10;
    const bucket = createStorage('file', `${t.dir}/bucket`);
    await bucket.create();
    const store = await openChunkStore(bucket, { blockSize: BS, cacheDir: disk, cacheSize: 0, uuid: UUID, writeback: true, uploadDelayMs: 3_600_000, memoryCacheSize: 0 });
    const data = Array.from({ length: 60 }, (_, i) => bytes(BS, i)); // 3.75 MiB into 2 MiB
    for (const [i, d] of data.entries()) await put(store, 500 + i, d);
    for (const [i, d] of data.entries()) expect((await store.newReader(500 + i, BS).readAt(0, BS)).equals(d)).toBe(true);
    // The disk ran short: blocks held back for an hour go now, and the staging area empties.
    // A staged file is removed after its upload lands, so the bucket can be full a moment before
    // the staging area is empty: wait for both.
    const stagedNow = () => fs.readdirSync(path.join(disk, UUID, 'rawstaging'), { recursive: true }).filter((f) => /\d+_\d+_\d+$/.test(String(f))).length;
    const early = await waitFor(async () => (await bucket.list('chunks/')).length === data.length && stagedNow() === 0, 10_000);
    const staged = stagedNow();
    const skips = store.stageSkips;
    await store.close();
    expect({ early, staged, skipped: skips > 0 }).toEqual({ early: true, staged: 0, skipped: true });
  });
});
