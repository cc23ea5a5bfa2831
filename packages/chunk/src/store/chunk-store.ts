import { fsError, type CacheCheck, type ChunkStore, type ChunkStoreStats, type ObjectStorage, type PutOptions, type SliceWriter, type TimedCount, type WriterOptions } from '@juicefs/core';
import { blockLength, blocksOf, type BlockRef } from '../layout/keys.js';
import { codecFor } from '../compress/codec.js';
import { MemoryBlockCache } from '../cache/memory-cache.js';
import { CacheDirRouter, DiskCaches, StagingAreas } from '../cache/cache-set.js';
import { BlockIo } from './block-io.js';
import { BlockWriter, type WriterHost } from './writer.js';
import { BlockReader } from './reader.js';
import { BufferBudget } from './buffer-budget.js';
import { BlockBufferPool } from './block-pool.js';
import { WritebackUploader } from './writeback.js';
import { Counters } from './stats.js';
import { ReadSequence } from './sequence.js';
import { resolveOptions, type ChunkStoreOptions, type ResolvedOptions } from './options.js';

/**
 * The JuiceFS-compatible chunk store: slices cut into blocks named and framed as JuiceFS 1.x does,
 * with write buffers, a memory and a disk cache, readahead and writeback. Create it with
 * `openChunkStore`, which also rebuilds the disk cache and resumes staged uploads.
 */
export class JuiceChunkStore implements ChunkStore, WriterHost {
  readonly blockSize: number;
  readonly budget: BufferBudget;
  readonly options: ResolvedOptions;
  private readonly counters = new Counters();
  private readonly memory: MemoryBlockCache | undefined;
  private readonly disk: DiskCaches | undefined;
  private readonly staging: StagingAreas | undefined;
  private readonly io: BlockIo;
  private readonly uploader: WritebackUploader | undefined;
  private closed = false;
  private readonly sequence = new ReadSequence();
  private readonly blockBuffers: BlockBufferPool;

  /** How objects of each tier's files are put (class and tags); absent: the storage's defaults. */
  private readonly tierPuts: Map<number, PutOptions>;

  constructor(readonly storage: ObjectStorage, options: ChunkStoreOptions) {
    const o = resolveOptions(options);
    if (!Number.isInteger(o.blockSize) || o.blockSize <= 0) throw fsError('EINVAL', `block size ${o.blockSize} must be a positive integer`);
    if (o.writeback && o.cacheDirs.length === 0) throw fsError('EINVAL', 'writeback needs a cache directory (--cache-dir) to stage blocks in');
    this.options = o;
    this.blockSize = o.blockSize;
    this.tierPuts = tierPutOptions(o);
    this.budget = new BufferBudget(o.bufferSize);
    // Enough for the blocks a busy writer has uploading at once; at most an eighth of the buffer.
    this.blockBuffers = new BlockBufferPool(o.blockSize, Math.max(1, Math.min(16, Math.floor(o.bufferSize / o.blockSize / 8))) * o.blockSize);
    this.memory = o.memoryCacheSize > 0 ? new MemoryBlockCache(o.memoryCacheSize) : undefined;
    if (o.cacheDirs.length > 0) {
      const router = new CacheDirRouter(o.cacheDirs, o.uuid, o.cacheMode);
      if (o.cacheSize > 0) {
        // JuiceFS lets a fifth of the write buffer wait for the cache disks.
        const maxPending = Math.max(1, Math.floor((o.bufferSize * 0.2) / o.blockSize));
        this.disk = new DiskCaches(router, {
          capacity: o.cacheSize, freeSpaceRatio: o.freeSpaceRatio, maxPending,
          mode: o.cacheMode, maxItems: o.cacheItems, eviction: o.cacheEviction, expireMs: o.cacheExpire * 1000,
          scanIntervalMs: o.cacheScanInterval * 1000, checksum: o.verifyCacheChecksum,
        }, o.uuid, options.onWarning);
      }
      if (o.writeback) this.staging = new StagingAreas(router, o.uuid, o.cacheMode, o.verifyCacheChecksum);
    }
    this.io = new BlockIo({
      storage,
      codec: codecFor(o.compression),
      options: o,
      counters: this.counters,
      memory: this.memory,
      disk: this.disk,
      staging: this.staging,
    });
    if (this.staging) {
      this.uploader = new WritebackUploader(this.staging, this.io, this.disk, { delayMs: o.uploadDelayMs, hours: o.uploadHours });
    }
  }

