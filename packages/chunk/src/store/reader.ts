import type { SliceReader } from '@juicefs/core';
import { blockLength, type BlockRef } from '../layout/keys.js';
import type { BlockIo } from './block-io.js';

/**
 * Reads one committed slice. Tracks where the previous read ended: a read that starts there is
 * sequential, fetches whole blocks (so they are cached and shared) and triggers readahead.
 */
export class BlockReader implements SliceReader {
  private nextOffset = -1;

  constructor(
    readonly id: number,
    readonly length: number,
    private readonly blockSize: number,
    private readonly io: BlockIo,
    private readonly readahead: number,
  ) {}

  async readAt(offset: number, size: number): Promise<Buffer> {
    const end = Math.min(this.length, offset + Math.max(0, size));
    if (offset >= end) return Buffer.alloc(0);
    const sequential = offset === this.nextOffset || offset === 0;
    this.nextOffset = end;
    const bs = this.blockSize;
    const parts: Array<Promise<Buffer>> = [];
    for (let pos = offset; pos < end; ) {
      const index = Math.floor(pos / bs);
      const inBlock = pos - index * bs;
      const n = Math.min(end - pos, bs - inBlock);
      parts.push(this.io.read(this.ref(index), inBlock, n, sequential));
      pos += n;
    }
    if (sequential) {
      const last = Math.floor((end - 1) / bs);
      for (let i = last + 1; i <= last + this.readahead && i * bs < this.length; i++) this.io.prefetch(this.ref(i));
    }
    const bufs = await Promise.all(parts);
    return bufs.length === 1 ? (bufs[0] ?? Buffer.alloc(0)) : Buffer.concat(bufs);
  }

  private ref(index: number): BlockRef {
    return { id: this.id, index, length: blockLength(this.length, index, this.blockSize) };
  }
}
