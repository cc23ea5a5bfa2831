import type { PutOptions } from '@juicefs/core';
import type { DiskCaches, StagingAreas } from '../cache/cache-set.js';
import type { BlockRef } from '../layout/keys.js';
import type { BlockIo } from './block-io.js';
import { parseBlockName } from '../layout/keys.js';
import { inUploadHours, msUntilUpload, msUntilUploadHours, type UploadSchedule } from './upload-schedule.js';

/** The longest delay setTimeout takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Background uploads of staged blocks. A block waits `--upload-delay` after it was staged and
 * for `--upload-hours`; one that fails to upload stays staged (it is the only copy) and is tried
 * again with growing delays. `settle` waits until every block that may go now has gone; blocks
 * still waiting for their time stay staged for the next start, as JuiceFS leaves them.
 */
export class WritebackUploader {
  private readonly pending = new Set<string>();
  /** Blocks waiting for their delay or the upload window (a subset of `pending`). */
  private readonly deferred = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** When each delayed block's `--upload-delay` is over (ms since the epoch). */
  private readonly dueAt = new Map<string, number>();
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  /** Uploads under way, including those of blocks cancelled meanwhile (which clean up after themselves). */
  private running = 0;
  lastError: unknown;

  constructor(
    private readonly staging: StagingAreas,
    private readonly io: BlockIo,
    private readonly disk: DiskCaches | undefined,
    private readonly schedule: UploadSchedule = { delayMs: 0 },
    private readonly retryDelayMs = 200,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Staged blocks waiting for `--upload-delay` or `--upload-hours`. */
  get waiting(): number {
    return this.deferred.size;
  }

  /**
   * Storage classes and tags of staged blocks of tiered files, until uploaded. Kept in memory
   * only: a block staged by an earlier run is uploaded with the storage's own class and no tags.
   */
  private readonly tiers = new Map<string, PutOptions>();

  /** Queues an upload of a block staged at `stagedAt` (ms since the epoch), to be put as its file's `tier` asks if given. */
  enqueue(key: string, stagedAt = Date.now(), tier?: PutOptions): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (tier) this.tiers.set(key, tier);
    if (this.schedule.delayMs > 0) this.dueAt.set(key, stagedAt + this.schedule.delayMs);
    const wait = msUntilUpload(this.schedule, stagedAt, Date.now());
    if (wait <= 0) void this.upload(key, 0);
    else this.later(key, wait, 0, true);
  }

  /**
   * Uploads every block still waiting for `--upload-delay` or `--upload-hours` now, as JuiceFS
   * does when the staging disk runs short of free space: they would otherwise fill it.
   */
  expedite(): void {
    for (const key of [...this.deferred]) {
      this.forced.add(key);
      const t = this.timers.get(key);
      if (t) clearTimeout(t);
      this.timers.delete(key);
      this.deferred.delete(key);
      this.dueAt.delete(key);
      void this.upload(key, 0);
    }
  }

  /** Blocks hurried by `expedite`: their delay and window no longer apply. */
  private readonly forced = new Set<string>();

  /** Forgets a block whose slice was removed before it was uploaded. */
  cancel(key: string): void {
    this.pending.delete(key);
    this.forced.delete(key);
    this.tiers.delete(key);
    this.deferred.delete(key);
    this.dueAt.delete(key);
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
    this.wakeIfIdle();
  }

  private later(key: string, ms: number, attempt: number, deferred: boolean): void {
    if (deferred) this.deferred.add(key);
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    // Node fires longer timers at once: a long wait is taken in steps, `upload` checks again.
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.deferred.delete(key);
      void this.upload(key, attempt);
    }, Math.min(ms, MAX_TIMER_MS));
    // A delay of hours must not keep a process alive that has nothing else to do.
    t.unref();
    this.timers.set(key, t);
    this.wakeIfIdle();
  }

  private async upload(key: string, attempt: number): Promise<void> {
    if (this.stopped || !this.pending.has(key)) return;
    const due = this.dueAt.get(key) ?? 0;
    if (Date.now() < due) {
      this.later(key, due - Date.now(), attempt, true);
      return;
    }
    // The window may have closed while the block waited (or while an upload failed): wait for the next one.
    if (!this.forced.has(key) && !inUploadHours(this.schedule.hours, new Date())) {
      this.later(key, msUntilUploadHours(this.schedule.hours, new Date()), attempt, true);
      return;
    }
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
      this.dueAt.delete(key);
      return;
    }
    try {
      const data = await this.staging.read(key, 0, ref.length);
      if (!this.pending.has(key)) return; // removed meanwhile
      if (!data || data.length !== ref.length) {
        // The staged file is gone or damaged: nothing left to upload.
        this.pending.delete(key);
        this.dueAt.delete(key);
        await this.staging.drop(key);
        return;
      }
      await this.io.put(ref, data, this.tiers.get(key));
      this.tiers.delete(key);
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
      this.forced.delete(key);
      this.dueAt.delete(key);
      this.wakeIfIdle();
    } catch (err) {
      this.lastError = err;
      if (this.stopped || !this.pending.has(key)) return;
      this.later(key, Math.min(10_000, this.retryDelayMs * 2 ** Math.min(attempt, 6)), attempt + 1, false);
    }
  }

  private wakeIfIdle(): void {
    if (this.pending.size > this.deferred.size || this.running > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of w) resolve();
  }

  /**
   * Resolves once no upload is running and every staged block is either uploaded or waiting for
   * its `--upload-delay` / `--upload-hours` (those are not hurried: they stay staged).
   */
  settle(): Promise<void> {
    if (this.pending.size === this.deferred.size && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops uploading (staged files stay on disk for the next start). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
