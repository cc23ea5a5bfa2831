import type { SyncEntry } from './tree.js';

/**
 * One piece of a sync's data work: copy a file, or (--check-all) compare a file found equal by
 * size and copy it when the bytes differ. These are what a distributed sync shares out; the
 * metadata work (directories, links, deletions) stays with the manager.
 */
export interface WorkItem {
  kind: 'copy' | 'compare';
  entry: SyncEntry;
}

/** JuiceFS's manager hands a worker at most 100 objects, or 400 MiB, at a time. */
export const BATCH_ITEMS = 100;
export const BATCH_BYTES = 400 * 1024 * 1024;

/**
 * The data work of one sync, drawn from by the local threads one item at a time and by remote
 * workers a batch at a time. Items lent to a worker stay on its account until it reports them
 * finished; a worker that goes away gives its unfinished items back, and the local threads do
 * them, so no item is lost with a worker (JuiceFS's manager loses them and fails the run).
 */
export class WorkQueue {
  private readonly items: WorkItem[];
  private next = 0;
  private closed = false;
  /** Items out with each worker, by key. */
  private readonly lent = new Map<string, Map<string, WorkItem>>();
  /** Items taken back from a worker that are not yet in the queue again (see reclaim). */
  private returning = 0;
  /** Local takers waiting for lent items to come back or be finished. */
  private waiters: Array<() => void> = [];

  constructor(items: readonly WorkItem[]) {
    this.items = [...items];
  }

  /** Items neither finished nor out with a worker. */
  get waiting(): number {
    return this.closed ? 0 : this.items.length - this.next;
  }

  /** Items out with workers now. */
  get outstanding(): number {
    let n = this.returning;
    for (const m of this.lent.values()) n += m.size;
    return n;
  }

  /**
   * The next item for a local thread. When none is waiting but workers still hold some, waits:
   * a worker that fails gives them back. Undefined once everything is handed out and finished
   * (or the queue was closed).
   */
  async take(): Promise<WorkItem | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      if (this.next < this.items.length) return this.items[this.next++];
      if (this.outstanding === 0) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Up to a batch of items for `worker` (JuiceFS's limits); empty when none is waiting. */
  lend(worker: string): WorkItem[] {
    const batch: WorkItem[] = [];
    let bytes = 0;
    while (!this.closed && this.next < this.items.length && batch.length < BATCH_ITEMS && bytes < BATCH_BYTES) {
      const item = this.items[this.next++]!;
      batch.push(item);
      bytes += item.entry.size;
    }
    if (batch.length > 0) {
      let mine = this.lent.get(worker);
      if (!mine) this.lent.set(worker, (mine = new Map()));
      for (const item of batch) mine.set(item.entry.key, item);
    }
    return batch;
  }

  /** The item `worker` holds under `key`, if it holds one. */
  held(worker: string, key: string): WorkItem | undefined {
    return this.lent.get(worker)?.get(key);
  }

  /** The item `worker` holds under `key`, marked finished; undefined if it holds none such. */
  settle(worker: string, key: string): WorkItem | undefined {
    const mine = this.lent.get(worker);
    const item = mine?.get(key);
    if (item === undefined) return undefined;
    mine!.delete(key);
    if (this.outstanding === 0) this.wake();
    return item;
  }

  /**
   * `worker` is gone: what it held and did not finish goes back to the queue, and is returned.
   * With `cleanup`, the items go back once it has settled (what the worker left half-done is
   * cleared before anyone starts them again); until then they count as outstanding.
   */
  reclaim(worker: string, cleanup?: (items: readonly WorkItem[]) => Promise<void>): WorkItem[] {
    const mine = [...(this.lent.get(worker)?.values() ?? [])];
    this.lent.delete(worker);
    if (mine.length === 0) return mine;
    const requeue = () => {
      this.returning -= mine.length;
      this.items.push(...mine);
      this.wake();
    };
    this.returning += mine.length;
    if (cleanup === undefined) requeue();
    else void cleanup(mine).then(requeue, requeue);
    return mine;
  }

  /** Hand out nothing more (--max-failure reached). */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
