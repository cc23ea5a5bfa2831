/** Inode numbers reserved per round trip (FORMAT.md section 2). */
export const INODE_BATCH = 1024;
/** Slice ids reserved per round trip. */
export const SLICE_BATCH = 4096;

/**
 * Hands out ids from batches reserved in the engine, so that creating a file costs no extra
 * round trip most of the time. Unused ids of a batch are lost when the client exits (gaps are
 * normal). Concurrent callers share one pending reservation.
 */
export class IdAllocator<T extends number | bigint> {
  private next: T | undefined;
  private end: T | undefined;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly reserve: (count: number) => Promise<T>,
    private readonly batch: number,
    /** Ids at or below this are never handed out (inode 1 is the root; slice id 0 is a hole). */
    private readonly minExclusive: T,
  ) {}

  async allocate(): Promise<T> {
    for (;;) {
      if (this.next !== undefined && this.end !== undefined && this.next < this.end) {
        const id = this.next;
        this.next = (typeof id === 'bigint' ? id + 1n : (id as number) + 1) as T;
        if (id > this.minExclusive) return id;
        continue;
      }
      this.pending ??= this.refill().finally(() => {
        this.pending = undefined;
      });
      await this.pending;
    }
  }

  private async refill(): Promise<void> {
    const first = await this.reserve(this.batch);
    this.next = first;
    this.end = (typeof first === 'bigint' ? first + BigInt(this.batch) : (first as number) + this.batch) as T;
  }
}
