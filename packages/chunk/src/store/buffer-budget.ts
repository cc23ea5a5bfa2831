/**
 * Accounting of write-buffer memory with backpressure. Writers wait before taking more while the
 * total is over the budget and some upload is under way that will give memory back. When nothing
 * is in flight, waiting could never end, so the writer proceeds: the bound is then exceeded by at
 * most what writers hold unflushed, which is what JuiceFS's own buffer does too.
 */
export class BufferBudget {
  private used = 0;
  private inflight = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  get usedBytes(): number {
    return this.used;
  }

  take(bytes: number): void {
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used -= bytes;
    this.wake();
  }

  /** Marks an upload that will `give` memory back when done. */
  startUpload(): void {
    this.inflight++;
  }

  endUpload(): void {
    this.inflight--;
    this.wake();
  }

  /** Resolves when there is room (or when nothing in flight could make room). */
  async waitForRoom(): Promise<void> {
    while (this.used >= this.limit && this.inflight > 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
