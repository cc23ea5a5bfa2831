import type { SliceReader } from '@juicefs/core';
import { blockLength, type BlockRef } from '../layout/keys.js';
import type { BlockIo } from './block-io.js';
import type { ReadSequence } from './sequence.js';

/**
 * Reads one committed slice. A read that starts where the previous read of the slice ended is
 * sequential: it fetches whole blocks (so they are cached and shared) and triggers readahead.
 */
export class BlockReader implements SliceReader {
  constructor(
    readonly id: number,
    readonly length: number,
    private readonly blockSize: number,
    private readonly io: BlockIo,
    private readonly readahead: number,
    private readonly sequence: ReadSequence,
  ) {}

  async readAt(offset: number, size: number): Promise<Buffer> {
    const end = Math.min(this.length, offset + Math.max(0, size));
    if (offset >= end) return Buffer.alloc(0);
    const sequential = this.sequence.isSequential(this.id, offset);
    this.sequence.advance(this.id, end);
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
