import * as path from 'node:path';
import { errnoOf, fsError, type TimedCount } from '@juicefs/core';
import { DiskBlockCache, type DiskCacheOptions } from './disk-cache.js';
import { StagingArea } from './staging.js';
import { CacheRing } from './cache-ring.js';
import { cacheDirId, renewCacheDirId } from './cache-dirs.js';
import type { ChecksumLevel } from './block-file.js';

/**
 * Which of several cache directories a block belongs in. One directory takes every block; with
 * more, JuiceFS's consistent-hash ring over the directories' ids decides (cache-ring.ts), so the
 * Go client and this one put a block in the same directory.
 */
export class CacheDirRouter {
  private ring: CacheRing | undefined;
  private readonly byId = new Map<string, number>();
  /** Directories given up (their disk failed): no block is routed to them any more. */
  private readonly downDirs = new Set<number>();

  /** `dirs` as given to `--cache-dir` (expanded); blocks live below `<dir>/<uuid>`. */
  constructor(readonly dirs: readonly string[], private readonly uuid: string, private readonly mode: number) {}

  /** `<dir>/<uuid>` of directory `i`. */
  volumeDir(i: number): string {
    return path.join(this.dirs[i]!, this.uuid);
  }

  /** Index in `dirs` of the directory `key` belongs in; -1 when every directory was given up. */
  indexOf(key: string): number {
    if (this.dirs.length === 1) return this.downDirs.has(0) ? -1 : 0;
    this.ring ??= this.buildRing();
    const id = this.ring.get(key);
    return id === undefined ? -1 : this.byId.get(id)!;
  }

  isDown(i: number): boolean {
    return this.downDirs.has(i);
  }

  /**
   * Gives directory `i` up: its blocks' keys go to the other directories from now on, as JuiceFS
   * removes a failing directory from its ring. The ring is built again from the others' ids.
   */
  markDown(i: number): void {
    if (this.downDirs.has(i)) return;
    this.downDirs.add(i);
    if (this.dirs.length === 1) return;
    this.ring ??= this.buildRing();
    const live = [...this.byId].filter(([, j]) => !this.downDirs.has(j)).map(([id]) => id);
    this.ring = new CacheRing(live);
  }

  /** Reads (or gives) each directory's id; a directory copied from another one gets a new id. */
  private buildRing(): CacheRing {
    const ids: string[] = [];
    this.dirs.forEach((_, i) => {
      let id: string;
      try {
        id = cacheDirId(this.volumeDir(i), this.mode);
        if (this.byId.has(id)) id = renewCacheDirId(this.volumeDir(i));
      } catch (err) {
        throw this.failure(i, err);
      }
      this.byId.set(id, i);
      ids.push(id);
    });
    return new CacheRing(ids);
  }

  /**
   * Runs `job` on directory `i`, turning a failure into an error that names the directory, for
   * the start to report: `cache directory /x cannot be used: not a directory, mkdir '/x'`.
   */
  async using<T>(i: number, job: () => Promise<T>): Promise<T> {
    try {
      return await job();
    } catch (err) {
      throw this.failure(i, err);
    }
  }

  private failure(i: number, err: unknown): Error {
    // Not `instanceof Error`: Node's own errors may come from another realm (under a test runner).
    const text = typeof (err as { message?: unknown })?.message === 'string' ? (err as { message: string }).message : String(err);
    if (text.includes('cache directory ')) return err as Error; // named already
    const message = text.replace(/^E[A-Z]+: /, '');
    return fsError(errnoOf(err), `cache directory ${this.dirs[i]} cannot be used: ${message}`, err);
  }

  /** Builds the ring now (on start), so a directory that cannot hold the id file fails the start, not a read. */
  prepare(): void {
    if (this.dirs.length > 1) this.ring ??= this.buildRing();
  }
}

/** What each directory's disk cache gets: the totals are split evenly between the directories. */
export type DiskCachesOptions = Omit<DiskCacheOptions, 'cacheDir' | 'uuid'>;

