import type { JuiceChunkStore } from '../src/store/index.js';

/** `n` bytes of a pattern that differs per `seed` and never repeats within a block. */
export function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return b;
}

/** Stores `data` as slice `id`, whole, through the store's writer. */
export async function put(store: JuiceChunkStore, id: number, data: Buffer): Promise<void> {
  const w = store.newWriter(id);
  await w.writeAt(data, 0);
  await w.finish(data.length);
}
