import type { StagingArea } from '../cache/staging.js';
import type { DiskBlockCache } from '../cache/disk-cache.js';
import type { BlockRef } from '../layout/keys.js';
import type { BlockIo } from './block-io.js';
import { parseBlockName } from '../layout/keys.js';

/**
 * Background uploads of staged blocks. A block that fails to upload stays staged (it is the only
 * copy) and is tried again with growing delays; `drain` waits until nothing is staged.
 */
export class WritebackUploader {
  private readonly pending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  /** Uploads under way, including those of blocks cancelled meanwhile (which clean up after themselves). */
  private running = 0;
  lastError: unknown;

  constructor(
    private readonly staging: StagingArea,
    private readonly io: BlockIo,
    private readonly disk: DiskBlockCache | undefined,
    private readonly retryDelayMs = 200,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Queues an upload of a staged block. */
  enqueue(key: string, attempt = 0): void {
    if (this.stopped) return;
    this.pending.add(key);
    void this.upload(key, attempt);
  }

  /** Forgets a block whose slice was removed before it was uploaded. */
  cancel(key: string): void {
    this.pending.delete(key);
    this.wakeIfIdle();
  }

  private async upload(key: string, attempt: number): Promise<void> {
    this.running++;
    try {
      await this.uploadOnce(key, attempt);
    } finally {
      this.running--;
      this.wakeIfIdle();
    }
  }

  private async uploadOnce(key: string, attempt: number): Promise<void> {
    const ref: BlockRef | undefined = parseBlockName(key);
    if (!ref) {
      this.pending.delete(key); // not a block name: nothing we could upload
      return;
    }
    try {
      const data = await this.staging.read(key, 0, ref.length);
      if (!this.pending.has(key)) return; // removed meanwhile
      if (!data || data.length !== ref.length) {
        // The staged file is gone or damaged: nothing left to upload.
        this.pending.delete(key);
        await this.staging.drop(key);
        return;
      }
      await this.io.put(ref, data);
      if (!this.pending.has(key)) {
        // The slice was removed while this upload ran: its delete may have come first.
        await this.io.remove(ref);
        return;
      }
      // With --cache-partial-only a full staged block is not kept in the cache (JuiceFS's stage).
      if (this.disk && this.io.keepsOnDisk(ref)) {
        await this.disk.adopt(key, this.staging.fileOf(key), ref.length).catch(() => undefined);
        // Removed while we linked it in: the cache must not keep a block of a deleted slice.
        if (!this.pending.has(key)) await this.disk.remove(key);
      }
      await this.staging.drop(key);
      this.pending.delete(key);
      this.wakeIfIdle();
    } catch (err) {
      this.lastError = err;
      if (this.stopped || !this.pending.has(key)) return;
      const delay = Math.min(10_000, this.retryDelayMs * 2 ** Math.min(attempt, 6));
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.upload(key, attempt + 1);
      }, delay);
      this.timers.add(t);
    }
  }

  private wakeIfIdle(): void {
    if (this.pending.size > 0 || this.running > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of w) resolve();
  }

  /** Resolves once every staged block has been uploaded and no upload is running. */
  drain(): Promise<void> {
    if (this.pending.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retrying (staged files stay on disk for the next start). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
