// Deliberately broken implementations, run through the conformance suites by
// suites-catch-bugs.test.ts in a child jest: the suites must fail them. Not a *.test.ts file, so
// the normal run does not pick it up.
import type { ChunkStore, ListOptions, ObjectStorage, SliceReader, SliceWriter } from '@juicefs/core';
import { objectStorageConformance } from '@juicefs/core/conformance/object';
import { chunkStoreConformance } from '@juicefs/core/conformance/chunk';
import { createStorage } from '../../src/object/index.js';
import { harnessFactory } from '../harness.js';

/** Lists in reverse order and fails to delete missing keys. */
function sloppyStorage(): ObjectStorage {
  const inner = createStorage('mem', 'broken');
  return {
    description: 'sloppy',
    create: () => inner.create(),
    get: (k: string, o?: number, l?: number) => inner.get(k, o, l),
    put: (k: string, d: Buffer) => inner.put(k, d),
    delete: async (k: string) => {
      await inner.head(k);
      await inner.delete(k);
    },
    head: (k: string) => inner.head(k),
    list: async (p: string, opts?: ListOptions) => (await inner.list(p, opts)).reverse(),
  };
}

objectStorageConformance('BROKEN storage', async () => ({ storage: sloppyStorage() }));

/** Finish that does not report failed uploads; reads that answer zeros instead of failing. */
function careless(store: ChunkStore): ChunkStore {
  return {
    blockSize: store.blockSize,
    newWriter(id: number): SliceWriter {
      const w = store.newWriter(id);
      return {
        id,
        writeAt: (d, o) => w.writeAt(d, o),
        flushTo: (o) => w.flushTo(o).catch(() => undefined),
        finish: (l) => w.finish(l).catch(() => undefined),
        abort: () => w.abort(),
      };
    },
    newReader(id: number, length: number): SliceReader {
      const r = store.newReader(id, length);
      return {
        id,
        length,
        readAt: (o, s) => r.readAt(o, s).catch(() => Buffer.alloc(Math.max(0, Math.min(s, length - o)))),
      };
    },
    remove: (id, l) => store.remove(id, l),
    fillCache: (id, l) => store.fillCache(id, l),
    evictCache: (id, l) => store.evictCache(id, l),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}

const base = harnessFactory({ backend: 'mem', memoryCache: false });
chunkStoreConformance(
  'BROKEN store',
  async (o) => {
    const ut = await base(o);
    return { ...ut, store: careless(ut.store) };
  },
  { cache: true },
);
