// Random I/O through several handles of one file, with offsets on both sides of the 64 MiB
// chunk boundary, against a sparse byte model.
import fc from 'fast-check';
import { CHUNK_SIZE, O_APPEND, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../src/index.js';
import { BLOCK, createFile, expectBytes, newHarness, pattern } from './vfs-harness.js';

/** File bytes as a map of the non-zero ones (the file may be 64 MiB long). */
class SparseModel {
  private bytes = new Map<number, number>();
  length = 0;
  write(offset: number, data: Buffer): void {
    for (let i = 0; i < data.length; i++) {
      if (data[i]) this.bytes.set(offset + i, data[i]!);
      else this.bytes.delete(offset + i);
    }
    this.length = Math.max(this.length, offset + data.length);
  }
  truncate(length: number): void {
    for (const k of [...this.bytes.keys()]) if (k >= length) this.bytes.delete(k);
    this.length = length;
  }
  read(offset: number, size: number): Buffer {
    const end = Math.min(this.length, offset + size);
    const out = Buffer.alloc(Math.max(0, end - offset));
    for (let i = 0; i < out.length; i++) out[i] = this.bytes.get(offset + i) ?? 0;
    return out;
  }
}

const near = fc.oneof(fc.integer({ min: 0, max: 3 * BLOCK }), fc.integer({ min: CHUNK_SIZE - 2 * BLOCK, max: CHUNK_SIZE + 2 * BLOCK }));
const handle = fc.integer({ min: 0, max: 2 });
type Op =
  | { op: 'write'; h: number; off: number; len: number; seed: number }
  | { op: 'read'; h: number; off: number; len: number }
  | { op: 'flush'; h: number }
  | { op: 'reopen'; h: number; mode: 'rw' | 'append' | 'trunc' | 'ro' | 'wo' }
  | { op: 'truncate'; len: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('write' as const), h: handle, off: near, len: fc.integer({ min: 1, max: 2 * BLOCK }), seed: fc.integer({ min: 1, max: 1e6 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('read' as const), h: handle, off: near, len: fc.integer({ min: 1, max: 3 * BLOCK }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const), h: handle }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reopen' as const), h: handle, mode: fc.constantFrom('rw' as const, 'append' as const, 'trunc' as const, 'ro' as const, 'wo' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), len: near }) },
);
const FLAGS = { rw: O_RDWR, append: O_RDWR | O_APPEND, trunc: O_RDWR | O_TRUNC, ro: O_RDONLY, wo: O_WRONLY | O_APPEND };

describe('VFS random I/O through several handles', () => {
  it('matches a byte model, across the chunk boundary', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const h = await newHarness({ flushDelay: 0 });
        const first = await createFile(h, 'model');
        const ino = first.ino;
        const handles = [{ fh: first.fh, flags: O_RDWR }];
        for (let i = 1; i < 3; i++) handles.push({ fh: (await h.vfs.open(h.ctx, ino, O_RDWR)).fh, flags: O_RDWR });
        const model = new SparseModel();
        for (const o of ops) {
          if (o.op === 'write') {
            const hd = handles[o.h]!;
            const data = pattern(o.len, o.seed);
            const canWrite = (hd.flags & 3) !== O_RDONLY;
            const w = h.vfs.write(h.ctx, ino, hd.fh, o.off, data);
            if (!canWrite) {
              await expect(w).rejects.toMatchObject({ code: 'EBADF' });
              continue;
            }
            await w;
            model.write((hd.flags & O_APPEND) !== 0 ? model.length : o.off, data);
          } else if (o.op === 'read') {
            const hd = handles[o.h]!;
            const r = h.vfs.read(h.ctx, ino, hd.fh, o.off, o.len);
            if ((hd.flags & 3) === O_WRONLY) {
              await expect(r).rejects.toMatchObject({ code: 'EBADF' });
              continue;
            }
            expectBytes(await r, model.read(o.off, o.len));
          } else if (o.op === 'flush') {
            await h.vfs.flush(h.ctx, ino, handles[o.h]!.fh);
          } else if (o.op === 'reopen') {
            await h.vfs.release(h.ctx, ino, handles[o.h]!.fh);
            const flags = FLAGS[o.mode];
            handles[o.h] = { fh: (await h.vfs.open(h.ctx, ino, flags)).fh, flags };
            if (o.mode === 'trunc') model.truncate(0);
          } else {
            await h.vfs.setattr(h.ctx, ino, { size: o.len });
            model.truncate(o.len);
          }
          expect((await h.vfs.getattr(h.ctx, ino)).attr.length).toBe(model.length);
        }
        for (const hd of handles) await h.vfs.release(h.ctx, ino, hd.fh);
        const r = await h.vfs.open(h.ctx, ino, O_RDONLY);
        expect(r.attr.length).toBe(model.length);
        for (const off of [0, CHUNK_SIZE - 2 * BLOCK]) expectBytes(await h.vfs.read(h.ctx, ino, r.fh, off, 4 * BLOCK), model.read(off, 4 * BLOCK));
      }),
      { numRuns: 100, seed: 31 },
    );
  });
});
