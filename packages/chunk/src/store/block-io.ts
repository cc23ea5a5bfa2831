import { fsError, type ObjectMethod, type ObjectStorage, type PutOptions } from '@juicefs/core';
import { blockKey, parseBlockName, type BlockRef } from '../layout/keys.js';
import type { Codec } from '../compress/codec.js';
import type { MemoryBlockCache } from '../cache/memory-cache.js';
import type { DiskCaches, StagingAreas } from '../cache/cache-set.js';
import { SingleFlight } from './single-flight.js';
import { Limiter } from './limiter.js';
import type { Counters } from './stats.js';
import { secondsSince } from '../timing.js';
import type { ResolvedOptions } from './options.js';

export interface BlockIoParts {
  storage: ObjectStorage;
  codec: Codec;
  options: ResolvedOptions;
  counters: Counters;
  memory: MemoryBlockCache | undefined;
  disk: DiskCaches | undefined;
  staging: StagingAreas | undefined;
}

/**
 * Moving single blocks between object storage and the caches: the one place that knows the
 * order of lookups (memory, staging, disk, object storage) and the framing of objects.
 */
export class BlockIo {
  readonly uploads: Limiter;
  /** Readahead fetches run in parallel, as many as the readahead window (at least 4). */
  private readonly prefetches: Limiter;
  private readonly fetches = new SingleFlight<Buffer>();
  private readonly prefetching = new Map<string, Promise<void>>();

  constructor(private readonly p: BlockIoParts) {
    this.uploads = new Limiter(p.options.maxUploads);
    this.prefetches = new Limiter(Math.max(4, p.options.readahead));
  }

  keyOf(ref: BlockRef): string {
    return blockKey(ref, this.p.options.hashPrefix);
  }

  /**
   * Compresses and stores one block in object storage (bounded concurrency). True when the disk
   * cache was handed `raw` to write in the background: the caller must not reuse its memory.
   */
  async put(ref: BlockRef, raw: Buffer, tier?: PutOptions): Promise<boolean> {
    const key = this.keyOf(ref);
    await this.uploads.run(async () => {
      const data = await this.p.codec.compress(raw);
      await this.request('PUT', () => this.p.storage.put(key, data, tier));
      this.p.counters.objectPuts++;
      this.p.counters.putBytes += data.length;
    });
    // As JuiceFS: a block smaller than a full one (a small file, a file's tail) is cached once
    // uploaded, so reading back what was just written needs no fetch; full blocks only with
    // `cacheWrites` (--cache-large-write). In the background, dropped when the queue is full.
    if (this.p.disk && (this.p.options.cacheWrites || raw.length < this.p.options.blockSize)) {
      // A local bucket already holds the raw bytes in a file (when nothing compressed them): the
      // cache links that file rather than writing a copy of it.
      const local = this.p.codec.name === 'none' ? this.p.storage.localFile?.(key) : undefined;
      if (local === undefined || !this.p.disk.link(key, local, raw.length)) {
        void this.p.disk.put(key, raw);
        return true;
      }
    }
    return false;
  }

