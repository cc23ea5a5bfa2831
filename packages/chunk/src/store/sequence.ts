/**
 * Where the last read of each slice ended, so a read starting there counts as sequential, and how
 * many sequential reads in a row the slice has had (which grows an adaptive readahead window).
 * Kept by the store rather than the reader: callers (the VFS) may open a new reader for every
 * read. Bounded: the least recently read slices are forgotten.
 */
export class ReadSequence {
  private readonly next = new Map<number, { end: number; streak: number }>();

  constructor(private readonly capacity = 4096) {}

  isSequential(id: number, offset: number): boolean {
    return offset === 0 || this.next.get(id)?.end === offset;
  }

  /** Records a read of `id` over [offset, end); returns the sequential reads in a row so far. */
  advance(id: number, offset: number, end: number): number {
    const prev = this.next.get(id);
    // A read at 0 starts a run; one where the last ended continues it; anything else ends it.
    const streak = prev !== undefined && prev.end === offset && offset > 0 ? prev.streak + 1 : offset === 0 ? 1 : 0;
    this.next.delete(id);
    this.next.set(id, { end, streak });
    if (this.next.size > this.capacity) {
      const oldest = this.next.keys().next();
      if (!oldest.done) this.next.delete(oldest.value);
    }
    return streak;
  }
}
