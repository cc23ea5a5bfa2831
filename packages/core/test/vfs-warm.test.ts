import { O_RDONLY, O_RDWR, O_WRONLY, Vfs } from '../src/index.js';
import { MemoryChunkStore } from '../src/testing/index.js';
import { BLOCK, createFile, newHarness, pattern } from './vfs-harness.js';

/** Records the prefetch hints the VFS gives the store. */
class HintedStore extends MemoryChunkStore {
  readonly hints: Array<{ id: number; length: number; offset: number; size: number }> = [];
  constructor() {
    super({ blockSize: BLOCK });
  }
  prefetch(id: number, length: number, offset: number, size: number): void {
    this.hints.push({ id, length, offset, size });
  }
}

async function setup() {
  const h = await newHarness();
  const store = new HintedStore();
  const vfs = new Vfs({ meta: h.meta, store, format: h.vfs.format, options: { attrCache: 0, entryCache: 0, dirEntryCache: 0 } });
  const write = async (name: string, bytes: Buffer): Promise<bigint> => {
    const { ino, fh } = await createFile({ ...h, vfs }, name);
    await vfs.write(h.ctx, ino, fh, 0, bytes);
    await vfs.flush(h.ctx, ino, fh);
    await vfs.release(h.ctx, ino, fh);
    return ino;
  };
  const settle = () => new Promise((r) => setTimeout(r, 10));
  return { h, vfs, store, write, settle };
}

describe('opening a small file for reading warms its bytes', () => {
  it('hints the store with the slice that holds the file, for read and read-write opens', async () => {
    const { h, vfs, store, write, settle } = await setup();
    const ino = await write('small', pattern(3000));
    store.hints.length = 0;
    const r = await vfs.open(h.ctx, ino, O_RDONLY);
    await settle();
    expect(store.hints).toHaveLength(1);
    expect(store.hints[0]).toMatchObject({ length: 3000, offset: 0, size: 3000 });
    // The hint names the slice the read then uses: the bytes come back whole.
    expect((await vfs.read(h.ctx, ino, r.fh, 0, 3000)).equals(pattern(3000))).toBe(true);
    await vfs.release(h.ctx, ino, r.fh);
    const other = await write('other', pattern(100, 7));
    store.hints.length = 0;
    const rw = await vfs.open(h.ctx, other, O_RDWR);
    await settle();
    expect(store.hints).toEqual([expect.objectContaining({ length: 100, offset: 0, size: 100 })]);
    await vfs.release(h.ctx, other, rw.fh);
  });

  it('does not hint when the kernel keeps its page cache (a re-open of an unchanged file)', async () => {
    const { h, vfs, store, write, settle } = await setup();
    const ino = await write('kept', pattern(2000));
    const first = await vfs.open(h.ctx, ino, O_RDONLY);
    await vfs.release(h.ctx, ino, first.fh);
    await settle(); // the first open's hint lands after its reply
    store.hints.length = 0;
    const again = await vfs.open(h.ctx, ino, O_RDONLY);
    await settle();
    expect(again.keepCache).toBe(true);
    expect(store.hints).toEqual([]);
    await vfs.release(h.ctx, ino, again.fh);
  });

  it('does not hint for write-only opens, empty files, files over a block, or files with writes pending here', async () => {
    const { h, vfs, store, write, settle } = await setup();
    const small = await write('small', pattern(3000));
    const big = await write('big', pattern(BLOCK + 1));
    const { ino: empty } = await createFile({ ...h, vfs }, 'empty');
    store.hints.length = 0;
    const w = await vfs.open(h.ctx, small, O_WRONLY);
    const b = await vfs.open(h.ctx, big, O_RDONLY);
    const e = await vfs.open(h.ctx, empty, O_RDONLY);
    await settle();
    expect(store.hints).toEqual([]);
    for (const [ino, fh] of [[small, w.fh], [big, b.fh], [empty, e.fh]] as const) await vfs.release(h.ctx, ino, fh);
    // Unflushed bytes on a handle: a warm would have to commit them first, so it is skipped.
    const pending = await createFile({ ...h, vfs }, 'pending');
    await vfs.write(h.ctx, pending.ino, pending.fh, 0, pattern(500));
    await vfs.flush(h.ctx, pending.ino, pending.fh); // a committed slice...
    await vfs.write(h.ctx, pending.ino, pending.fh, 100, pattern(50, 3)); // ...and bytes not yet
    const r = await vfs.open(h.ctx, pending.ino, O_RDONLY);
    await settle();
    expect(r.keepCache).toBe(false);
    expect(store.hints).toEqual([]);
    const want = Buffer.from(pattern(500));
    pattern(50, 3).copy(want, 100);
    expect((await vfs.read(h.ctx, pending.ino, r.fh, 0, 500)).equals(want)).toBe(true);
    await vfs.release(h.ctx, pending.ino, r.fh);
    await vfs.release(h.ctx, pending.ino, pending.fh);
  });
});