  /**
   * One object request, timed and counted by method (JuiceFS's object request metrics). The
   * storage's own retries happen inside it: a request counts once, and as an error only when it
   * finally failed.
   */
  private async request<T>(method: ObjectMethod, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } catch (err) {
      this.p.counters.objectErrors++;
      throw err;
    } finally {
      this.p.counters.requests[method].observe(secondsSince(started));
    }
  }

  /** A block from the caches (or staging) only; undefined on a miss. */
  private async fromCaches(key: string, offset: number, size: number, copy = true): Promise<Buffer | undefined> {
    const m = this.p.memory?.get(key);
    // Copies for callers, who may write into what they get: the cached block must stay intact.
    if (m) return copy ? Buffer.from(m.subarray(offset, offset + size)) : m.subarray(offset, offset + size);
    if (!this.p.staging && !this.p.disk) return undefined;
    const started = performance.now();
    const found = (await this.p.staging?.read(key, offset, size)) ?? (await this.p.disk?.get(key, offset, size));
    // Only reads the local disk served are "reads from cache": a miss costs a lookup, not a read.
    if (found) this.p.counters.diskCacheReads.observe(secondsSince(started));
    return found;
  }

  /**
   * Where a block is cached, if anywhere: `memory`, the cache directory holding it, or that
   * directory's writeback staging area.
   */
  cachedWhere(ref: BlockRef): string | undefined {
    const key = this.keyOf(ref);
    if (this.p.memory?.has(key)) return 'memory';
    const staged = this.p.staging?.dirOf(key);
    if (staged !== undefined) return `${staged} (staging)`;
    return this.p.disk?.dirOf(key);
  }

  isCached(ref: BlockRef): boolean {
    return this.cachedWhere(ref) !== undefined;
  }

  private get canCache(): boolean {
    return (this.p.memory !== undefined && this.p.memory.capacityBytes > 0) || this.p.disk !== undefined;
  }

  /**
   * `size` bytes at `offset` of a block, as a buffer the caller owns. A whole-block fetch (shared
   * by concurrent readers and cached) is used when the object is compressed, when the caller reads
   * sequentially, or when the read covers the block; otherwise only the range is fetched.
   */
  async read(ref: BlockRef, offset: number, size: number, sequential: boolean): Promise<Buffer> {
    const { data, shared } = await this.view(ref, offset, size, sequential);
    return shared ? Buffer.from(data) : data;
  }

  /**
   * Like `read`, but bytes held by the memory cache come back uncopied (`shared`): the caller
   * must copy them out before handing them on, which lets a read spanning blocks copy each byte
   * once, straight into its result.
   */
  async view(ref: BlockRef, offset: number, size: number, sequential: boolean): Promise<{ data: Buffer; shared: boolean }> {
    const key = this.keyOf(ref);
    const m = this.p.memory?.get(key);
    if (!m && this.fetches.has(key)) {
      // The whole block is on its way (a warm, a readahead, another reader): wait for it rather
      // than read the same bytes a second time.
      this.p.counters.cacheHits++;
      this.p.counters.cacheHitBytes += size;
      return { data: (await this.fetchWhole(ref)).subarray(offset, offset + size), shared: true };
    }
    const hit = m ? m.subarray(offset, offset + size) : await this.fromCaches(key, offset, size);
    if (hit) {
      if (hit.length !== size) throw fsError('EIO', `cached block ${key} returned ${hit.length} bytes, wanted ${size}`);
      this.p.counters.cacheHits++;
      this.p.counters.cacheHitBytes += size;
      return { data: hit, shared: m !== undefined };
    }
    this.p.counters.cacheMisses++;
    this.p.counters.cacheMissBytes += size;
    // Compressed and encrypted objects cannot be read in parts (FORMAT.md 7.3).
    const whole = this.p.codec.name !== 'none' || this.p.options.encrypted || size === ref.length || (sequential && this.canCache);
    if (whole) {
      // Shared: the caches, the background disk write and concurrent readers hold the same block.
      return { data: (await this.fetchWhole(ref)).subarray(offset, offset + size), shared: true };
    }
    const data = await this.request('GET', () => this.p.storage.get(key, offset, size));
    this.p.counters.objectGets++;
    this.p.counters.getBytes += data.length;
    if (data.length !== size) throw fsError('EIO', `object ${key} returned ${data.length} bytes at ${offset}, wanted ${size}`);
    return { data, shared: false };
  }

  /**
   * The whole uncompressed block, from object storage, then kept in the caches. `forceDisk`
   * (warmup) queues it for the disk cache even when the caching queue is full.
   */
  fetchWhole(ref: BlockRef, forceDisk = false): Promise<Buffer> {
    const key = this.keyOf(ref);
    return this.fetches.run(key, async () => {
      const again = await this.fromCaches(key, 0, ref.length, false);
      if (again && again.length === ref.length) {
        // From the disk cache or staging (a warm, or another reader cached it meanwhile): into
        // memory too, for the read that asked for it.
        this.p.memory?.put(key, again);
        return again;
      }
      const data = await this.request('GET', () => this.p.storage.get(key));
      this.p.counters.objectGets++;
      this.p.counters.getBytes += data.length;
      const raw = await this.p.codec.decompress(data, ref.length);
      this.p.memory?.put(key, raw);
      // In the background: the cache serves the block while its file is written, and a full
      // disk must not fail reads.
      if (this.p.disk && this.keepsOnDisk(ref, forceDisk)) void this.p.disk.put(key, raw, forceDisk);
      return raw;
    });
  }

  /**
   * Whether a block fetched from object storage goes into the disk cache. With
   * `--cache-partial-only` only blocks shorter than a full one do (small files, files' tails), as
   * JuiceFS's shouldCache decides; a warmup (`force`) caches every block, as JuiceFS's FillCache.
   */
  keepsOnDisk(ref: BlockRef, force = false): boolean {
    return force || !this.p.options.cachePartialOnly || ref.length < this.p.options.blockSize;
  }

  /**
   * Loads a block into the memory cache in the background, from the disk cache when it is there
   * (a file just opened: its read arrives a round trip later and finds it in memory). Only with a
   * memory cache; failures are left to the real read.
   */
  warm(ref: BlockRef): void {
    const key = this.keyOf(ref);
    if (!this.p.memory || this.p.memory.capacityBytes === 0 || this.p.memory.has(key) || this.fetches.has(key)) return;
    this.fetchWhole(ref).catch(() => undefined);
  }

  /** Pulls a block into the caches in the background (readahead); failures are left to the real read. */
  prefetch(ref: BlockRef): void {
    const key = this.keyOf(ref);
    // Each read of a sequential reader asks again for the same blocks ahead: queue each once.
    if (!this.canCache || this.prefetching.has(key) || this.isCached(ref)) return;
    const p = this.prefetches
      .run(() => this.fetchWhole(ref))
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.prefetching.delete(key));
    this.prefetching.set(key, p);
  }

  /** Waits for background fetches (before closing: they write into the caches). */
  async idle(): Promise<void> {
    while (this.prefetching.size > 0) await Promise.all([...this.prefetching.values()]);
  }

  async evict(ref: BlockRef): Promise<void> {
    const key = this.keyOf(ref);
    this.p.memory?.delete(key);
    await this.p.disk?.remove(key);
  }

  async remove(ref: BlockRef): Promise<void> {
    const key = this.keyOf(ref);
    await this.evict(ref);
    await this.p.staging?.drop(key);
    await this.request('DELETE', () => this.p.storage.delete(key));
    this.p.counters.objectDeletes++;
  }

  /** The block a key names (for staged files found on start). */
  static refOf(key: string): BlockRef {
    const ref = parseBlockName(key);
    if (!ref) throw fsError('EINVAL', `"${key}" is not a block key`);
    return ref;
  }
}
