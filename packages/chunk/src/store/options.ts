/** Settings of a chunk store; byte sizes in bytes. Names follow the `juicefs mount` flags. */
export interface ChunkStoreOptions {
  /** Block size in bytes (the format's BlockSize × 1024). */
  blockSize: number;
  /** `none` (default), `lz4` or `zstd`, as the format's Compression. */
  compression?: string;
  /** The format's HashPrefix: the hashed object key layout. */
  hashPrefix?: boolean;
  /** Total write-buffer memory before writers wait (`--buffer-size`, default 300 MiB). */
  bufferSize?: number;
  /** Concurrent block uploads (`--max-uploads`, default 20). */
  maxUploads?: number;
  /** Bytes of blocks kept in memory (default 64 MiB; 0 disables). */
  memoryCacheSize?: number;
  /** Local block cache directory (`--cache-dir`); no disk cache without it. `memory` means
   *  no disk cache and a memory cache of `cacheSize` bytes, as JuiceFS reads it. */
  cacheDir?: string;
  /** Disk cache capacity (`--cache-size`, default 100 GiB). */
  cacheSize?: number;
  /** Minimum free fraction of the cache's file system (`--free-space-ratio`, default 0.1). */
  freeSpaceRatio?: number;
  /** Volume UUID: names the directory inside `cacheDir` (default "default"). */
  uuid?: string;
  /** Stage blocks on disk and upload them in the background (`--writeback`; needs `cacheDir`). */
  writeback?: boolean;
  /** Whole blocks fetched ahead of a sequential reader (default 1; 0 disables). */
  readahead?: number;
  /** Also keep blocks written (not only read) in the disk cache (`--cache-large-write`). */
  cacheWrites?: boolean;
  /** The storage encrypts objects (`withEncryption`): blocks are always fetched whole. */
  encrypted?: boolean;
}

export interface ResolvedOptions {
  blockSize: number;
  compression: string;
  hashPrefix: boolean;
  bufferSize: number;
  maxUploads: number;
  memoryCacheSize: number;
  cacheDir: string | undefined;
  cacheSize: number;
  freeSpaceRatio: number;
  uuid: string;
  writeback: boolean;
  readahead: number;
  cacheWrites: boolean;
  encrypted: boolean;
}

export const MiB = 1 << 20;
/** A chunk: no slice is longer (FORMAT.md 1). */
export const CHUNK_SIZE = 64 * MiB;

export function resolveOptions(o: ChunkStoreOptions): ResolvedOptions {
  const inMemory = o.cacheDir === 'memory';
  return {
    blockSize: o.blockSize,
    compression: o.compression ?? 'none',
    hashPrefix: o.hashPrefix ?? false,
    bufferSize: o.bufferSize ?? 300 * MiB,
    maxUploads: Math.max(1, o.maxUploads ?? 20),
    memoryCacheSize: inMemory ? (o.cacheSize ?? o.memoryCacheSize ?? 64 * MiB) : (o.memoryCacheSize ?? 64 * MiB),
    cacheDir: inMemory ? undefined : o.cacheDir,
    cacheSize: o.cacheSize ?? 100 * 1024 * MiB,
    freeSpaceRatio: o.freeSpaceRatio ?? 0.1,
    uuid: o.uuid ?? 'default',
    writeback: o.writeback ?? false,
    readahead: Math.max(0, o.readahead ?? 1),
    cacheWrites: o.cacheWrites ?? false,
    encrypted: o.encrypted ?? false,
  };
}