  /** Scans the disk cache and re-queues blocks staged by an earlier run. */
  async start(): Promise<void> {
    await this.disk?.open();
    if (this.staging && this.uploader) {
      // As JuiceFS: a block left staged by an earlier run counts its delay from its file's mtime.
      for (const key of await this.staging.scan()) this.uploader.enqueue(key, await this.staging.stagedAt(key));
      this.watchStagingSpace();
    }
  }

  /** Checks every second, while blocks are held back, that the staging disks keep their free space (see storeBlock). */
  private watchStagingSpace(): void {
    const o = this.options;
    if (o.freeSpaceRatio <= 0 || (o.uploadDelayMs === 0 && o.uploadHours === undefined)) return;
    const staging = this.staging!;
    const uploader = this.uploader!;
    this.spaceWatch = setInterval(() => {
      if (uploader.waiting === 0) return;
      void staging.lowestFreeRatio().then((free) => {
        if (free < o.freeSpaceRatio) uploader.expedite();
      });
    }, 1000);
    this.spaceWatch.unref(); // never keeps the process alive
  }

  private spaceWatch: NodeJS.Timeout | undefined;

  newWriter(id: number, options: WriterOptions = {}): SliceWriter {
    this.checkOpen();
    return new BlockWriter(id, this, this.tierPuts.get(options.tier ?? 0));
  }

  newReader(id: number, length: number): BlockReader {
    this.checkOpen();
    return new BlockReader(id, length, this.blockSize, this.io, this.options.readahead, this.sequence, this.options.adaptiveReadahead);
  }

  /** Write buffers waiting to be reused (diagnostics and tests). */
  get pooledBlockBuffers(): number {
    return this.blockBuffers.size;
  }

  /** WriterHost: write buffers are reused (see block-pool.ts). */
  takeBlockBuffer(size: number): Buffer {
    return this.blockBuffers.take(size);
  }

  /**
   * WriterHost: a buffer comes back unless the disk cache still holds the bytes stored from it:
   * it keeps a block it caches on write (short blocks, or all with --cache-large-write) until its
   * file is written, unless it could hard-link the local bucket's file instead.
   */
  giveBlockBuffer(buf: Buffer, stored?: Buffer): void {
    if (stored !== undefined && stored.buffer === buf.buffer && this.heldByCache.has(stored)) return;
    this.blockBuffers.give(buf);
  }

  /** What storeBlock handed to the disk cache to write in the background (see giveBlockBuffer). */
  private readonly heldByCache = new WeakSet<Buffer>();

  /** Staged-file writes under way (bounded by `--max-stage-write`). */
  private stagingWrites = 0;

  /**
   * WriterHost: a sealed block goes to staging (writeback) or straight to object storage. As
   * JuiceFS does, writeback stages only blocks under `--writeback-threshold-size`; a block that
   * finds `--max-stage-write` staged writes under way, or its staging disk with less than half of
   * `--free-space-ratio` free, is uploaded directly instead, and so is one whose staged write
   * failed (a full or broken disk must not fail the write). Once the disk has less than
   * `--free-space-ratio` free, blocks held back by `--upload-delay`/`--upload-hours` go at once.
   */
  async storeBlock(ref: BlockRef, data: Buffer, tier?: PutOptions): Promise<void> {
    const o = this.options;
    if (this.staging && this.uploader && ref.length < o.writebackThreshold && (o.maxStageWrite === 0 || this.stagingWrites < o.maxStageWrite)) {
      const key = this.io.keyOf(ref);
      if (await this.stagedHere(key, data)) {
        this.uploader.enqueue(key, Date.now(), tier);
        if (o.freeSpaceRatio > 0 && (await this.staging.freeRatioFor(key)) < o.freeSpaceRatio) this.uploader.expedite();
        return;
      }
    }
    if (await this.io.put(ref, data, tier)) this.heldByCache.add(data);
  }

  /** Stages a block unless its disk is short of space; false when it was not staged (see storeBlock). */
  private async stagedHere(key: string, data: Buffer): Promise<boolean> {
    const staging = this.staging!;
    // Counted before the first await: blocks sealed together must see each other under --max-stage-write.
    this.stagingWrites++;
    try {
      if (this.options.freeSpaceRatio > 0 && (await staging.freeRatioFor(key)) < this.options.freeSpaceRatio / 2) {
        this.stageSkips++;
        return false;
      }
      await staging.stage(key, data);
      return true;
    } catch {
      this.stageSkips++;
      await staging.drop(key).catch(() => undefined); // a half-written file must not be uploaded later
      return false;
    } finally {
      this.stagingWrites--;
    }
  }

  /** Blocks writeback uploaded directly because their staging disk was short of space or failed. */
  stageSkips = 0;