/**
 * The disk cache over one or more directories: each block is written to the directory the router
 * picks, and found in whichever directory holds it (a block may sit elsewhere when the list
 * changed since it was cached). `--cache-size`, `--cache-items` and the queue of pending writes
 * are split evenly between the directories, as JuiceFS splits them; `--free-space-ratio` holds
 * for each directory's own file system.
 */
export class DiskCaches {
  readonly caches: DiskBlockCache[];

  constructor(readonly router: CacheDirRouter, opts: DiskCachesOptions, uuid: string, private readonly warn: (message: string) => void = () => undefined) {
    const n = router.dirs.length;
    const share = (v: number | undefined): number | undefined => (v === undefined ? undefined : Math.floor(v / n));
    this.caches = router.dirs.map((cacheDir) => new DiskBlockCache({
      ...opts, cacheDir, uuid,
      capacity: share(opts.capacity)!,
      ...(opts.maxItems !== undefined ? { maxItems: share(opts.maxItems)! } : {}),
      ...(opts.maxPending !== undefined ? { maxPending: Math.max(1, share(opts.maxPending)!) } : {}),
    }));
  }

  async open(): Promise<void> {
    for (const [i, c] of this.caches.entries()) await this.router.using(i, () => c.open());
    this.router.prepare();
  }

  async close(): Promise<void> {
    await Promise.all(this.caches.map((c) => c.close()));
  }

  async flush(): Promise<void> {
    await Promise.all(this.caches.map((c) => c.flush()));
  }

  /** The cache `key` belongs in; undefined once every directory was given up. */
  private routed(key: string): DiskBlockCache | undefined {
    for (;;) {
      const i = this.router.indexOf(key);
      if (i < 0) return undefined;
      const c = this.caches[i]!;
      if (!c.down) return c;
      this.giveUp(i);
    }
  }

  /** Stops using a directory whose disk keeps failing, saying so once. */
  private giveUp(i: number): void {
    if (this.router.isDown(i)) return;
    this.router.markDown(i);
    const err = this.caches[i]!.lastDeviceError as { message?: unknown } | undefined;
    const left = this.caches.filter((_, j) => !this.router.isDown(j)).length;
    this.warn(`cache directory ${this.router.dirs[i]} is unavailable (${String(err?.message ?? err)}); it is no longer used, ${left === 0 ? 'blocks are read from object storage' : `its blocks go to the ${left} other director${left === 1 ? 'y' : 'ies'}`}`);
  }

  /** The cache holding `key`, if any: the routed one first; directories given up hold nothing. */
  private holder(key: string): DiskBlockCache | undefined {
    const routed = this.routed(key);
    if (routed?.has(key)) return routed;
    if (this.caches.length === 1) return undefined;
    return this.caches.find((c, i) => c !== routed && !this.router.isDown(i) && c.has(key));
  }

  has(key: string): boolean {
    return this.holder(key) !== undefined;
  }

  /** The `--cache-dir` entry holding `key`, if cached. */
  dirOf(key: string): string | undefined {
    const c = this.holder(key);
    return c === undefined ? undefined : this.router.dirs[this.caches.indexOf(c)];
  }

  async get(key: string, offset: number, size: number): Promise<Buffer | undefined> {
    const c = this.holder(key);
    if (c === undefined) return undefined;
    const got = await c.get(key, offset, size);
    if (c.down) this.giveUp(this.caches.indexOf(c));
    return got;
  }

  put(key: string, data: Buffer, force = false): Promise<void> {
    if (this.holder(key) !== undefined) return Promise.resolve();
    return this.routed(key)?.put(key, data, force) ?? Promise.resolve();
  }

  /** True when cached (or not to be cached); false when the caller should `put` a copy. */
  link(key: string, source: string, size: number): boolean {
    if (this.holder(key) !== undefined) return true;
    return this.routed(key)?.link(key, source, size) ?? true;
  }

  /** Takes in a staged file, into the directory it was staged in (a hard link does not cross file systems). */
  async adopt(key: string, file: string, size: number): Promise<void> {
    const i = this.router.dirs.findIndex((_, j) => file.startsWith(this.router.volumeDir(j) + path.sep));
    const c = i >= 0 ? this.caches[i]! : this.routed(key);
    if (c !== undefined && !c.down) await c.adopt(key, file, size);
  }

