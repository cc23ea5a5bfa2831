// Random write sequences against a byte-array model: whatever the order, overlap and flush
// points, the committed slice reads back as the model says, through every read pattern.
import fc from 'fast-check';
import { createStorage } from '../src/object/index.js';
import { openChunkStore } from '../src/store/index.js';

// Larger than the 64 KiB first buffer of a block, so buffers grow while written.
const BS = 256 * 1024;

interface Op {
  kind: 'write' | 'flush';
  offset: number;
  length: number;
  seed: number;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<'write' | 'flush'>('write', 'write', 'write', 'flush'),
  offset: fc.integer({ min: 0, max: 6 * BS }),
  length: fc.integer({ min: 0, max: 2 * BS + 10 }),
  seed: fc.integer({ min: 1, max: 255 }),
});

test('random writes, overwrites and flushes read back as the model says', async () => {
  const store = await openChunkStore(createStorage('mem', 'model'), { blockSize: BS, memoryCacheSize: 64 * BS });
  let id = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), fc.integer({ min: 0, max: BS }), fc.integer({ min: BS / 8, max: 3 * BS }), async (ops, extra, readSize) => {
      id++;
      const w = store.newWriter(id);
      let model = Buffer.alloc(0);
      let flushed = 0;
      for (const op of ops) {
        if (op.kind === 'flush') {
          // A writer flushes only what it will not touch again: up to its furthest write.
          const to = Math.min(op.offset, model.length);
          await w.flushTo(to);
          flushed = Math.max(flushed, Math.floor(to / BS) * BS);
          continue;
        }
        const offset = Math.max(op.offset, flushed);
        const data = Buffer.alloc(op.length, op.seed);
        for (let i = 0; i < data.length; i++) data[i] = (op.seed * 31 + i) & 0xff;
        await w.writeAt(data, offset);
        if (offset + data.length > model.length) {
          const grown = Buffer.alloc(offset + data.length);
          model.copy(grown);
          model = grown;
        }
        data.copy(model, offset);
      }
      const length = Math.max(model.length, flushed) + extra;
      const want = Buffer.alloc(length);
      model.copy(want);
      await w.finish(length);
      const r = store.newReader(id, length);
      const whole = await r.readAt(0, length + 5);
      expect(whole.equals(want)).toBe(true);
      for (let off = length - 1; off >= 0; off -= readSize) {
        const start = Math.max(0, off - readSize + 1);
        expect((await r.readAt(start, off - start + 1)).equals(want.subarray(start, off + 1))).toBe(true);
      }
      await store.evictCache(id, length);
    }),
    { numRuns: 60, seed: 20261126 },
  );
  await store.close();
});
