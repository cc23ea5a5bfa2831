import { createStorage } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';

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
