/**
 * Where the last read of each slice ended, so a read starting there counts as sequential. Kept by
 * the store rather than the reader: callers (the VFS) may open a new reader for every read.
 * Bounded: the least recently read slices are forgotten.
 */
export class ReadSequence {
  private readonly next = new Map<number, number>();

  constructor(private readonly capacity = 4096) {}

  isSequential(id: number, offset: number): boolean {
    return offset === 0 || this.next.get(id) === offset;
  }

  advance(id: number, end: number): void {
    this.next.delete(id);
    this.next.set(id, end);
    if (this.next.size > this.capacity) {
      const oldest = this.next.keys().next();
      if (!oldest.done) this.next.delete(oldest.value);
    }
  }
}
