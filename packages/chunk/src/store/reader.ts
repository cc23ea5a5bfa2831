import type { SliceReader } from '@juicefs/core';
import { blockLength, type BlockRef } from '../layout/keys.js';
import type { BlockIo } from './block-io.js';
import type { ReadSequence } from './sequence.js';

type View = { data: Buffer; shared: boolean };

/**
 * Reads one committed slice. A read that starts where the previous read of the slice ended is
 * sequential: it fetches whole blocks (so they are cached and shared) and triggers readahead,
 * whose window is fixed or, by default, doubles with each sequential read in a row.
 */
export class BlockReader implements SliceReader {
  constructor(
    readonly id: number,
    readonly length: number,
    private readonly blockSize: number,
    private readonly io: BlockIo,
    private readonly readahead: number,
    private readonly sequence: ReadSequence,
    private readonly adaptive = false,
  ) {}

  async readAt(offset: number, size: number): Promise<Buffer> {
    return this.read(offset, size, true);
  }

  async readView(offset: number, size: number): Promise<Buffer> {
    return this.read(offset, size, false);
  }

  /** `copyShared`: copy bytes the caches hold, so the caller may write into the result. */
  private async read(offset: number, size: number, copyShared: boolean): Promise<Buffer> {
    const views = await this.views(offset, size);
    const only = views.length === 1 ? views[0] : undefined;
    if (only) return only.shared && copyShared ? Buffer.from(only.data) : only.data;
    // Each byte is copied once, from the cached block (or fetched range) into the result.
    const out = Buffer.allocUnsafe(views.reduce((n, v) => n + v.data.length, 0));
    let at = 0;
    for (const v of views) at += v.data.copy(out, at);
    return out;
  }

  async readInto(offset: number, size: number, out: Buffer, at: number): Promise<number> {
    const views = await this.views(offset, Math.min(size, out.length - at));
    let n = 0;
    for (const v of views) n += v.data.copy(out, at + n);
    return n;
  }

  /** The pieces of [offset, offset+size) block by block, uncopied; starts readahead. */
  private async views(offset: number, size: number): Promise<View[]> {
    const end = Math.min(this.length, offset + Math.max(0, size));
    if (offset >= end) return [];
    const sequential = this.sequence.isSequential(this.id, offset);
    const streak = this.sequence.advance(this.id, offset, end);
    const bs = this.blockSize;
    const parts: Array<Promise<View>> = [];
    for (let pos = offset; pos < end; ) {
      const index = Math.floor(pos / bs);
      const inBlock = pos - index * bs;
      const n = Math.min(end - pos, bs - inBlock);
      parts.push(this.io.view(this.ref(index), inBlock, n, sequential));
      pos += n;
    }
    if (sequential) {
      const last = Math.floor((end - 1) / bs);
      // Adaptive: 1, 2, 4... blocks ahead as the run of sequential reads grows.
      const window = this.adaptive ? Math.min(this.readahead, 2 ** Math.min(streak - 1, 16)) : this.readahead;
      for (let i = last + 1; i <= last + window && i * bs < this.length; i++) this.io.prefetch(this.ref(i));
    }
    return Promise.all(parts);
  }

  private ref(index: number): BlockRef {
    return { id: this.id, index, length: blockLength(this.length, index, this.blockSize) };
  }
}
