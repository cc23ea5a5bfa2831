/** A FIFO async lock: `run(fn)` waits for every earlier holder to finish. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * Shared/exclusive gate with writer preference. Transactions of one client run concurrently
 * (shared); one that lost a serialization conflict re-runs exclusively, and new transactions wait
 * behind it, so a burst on one hot row (a directory's node) degrades to serial execution instead
 * of a storm of retries, and goes back to concurrent once it drains.
 */
export class ConflictGate {
  private shared = 0;
  private exclusive = false;
  private readonly waiting: Array<{ exclusive: boolean; wake: () => void }> = [];

  private grant(): void {
    while (this.waiting.length > 0 && !this.exclusive) {
      const next = this.waiting[0]!;
      if (next.exclusive) {
        if (this.shared > 0) return;
        this.exclusive = true;
      } else {
        this.shared++;
      }
      this.waiting.shift();
      next.wake();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    const free = exclusive ? !this.exclusive && this.shared === 0 : !this.exclusive;
    if (free && this.waiting.length === 0) {
      if (exclusive) this.exclusive = true;
      else this.shared++;
      return Promise.resolve();
    }
    return new Promise((wake) => this.waiting.push({ exclusive, wake }));
  }

  async runShared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.shared--;
      this.grant();
    }
  }

  async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.exclusive = false;
      this.grant();
    }
  }
}
