import { fsError, type PutOptions, type SliceWriter } from '@juicefs/core';
import { blockLength, type BlockRef } from '../layout/keys.js';
import type { BufferBudget } from './buffer-budget.js';
import { CHUNK_SIZE } from './options.js';

/** What a writer needs from its store. */
export interface WriterHost {
  readonly blockSize: number;
  readonly budget: BufferBudget;
  /** Stores one block for good (object storage, or writeback staging). */
  storeBlock(ref: BlockRef, data: Buffer, tier?: PutOptions): Promise<void>;
  /** Deletes a stored block of an aborted or failed slice. */
  discardBlock(ref: BlockRef): Promise<void>;
  /** Optional: a buffer of `size` bytes (reused); `Buffer.allocUnsafe(size)` without it. */
  takeBlockBuffer?(size: number): Buffer;
  /**
   * Optional: a buffer the writer is done with: outgrown, dropped by abort, or its block's
   * `storeBlock(ref, stored)` settled. `stored` is what was stored (the buffer, a view of it, or a
   * padded copy): the host keeps the buffer for reuse unless something it gave `stored` to still
   * holds it.
   */
  giveBlockBuffer?(buf: Buffer, stored?: Buffer): void;
}

interface PendingBlock {
  buf: Buffer;
  /** Bytes written so far reach this offset within the block. */
  end: number;
}

const MIN_BUFFER = 64 * 1024;

/**
 * Buffers one slice in per-block buffers that grow as written. Blocks before a `flushTo` offset
 * are sealed and stored in the background; `finish` stores the rest and waits for all of them.
 */
export class BlockWriter implements SliceWriter {
  private readonly blocks = new Map<number, PendingBlock>();
  private readonly uploads: Array<Promise<void>> = [];
  private readonly stored: BlockRef[] = [];
  /** Blocks with index below this are sealed (stored or being stored). */
  private sealed = 0;
  private maxEnd = 0;
  private failure: unknown;
  private state: 'open' | 'finished' | 'aborted' = 'open';

  constructor(
    readonly id: number,
    private readonly host: WriterHost,
    /** The class and tags this slice's objects are put with (its file's tier); undefined: the storage's own. */
    private readonly tier?: PutOptions,
  ) {}

  async writeAt(data: Buffer, offset: number): Promise<void> {
    this.checkOpen('write');
    const bs = this.host.blockSize;
    const end = offset + data.length;
    if (offset < 0 || end > CHUNK_SIZE) throw fsError('EINVAL', `slice ${this.id}: write [${offset}, ${end}) is outside a 64 MiB chunk`);
    if (data.length === 0) return;
    if (offset < this.sealed * bs) throw fsError('EINVAL', `slice ${this.id}: write at ${offset} is before the flushed offset ${this.sealed * bs}`);
    await this.host.budget.waitForRoom();
    this.checkOpen('write');
    for (let pos = offset; pos < end; ) {
      const index = Math.floor(pos / bs);
      const inBlock = pos - index * bs;
      const n = Math.min(end - pos, bs - inBlock);
      const block = this.grow(index, inBlock + n);
      // Buffers are not zeroed when made (a second pass over every 4 MiB block on the event
      // loop): a write past the end zeroes the hole it leaves, so [0, end) is always valid.
      if (inBlock > block.end) block.buf.fill(0, block.end, inBlock);
      data.copy(block.buf, inBlock, pos - offset, pos - offset + n);
      block.end = Math.max(block.end, inBlock + n);
      pos += n;
    }
    this.maxEnd = Math.max(this.maxEnd, end);
  }