  async discardBlock(ref: BlockRef): Promise<void> {
    this.uploader?.cancel(this.io.keyOf(ref));
    await this.io.remove(ref);
  }

  async remove(id: number, length: number): Promise<void> {
    await Promise.all(blocksOf(id, length, this.blockSize).map((ref) => this.discardBlock(ref)));
  }

  async fillCache(id: number, length: number): Promise<void> {
    if (!this.memory && !this.disk) throw fsError('EINVAL', 'no cache to fill: configure a cache directory or a memory cache');
    for (const ref of blocksOf(id, length, this.blockSize)) {
      // Forced into the disk cache: warming up must not lose blocks to a full caching queue.
      if (!this.io.isCached(ref)) await this.io.fetchWhole(ref, true);
    }
  }

  prefetch(id: number, length: number, offset: number, size: number): void {
    const bs = this.blockSize;
    const end = Math.min(length, offset + size);
    for (let index = Math.floor(offset / bs); index * bs < end; index++) {
      this.io.warm({ id, index, length: blockLength(length, index, bs) });
    }
  }

  async checkCache(id: number, length: number): Promise<CacheCheck> {
    const out: CacheCheck = { missBytes: 0, locations: {} };
    for (const ref of blocksOf(id, length, this.blockSize)) {
      const where = this.io.cachedWhere(ref);
      if (where === undefined) out.missBytes += ref.length;
      else out.locations[where] = (out.locations[where] ?? 0) + ref.length;
    }
    return out;
  }

  async evictCache(id: number, length: number): Promise<void> {
    await Promise.all(blocksOf(id, length, this.blockSize).map((ref) => this.io.evict(ref)));
  }

  stats(): ChunkStoreStats {
    const c = this.counters;
    const mem = this.memory?.usedBytes ?? 0;
    return {
      usedMemory: this.budget.usedBytes + mem,
      memoryCacheBytes: mem,
      diskCacheBytes: this.disk?.usedBytes ?? 0,
      cacheDrops: this.disk?.drops ?? 0,
      cacheHits: c.cacheHits,
      cacheMisses: c.cacheMisses,
      objectGets: c.objectGets,
      objectPuts: c.objectPuts,
      getBytes: c.getBytes,
      putBytes: c.putBytes,
      stagedBlocks: this.uploader?.size ?? 0,
      objectRequests: { GET: copyOf(c.requests.GET), PUT: copyOf(c.requests.PUT), DELETE: copyOf(c.requests.DELETE) },
      objectErrors: c.objectErrors,
      cacheHitBytes: c.cacheHitBytes,
      cacheMissBytes: c.cacheMissBytes,
      diskCacheReads: copyOf(c.diskCacheReads),
      diskCacheWrites: copyOf(this.disk?.writes ?? { total: 0, sum: 0 }),
      diskCacheWriteBytes: this.disk?.writeBytes ?? 0,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.spaceWatch);
    // Blocks waiting for --upload-delay or --upload-hours stay staged: the next start uploads them.
    await this.uploader?.settle();
    this.uploader?.stop();
    await this.io.idle();
    await this.disk?.close();
  }

  /**
   * Stops background work without waiting for staged uploads, as a crash would: the staged
   * files stay on disk and the next `openChunkStore` on the same cache directory uploads them.
   */
  abandon(): void {
    this.closed = true;
    clearInterval(this.spaceWatch);
    this.uploader?.stop();
  }

  private checkOpen(): void {
    if (this.closed) throw fsError('EINVAL', 'the chunk store is closed');
  }
}

/** A started chunk store over `storage` (already prefixed with the volume name, and retrying). */
export async function openChunkStore(storage: ObjectStorage, options: ChunkStoreOptions): Promise<JuiceChunkStore> {
  const store = new JuiceChunkStore(storage, options);
  await store.start();
  return store;
}

/** The put options of tiers 0-3: tier 0's class is the storage's own, tags apply to every tier. */
function tierPutOptions(o: ResolvedOptions): Map<number, PutOptions> {
  const out = new Map<number, PutOptions>();
  for (let tier = 0; tier <= 3; tier++) {
    const storageClass = tier === 0 ? undefined : o.tierClasses[tier] || undefined;
    const tags = o.tierTags[tier] || undefined;
    if (storageClass || tags) out.set(tier, { ...(storageClass ? { storageClass } : {}), ...(tags ? { tags } : {}) });
  }
  return out;
}

/** A copy of a live count, so a stats() result does not change under its reader. */
function copyOf(h: TimedCount): TimedCount {
  return { total: h.total, sum: h.sum };
}
