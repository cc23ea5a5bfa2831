import type { ListOptions, ObjectStorage } from '@juicefs/core';
import { createStorage, withConcurrencyLimits, withRetry } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';
import { bytes, put } from './slices.js';
import { tempDir } from './services.js';

// --max-downloads and --max-deletes: a real chunk store over a real file bucket, with a wrapper
// right on the bucket that counts the GETs and DELETEs in flight (each held a little, so a burst
// overlaps) under real reads and slice removals.

class InFlight implements ObjectStorage {
  readonly description: string;
  readonly max = { get: 0, delete: 0 };
  private now = { get: 0, delete: 0 };
  constructor(private readonly inner: ObjectStorage) {
    this.description = inner.description;
  }
  private async track<T>(op: 'get' | 'delete', call: () => Promise<T>): Promise<T> {
    this.now[op]++;
    this.max[op] = Math.max(this.max[op], this.now[op]);
    try {
      await new Promise((r) => setTimeout(r, 20));
      return await call();
    } finally {
      this.now[op]--;
    }
  }
  create = () => this.inner.create();
  get = (key: string, offset?: number, limit?: number) => this.track('get', () => this.inner.get(key, offset, limit));
  put = (key: string, data: Buffer) => this.inner.put(key, data);
  delete = (key: string) => this.track('delete', () => this.inner.delete(key));
  head = (key: string) => this.inner.head(key);
  list = (prefix: string, opts?: ListOptions) => this.inner.list(prefix, opts);
}

const BLOCK = 64 << 10;
const SLICE = 16 * BLOCK;

async function run(limits: { gets?: number; deletes?: number }): Promise<{ get: number; delete: number }> {
  const t = tempDir('conc');
  try {
    const bucket = createStorage('file', `${t.dir}/bucket`);
    await bucket.create();
    const counted = new InFlight(bucket);
    const storage = withRetry(withConcurrencyLimits(counted, limits), { retries: 0 });
    // No caches: every read is a GET.
    const store = await openChunkStore(storage, { blockSize: BLOCK, memoryCacheSize: 0, readahead: 0 });
    try {
      const slices = [1, 2, 3, 4];
      for (const id of slices) await put(store, id, bytes(SLICE, id));
      // Four readers at once, each reading its slice block by block in parallel.
      const read = await Promise.all(
        slices.map(async (id) => {
          const r = store.newReader(id, SLICE);
          const parts = await Promise.all(Array.from({ length: 16 }, (_, i) => r.readAt(i * BLOCK, BLOCK)));
          return Buffer.concat(parts).equals(bytes(SLICE, id));
        }),
      );
      expect(read).toEqual([true, true, true, true]);
      await Promise.all(slices.map((id) => store.remove(id, SLICE)));
      expect(await bucket.list('chunks/')).toEqual([]);
    } finally {
      await store.close();
    }
    return counted.max;
  } finally {
    t.remove();
  }
}

describe('--max-downloads / --max-deletes', () => {
  test('without limits a burst puts many GETs and DELETEs on the wire at once', async () => {
    const max = await run({});
    expect(max.get).toBeGreaterThan(3);
    expect(max.delete).toBeGreaterThan(2);
  });

  test('with --max-downloads 3 --max-deletes 2 the bucket never sees more at once', async () => {
    expect(await run({ gets: 3, deletes: 2 })).toEqual({ get: 3, delete: 2 });
  });
});
