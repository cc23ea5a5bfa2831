/**
 * A FIFO mutex for async work: callers queue and run one at a time. The VFS keeps one per
 * inode so that writes, flushes, reads and truncates of a file see each other in order.
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Run `fn` once every earlier caller has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => { this.waiting--; },
      () => { this.waiting--; },
    );
    return result;
  }

  /** True while some caller holds or waits for the mutex. */
  get busy(): boolean {
    return this.waiting > 0;
  }
}