  /** The buffer of block `index`, with room for `need` bytes (grown by doubling, up to a block). */
  private grow(index: number, need: number): PendingBlock {
    const bs = this.host.blockSize;
    let block = this.blocks.get(index);
    if (block && block.buf.length >= need) return block;
    let size = Math.max(MIN_BUFFER, block?.buf.length ?? 0);
    while (size < need) size *= 2;
    // Past a quarter of a block the writes are large (a big file, 1 MiB FUSE writes): take the
    // whole block now rather than copy it over at 1, 2 and 4 MiB.
    size = need * 4 >= bs ? bs : Math.min(size, bs);
    const buf = this.host.takeBlockBuffer ? this.host.takeBlockBuffer(size) : Buffer.allocUnsafe(size);
    if (block) {
      block.buf.copy(buf, 0, 0, block.end);
      this.host.giveBlockBuffer?.(block.buf);
    }
    this.host.budget.take(size - (block?.buf.length ?? 0));
    block = { buf, end: block?.end ?? 0 };
    this.blocks.set(index, block);
    return block;
  }

  async flushTo(offset: number): Promise<void> {
    this.checkOpen('flush');
    const full = Math.floor(offset / this.host.blockSize);
    for (let i = this.sealed; i < full; i++) this.storeInBackground(i, this.host.blockSize);
    this.sealed = Math.max(this.sealed, full);
    if (this.failure !== undefined) throw this.failure;
  }

  async finish(length: number): Promise<void> {
    this.checkOpen('finish');
    const bs = this.host.blockSize;
    if (length < this.maxEnd || length < this.sealed * bs || length > CHUNK_SIZE) {
      throw fsError('EINVAL', `slice ${this.id}: length ${length} does not cover the ${Math.max(this.maxEnd, this.sealed * bs)} bytes written`);
    }
    this.state = 'finished';
    const count = Math.ceil(length / bs);
    for (let i = this.sealed; i < count; i++) this.storeInBackground(i, blockLength(length, i, bs));
    this.sealed = count;
    await Promise.all(this.uploads);
    if (this.failure !== undefined) {
      await this.discardStored();
      throw this.failure;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.releaseAll();
    await Promise.all(this.uploads);
    await this.discardStored();
  }

  private storeInBackground(index: number, len: number): void {
    const block = this.blocks.get(index);
    this.blocks.delete(index);
    // A block never written (a sparse slice) is stored as zeros: readers expect every block.
    // Past `end` a buffer holds whatever the allocation had: zeros are what the slice says.
    if (block && block.end < Math.min(len, block.buf.length)) block.buf.fill(0, block.end, Math.min(len, block.buf.length));
    const data = block ? (block.buf.length === len ? block.buf : padTo(block.buf, len)) : Buffer.alloc(len);
    const ref: BlockRef = { id: this.id, index, length: len };
    const budget = this.host.budget;
    budget.startUpload();
    const p = this.host
      .storeBlock(ref, data, this.tier)
      .then(
        () => {
          this.stored.push(ref);
        },
        (err: unknown) => {
          this.failure ??= err;
        },
      )
      .finally(() => {
        if (block) {
          budget.give(block.buf.length);
          // Settled either way: storage and staging are done with the bytes.
          this.host.giveBlockBuffer?.(block.buf, data);
        }
        budget.endUpload();
      });
    this.uploads.push(p);
  }

  private async discardStored(): Promise<void> {
    const refs = this.stored.splice(0);
    await Promise.all(refs.map((r) => this.host.discardBlock(r).catch(() => undefined)));
  }

  private releaseAll(): void {
    for (const b of this.blocks.values()) {
      this.host.budget.give(b.buf.length);
      this.host.giveBlockBuffer?.(b.buf);
    }
    this.blocks.clear();
  }

  private checkOpen(op: string): void {
    if (this.state !== 'open') throw fsError('EINVAL', `slice ${this.id}: ${op} after ${this.state === 'aborted' ? 'abort' : 'finish'}`);
  }
}

function padTo(buf: Buffer, len: number): Buffer {
  if (buf.length > len) return buf.subarray(0, len);
  const out = Buffer.alloc(len);
  buf.copy(out);
  return out;
}
