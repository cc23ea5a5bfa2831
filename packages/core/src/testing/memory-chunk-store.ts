import type { ChunkStore, ChunkStoreStats, SliceReader, SliceWriter } from '../chunk/store.js';
import { fsError } from '../errors/fs-error.js';
import { CHUNK_SIZE } from '../types/slice.js';

export interface MemoryChunkStoreOptions {
  /** Block size in bytes (default 4 MiB, JuiceFS's default). Tests use small ones to cross blocks. */
  blockSize?: number;
}

/**
 * A ChunkStore keeping blocks in a Map, for unit tests of the layers above it. It honours the
 * contract's observable rules: a slice is cut into `blockSize` blocks (the last one short),
 * keyed `<id>_<index>_<size>` as JuiceFS names objects; `flushTo` stores the full blocks before
 * an offset; `finish` stores the rest and only then resolves; a reader fails with EIO when a
 * block it needs was never stored (an uncommitted or deleted slice).
 */
export class MemoryChunkStore implements ChunkStore {
  readonly blockSize: number;
  /** Stored blocks by key; visible to tests that check what was "uploaded". */
  readonly blocks = new Map<string, Buffer>();
  private readonly counters = { objectGets: 0, objectPuts: 0, getBytes: 0, putBytes: 0 };
  private buffered = 0;
  private closed = false;

  constructor(options: MemoryChunkStoreOptions = {}) {
    this.blockSize = options.blockSize ?? 4 << 20;
    if (!Number.isInteger(this.blockSize) || this.blockSize <= 0) throw fsError('EINVAL', `block size must be a positive integer (got ${this.blockSize})`);
  }

  /** Key of block `index` of slice `id` whose slice is `length` bytes long. */
  blockKey(id: number, index: number, length: number): string {
    const size = Math.min(this.blockSize, length - index * this.blockSize);
    return `${id}_${index}_${size}`;
  }

  newWriter(id: number): SliceWriter {
    this.checkOpen();
    return new MemorySliceWriter(this, id);
  }

  newReader(id: number, length: number): SliceReader {
    return new MemorySliceReader(this, id, length);
  }

  async remove(id: number, length: number): Promise<void> {
    for (let i = 0; i * this.blockSize < length; i++) this.blocks.delete(this.blockKey(id, i, length));
  }

  async fillCache(): Promise<void> {}

  async evictCache(): Promise<void> {}

  stats(): ChunkStoreStats {
    return {
      usedMemory: this.buffered,
      memoryCacheBytes: 0,
      diskCacheBytes: 0,
      cacheHits: 0,
      cacheMisses: 0,
      ...this.counters,
      stagedBlocks: 0,
      // Nothing here takes measurable time: the counts are real, the seconds zero.
      objectRequests: {
        GET: { total: this.counters.objectGets, sum: 0 },
        PUT: { total: this.counters.objectPuts, sum: 0 },
        DELETE: { total: 0, sum: 0 },
      },
      objectErrors: 0,
      cacheHitBytes: 0,
      cacheMissBytes: 0,
      diskCacheReads: { total: 0, sum: 0 },
      diskCacheWrites: { total: 0, sum: 0 },
      diskCacheWriteBytes: 0,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** @internal */
  put(key: string, data: Buffer): void {
    this.blocks.set(key, data);
    this.counters.objectPuts++;
    this.counters.putBytes += data.length;
  }

  /** @internal */
  get(key: string): Buffer | undefined {
    const data = this.blocks.get(key);
    if (data) {
      this.counters.objectGets++;
      this.counters.getBytes += data.length;
    }
    return data;
  }

  /** @internal */
  addBuffered(delta: number): void {
    this.buffered += delta;
  }

  private checkOpen(): void {
    if (this.closed) throw fsError('EIO', 'the chunk store is closed');
  }
}

class MemorySliceWriter implements SliceWriter {
  /** Buffered blocks by index, allocated as writes reach them (no copying as the slice grows). */
  private readonly pending = new Map<number, Buffer>();
  /** Blocks [0, uploaded) are stored and may no longer change. */
  private uploaded = 0;
  private done = false;

  constructor(
    private readonly store: MemoryChunkStore,
    readonly id: number,
  ) {}

  async writeAt(data: Buffer, offset: number): Promise<void> {
    if (this.done) throw fsError('EIO', `slice ${this.id} is already finished`);
    if (offset < 0 || offset + data.length > CHUNK_SIZE) throw fsError('EINVAL', `write at ${offset}+${data.length} leaves the 64 MiB slice`);
    const bs = this.store.blockSize;
    if (offset < this.uploaded * bs) throw fsError('EIO', `slice ${this.id}: block at ${offset} was already uploaded`);
    for (let done = 0; done < data.length; ) {
      const at = offset + done;
      const index = Math.floor(at / bs);
      let block = this.pending.get(index);
      if (!block) {
        block = Buffer.alloc(bs);
        this.pending.set(index, block);
        this.store.addBuffered(bs);
      }
      const n = Math.min(data.length - done, bs - (at - index * bs));
      data.copy(block, at - index * bs, done, done + n);
      done += n;
    }
  }

  async flushTo(offset: number): Promise<void> {
    const bs = this.store.blockSize;
    // Full blocks only: the length of the slice (and so of its last block) is not known yet.
    while ((this.uploaded + 1) * bs <= offset) {
      this.store.put(`${this.id}_${this.uploaded}_${bs}`, this.take(this.uploaded, bs));
      this.uploaded++;
    }
  }

  async finish(length: number): Promise<void> {
    if (this.done) throw fsError('EIO', `slice ${this.id} is already finished`);
    const bs = this.store.blockSize;
    for (let i = this.uploaded; i * bs < length; i++) {
      this.store.put(this.store.blockKey(this.id, i, length), this.take(i, Math.min(bs, length - i * bs)));
    }
    this.uploaded = Math.ceil(length / bs);
    this.release();
  }

  async abort(): Promise<void> {
    const bs = this.store.blockSize;
    for (let i = 0; i < this.uploaded; i++) this.store.blocks.delete(`${this.id}_${i}_${bs}`);
    this.release();
  }

  /** The first `size` bytes of block `index` (zeros where nothing was written). */
  private take(index: number, size: number): Buffer {
    const block = this.pending.get(index);
    if (!block) return Buffer.alloc(size);
    this.pending.delete(index);
    this.store.addBuffered(-block.length);
    return block.subarray(0, size);
  }

  private release(): void {
    this.done = true;
    for (const block of this.pending.values()) this.store.addBuffered(-block.length);
    this.pending.clear();
  }
}

class MemorySliceReader implements SliceReader {
  constructor(
    private readonly store: MemoryChunkStore,
    readonly id: number,
    readonly length: number,
  ) {}

  async readAt(offset: number, size: number): Promise<Buffer> {
    const end = Math.min(this.length, offset + size);
    if (offset < 0 || end <= offset) return Buffer.alloc(0);
    const out = Buffer.alloc(end - offset);
    const bs = this.store.blockSize;
    for (let i = Math.floor(offset / bs); i * bs < end; i++) {
      const key = this.store.blockKey(this.id, i, this.length);
      const block = this.store.get(key);
      if (!block) throw fsError('EIO', `block ${key} of slice ${this.id} is missing from the store`);
      const from = Math.max(offset, i * bs);
      const to = Math.min(end, (i + 1) * bs);
      block.copy(out, from - offset, from - i * bs, to - i * bs);
    }
    return out;
  }
}
