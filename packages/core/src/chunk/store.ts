/**
 * Writes one slice. Bytes are buffered and cut into blocks; `finish` uploads what is left and
 * resolves only when every block of the slice is stored, after which the caller may commit the
 * slice to the metadata engine. A slice whose upload failed must never be committed.
 */
export interface SliceWriter {
  readonly id: number;
  /**
   * Write `data` at `offset` within the slice (offsets are slice-relative, < 64 MiB), at or after
   * the last `flushTo` offset's block; a later write over bytes written before replaces them (the
   * VFS rewrites buffered bytes in place, as JuiceFS does).
   */
  writeAt(data: Buffer, offset: number): Promise<void>;
  /** Upload the full blocks before `offset` in the background (writers call it as they go). */
  flushTo(offset: number): Promise<void>;
  /** Upload everything; the slice is `length` bytes long. */
  finish(length: number): Promise<void>;
  /** Drop buffered data and delete any blocks already uploaded. */
  abort(): Promise<void>;
}

/** Reads one committed slice of `length` bytes. */
export interface SliceReader {
  readonly id: number;
  readonly length: number;
  /** Read `size` bytes at `offset`; short only at the end of the slice. */
  readAt(offset: number, size: number): Promise<Buffer>;
  /**
   * Optional: read `size` bytes at `offset` straight into `out` at `at`; resolves to the bytes
   * written (short only at the end of the slice). Spares the copy `readAt` makes of cached
   * bytes when the caller assembles its own buffer (the VFS does).
   */
  readInto?(offset: number, size: number, out: Buffer, at: number): Promise<number>;
  /**
   * Optional: like `readAt`, but the bytes may be the store's cached block itself, uncopied. The
   * caller must not modify them (a FUSE reply, which the kernel copies, needs no copy of its own).
   */
  readView?(offset: number, size: number): Promise<Buffer>;
}

/** How many times something happened and the seconds it took in all (a histogram as `.stats` shows one). */
export interface TimedCount {
  total: number;
  sum: number;
}

/** The object-storage requests the store times, by the method JuiceFS's metrics name them with. */
export type ObjectMethod = 'GET' | 'PUT' | 'DELETE';

export interface ChunkStoreStats {
  /** Bytes held in write buffers and the memory cache. */
  usedMemory: number;
  memoryCacheBytes: number;
  diskCacheBytes: number;
  cacheHits: number;
  cacheMisses: number;
  objectGets: number;
  objectPuts: number;
  getBytes: number;
  putBytes: number;
  stagedBlocks: number;
  /** Blocks not written to the disk cache because its queue was full (JuiceFS's blockcache drops). */
  cacheDrops?: number;
  /** Object requests by method: how many and how long they took (failed ones included). */
  objectRequests: Readonly<Record<ObjectMethod, TimedCount>>;
  /** Object requests that failed (after the storage's own retries). */
  objectErrors: number;
  /** Bytes reads found in the caches (memory, staging, disk), and bytes they had to fetch. */
  cacheHitBytes: number;
  cacheMissBytes: number;
  /** Reads served by the disk cache (or staging), and how long they took. */
  diskCacheReads: TimedCount;
  /** Blocks written (or linked) into the disk cache, and how long each took from being handed over. */
  diskCacheWrites: TimedCount;
  diskCacheWriteBytes: number;
}

/**
 * The data layer: slices cut into blocks named and framed as JuiceFS does, with caches,
 * readahead and writeback. Knows nothing of inodes or files.
 */
/** Where a slice's blocks are cached (ChunkStore.checkCache). */
export interface CacheCheck {
  missBytes: number;
  /** Cached bytes by location. */
  locations: Record<string, number>;
}

/** How a slice's objects are written. */
export interface WriterOptions {
  /** The storage tier (JuiceFS 1.4, 0-3) of the file the slice belongs to; 0 or absent: the default tier. */
  tier?: number;
}

export interface ChunkStore {
  /** Block size in bytes (the volume's BlockSize × 1024). */
  readonly blockSize: number;
  newWriter(id: number, options?: WriterOptions): SliceWriter;
  newReader(id: number, length: number): SliceReader;
  /** Delete the objects of a slice. */
  remove(id: number, length: number): Promise<void>;
  /** Fetch the blocks of a slice into the cache (warmup). */
  fillCache(id: number, length: number): Promise<void>;
  /**
   * Optional: start loading the blocks holding [offset, offset+size) of slice `id` (of `length`
   * bytes) into memory, in the background, so that a read arriving soon after finds them there.
   * A hint: it may do nothing (no memory cache), and it never fails.
   */
  prefetch?(id: number, length: number, offset: number, size: number): void;
  evictCache(id: number, length: number): Promise<void>;
  /**
   * Optional: how much of a slice's blocks is cached, without fetching anything (warmup --check):
   * the bytes found in no cache, and the cached bytes by where they are (`memory`, a disk cache
   * directory, or the writeback staging area).
   */
  checkCache?(id: number, length: number): Promise<CacheCheck>;
  stats(): ChunkStoreStats;
  /** Wait for staged (writeback) uploads and stop background work. */
  close(): Promise<void>;
}
