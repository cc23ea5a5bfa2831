import { fsError, O_RDONLY, ROOT_INODE, Vfs, type SliceWriter } from '../src/index.js';
import { MemoryChunkStore } from '../src/testing/index.js';
import { BLOCK, newHarness } from './vfs-harness.js';

/** A store whose uploads fail while `failing` is set (finish rejects, as after exhausted retries). */
class FlakyStore extends MemoryChunkStore {
  failing = false;
  aborted: number[] = [];
  override newWriter(id: number): SliceWriter {
    const inner = super.newWriter(id);
    return {
      id,
      writeAt: (data, offset) => inner.writeAt(data, offset),
      flushTo: (offset) => inner.flushTo(offset),
      finish: async (length) => {
        if (this.failing) throw fsError('EIO', `injected upload failure of slice ${id}`);
        await inner.finish(length);
      },
      abort: async () => {
        this.aborted.push(id);
        await inner.abort();
      },
    };
  }
}

/** A store whose finish waits until `open()` is called, to observe the VFS mid-flush. */
class GatedStore extends MemoryChunkStore {
  private gate: Promise<void> = new Promise(() => undefined);
  private release: () => void = () => undefined;
  constructor() {
    super({ blockSize: BLOCK });
    this.gate = new Promise((r) => (this.release = r));
  }
  open(): void {
    this.release();
  }
  override newWriter(id: number): SliceWriter {
    const inner = super.newWriter(id);
    return { ...inner, id, writeAt: (d, o) => inner.writeAt(d, o), flushTo: (o) => inner.flushTo(o), abort: () => inner.abort(),
      finish: async (length) => {
        await this.gate;
        await inner.finish(length);
      } };
  }
}

describe('VFS while a flush is in progress', () => {
  it('keeps reporting the written length until the commit lands', async () => {
    const h = await newHarness();
    const store = new GatedStore();
    const vfs = new Vfs({ meta: h.meta, store, format: h.vfs.format, options: { attrCache: 60, entryCache: 0, dirEntryCache: 0, flushDelay: 0 } });
    const { ino, fh } = await vfs.create(h.ctx, ROOT_INODE, 'mid-flush', 0o644, 0, 2);
    await vfs.write(h.ctx, ino, fh, 0, Buffer.alloc(5000, 1));
    const flushing = vfs.flush(h.ctx, ino, fh);
    await new Promise((r) => setImmediate(r));
    expect((await vfs.getattr(h.ctx, ino)).attr.length).toBe(5000);
    store.open();
    await flushing;
    expect((await vfs.getattr(h.ctx, ino)).attr.length).toBe(5000);
    expect((await h.meta.getAttr(h.ctx, ino)).length).toBe(5000);
  });
});

describe('VFS when the chunk store fails', () => {
  it('never commits a slice whose upload failed, reports EIO, and keeps working afterwards', async () => {
    const h = await newHarness();
    const store = new FlakyStore({ blockSize: BLOCK });
    const vfs = new Vfs({ meta: h.meta, store, format: h.vfs.format, options: { attrCache: 0, entryCache: 0, dirEntryCache: 0 } });
    const { ino, fh } = await vfs.create(h.ctx, ROOT_INODE, 'flaky', 0o644, 0, 2);
    await vfs.write(h.ctx, ino, fh, 0, Buffer.from('committed'));
    await vfs.flush(h.ctx, ino, fh);

    store.failing = true;
    await vfs.write(h.ctx, ino, fh, 0, Buffer.from('LOST'));
    await vfs.write(h.ctx, ino, fh, 100, Buffer.from('also lost'));
    await expect(vfs.flush(h.ctx, ino, fh)).rejects.toMatchObject({ code: 'EIO' });
    expect(store.aborted).toHaveLength(2);
    expect(await h.meta.readChunk(h.ctx, ino, 0)).toHaveLength(1);
    expect((await h.meta.getAttr(h.ctx, ino)).length).toBe(9);

    store.failing = false;
    expect((await vfs.read(h.ctx, ino, fh, 0, 100)).toString()).toBe('committed');
    await vfs.write(h.ctx, ino, fh, 9, Buffer.from('!'));
    await vfs.release(h.ctx, ino, fh);
    const r = await vfs.open(h.ctx, ino, O_RDONLY);
    expect((await vfs.read(h.ctx, ino, r.fh, 0, 100)).toString()).toBe('committed!');
  });

  it('release still closes the file when its last flush fails, and reports the error', async () => {
    const h = await newHarness();
    const store = new FlakyStore({ blockSize: BLOCK });
    const vfs = new Vfs({ meta: h.meta, store, format: h.vfs.format });
    const { ino, fh } = await vfs.create(h.ctx, ROOT_INODE, 'closing', 0o644, 0, 1);
    await vfs.write(h.ctx, ino, fh, 0, Buffer.from('data'));
    store.failing = true;
    await expect(vfs.release(h.ctx, ino, fh)).rejects.toMatchObject({ code: 'EIO' });
    await expect(vfs.write(h.ctx, ino, fh, 0, Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
    expect((await h.meta.getAttr(h.ctx, ino)).length).toBe(0);
  });

  it('a failed engine commit surfaces its own errno (e.g. quota) and drops the rest', async () => {
    const h = await newHarness();
    const { ino, fh } = await h.vfs.create(h.ctx, ROOT_INODE, 'quota', 0o644, 0, 2);
    const realWrite = h.meta.write.bind(h.meta);
    let calls = 0;
    h.meta.write = async (...args: Parameters<typeof realWrite>) => {
      if (++calls === 2) throw fsError('EDQUOT', 'injected quota failure');
      return realWrite(...args);
    };
    await h.vfs.write(h.ctx, ino, fh, 0, Buffer.from('first'));
    await h.vfs.write(h.ctx, ino, fh, 10, Buffer.from('second'));
    await h.vfs.write(h.ctx, ino, fh, 20, Buffer.from('third'));
    await expect(h.vfs.flush(h.ctx, ino, fh)).rejects.toMatchObject({ code: 'EDQUOT' });
    expect((await h.meta.readChunk(h.ctx, ino, 0)).map((s) => s.pos)).toEqual([0]);
    expect((await h.vfs.read(h.ctx, ino, fh, 0, 100)).toString()).toBe('first');
  });
});