  async remove(key: string): Promise<void> {
    const routed = this.routed(key);
    await Promise.all(this.caches.filter((c) => c === routed || c.has(key)).map((c) => c.remove(key).catch(() => undefined)));
  }

  get usedBytes(): number {
    return this.sum((c) => c.usedBytes);
  }

  get count(): number {
    return this.sum((c) => c.count);
  }

  get drops(): number {
    return this.sum((c) => c.drops);
  }

  get corruptions(): number {
    return this.sum((c) => c.corruptions);
  }

  get writeBytes(): number {
    return this.sum((c) => c.writeBytes);
  }

  /** Blocks written or linked into the caches, and the seconds they took. */
  get writes(): TimedCount {
    return { total: this.sum((c) => c.writes.total), sum: this.sum((c) => c.writes.sum) };
  }

  private sum(of: (c: DiskBlockCache) => number): number {
    let n = 0;
    for (const c of this.caches) n += of(c);
    return n;
  }
}

/**
 * Writeback staging over one or more directories: a block is staged in the directory the router
 * picks, and afterwards read, uploaded and dropped wherever it was staged (an earlier run with
 * another list may have put it elsewhere).
 */
export class StagingAreas {
  readonly areas: StagingArea[];
  /** Where each staged block is. */
  private readonly where = new Map<string, StagingArea>();

  constructor(readonly router: CacheDirRouter, uuid: string, mode: number, checksum: ChecksumLevel) {
    this.areas = router.dirs.map((dir) => new StagingArea(dir, uuid, mode, checksum));
  }

  get count(): number {
    return this.where.size;
  }

  /** Blocks left staged by an earlier run, in every directory. */
  async scan(): Promise<string[]> {
    const found: string[] = [];
    for (const [i, area] of this.areas.entries()) {
      for (const key of await this.router.using(i, () => area.scan())) {
        if (this.where.has(key)) continue; // staged twice (two lists, two runs): the first copy serves
        this.where.set(key, area);
        found.push(key);
      }
    }
    this.router.prepare();
    return found;
  }

  private areaOf(key: string): StagingArea {
    const known = this.where.get(key);
    if (known !== undefined) return known;
    const i = this.router.indexOf(key);
    // Every directory given up: staging fails, and the writer uploads the block directly.
    if (i < 0) throw fsError('EIO', `no usable cache directory left to stage ${key} in (${this.router.dirs.join(':')})`);
    return this.areas[i]!;
  }

  has(key: string): boolean {
    return this.where.has(key);
  }

  /** The `--cache-dir` entry a block is staged in. */
  dirOf(key: string): string | undefined {
    const area = this.where.get(key);
    return area === undefined ? undefined : this.router.dirs[this.areas.indexOf(area)];
  }

  fileOf(key: string): string {
    return this.areaOf(key).fileOf(key);
  }

  async stage(key: string, data: Buffer): Promise<void> {
    const area = this.areaOf(key);
    await area.stage(key, data);
    this.where.set(key, area);
  }

  async read(key: string, offset: number, size: number): Promise<Buffer | undefined> {
    return this.where.get(key)?.read(key, offset, size);
  }

  async drop(key: string, keepFile = false): Promise<void> {
    const area = this.areaOf(key);
    this.where.delete(key);
    await area.drop(key, keepFile);
    // A second copy, staged in another directory by an earlier run with another list, goes too.
    for (const a of this.areas) if (a !== area && a.has(key)) await a.drop(key);
  }

  /** The free fraction of the file system a new block `key` would be staged on (StagingArea.freeRatio). */
  async freeRatioFor(key: string): Promise<number> {
    return this.areaOf(key).freeRatio();
  }

  /** The lowest free fraction among the directories. */
  async lowestFreeRatio(): Promise<number> {
    let low = 1;
    for (const a of this.areas) low = Math.min(low, await a.freeRatio());
    return low;
  }

  async stagedAt(key: string): Promise<number> {
    return this.areaOf(key).stagedAt(key);
  }

  sizeOf(key: string): number | undefined {
    return this.where.get(key)?.sizeOf(key);
  }
}
