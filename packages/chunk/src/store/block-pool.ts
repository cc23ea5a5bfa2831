/**
 * Reused write buffers, by size. A fresh Buffer is new memory: the copy of the first write into it
 * page-faults every 4 KiB page, and V8 frees the old ones only when a GC gets to them, so the
 * allocator never hands the same pages back. Measured here (a 4 MiB copy into a new buffer against
 * into a reused one): 440-1000 µs against 92 µs; a 1 GiB file is 256 of them on the event loop.
 * Small files pay it too: a 128 KiB write copied into a new buffer took 36-130 µs, into a reused
 * one 3 µs, and a mount writing 128 KiB files spent about a tenth of its event loop there.
 *
 * A writer's buffers come in few sizes (see BlockWriter.grow): 64 KiB doubled while under a
 * quarter of a block, or the whole block. Each size has its own free list; the pool keeps at most
 * `capacityBytes` in all. A buffer comes back only once nothing else holds it (ChunkStore decides).
 */
export class BlockBufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private pooledBytes = 0;
  private pooledCount = 0;

  constructor(
    readonly blockSize: number,
    /** Bytes kept at most (their memory stays with the process while idle). */
    readonly capacityBytes: number,
  ) {}

  /** A buffer of exactly `size` bytes, reused when one is free; its contents are whatever it held before. */
  take(size: number = this.blockSize): Buffer {
    const buf = this.free.get(size)?.pop();
    if (buf === undefined) return Buffer.allocUnsafe(size);
    this.pooledBytes -= size;
    this.pooledCount--;
    return buf;
  }

  /** Takes back a buffer nobody else holds any more (a view into a larger one is not taken). */
  give(buf: Buffer): void {
    const size = buf.length;
    if (size === 0 || size > this.blockSize || buf.byteOffset !== 0 || buf.buffer.byteLength !== size) return;
    if (this.pooledBytes + size > this.capacityBytes) return;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(buf);
    this.pooledBytes += size;
    this.pooledCount++;
  }

  /** Buffers waiting to be reused. */
  get size(): number {
    return this.pooledCount;
  }

  /** Bytes waiting to be reused. */
  get bytes(): number {
    return this.pooledBytes;
  }
}
