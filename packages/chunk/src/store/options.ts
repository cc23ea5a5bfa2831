import { expandCacheDirs } from '../cache/cache-dirs.js';
import type { ChecksumLevel } from '../cache/block-file.js';
import type { CacheEviction } from '../cache/eviction.js';

/** Settings of a chunk store; byte sizes in bytes. Names follow the `juicefs mount` flags. */
export interface ChunkStoreOptions {
  /**
   * Storage classes of the volume's tiers 1-3 by id (the format's `Tiers`): objects of slices
   * written for a file in such a tier are put with that class. Tier 0's class is the storage's own.
   */
  tierClasses?: Record<number, string>;
  /**
   * Object tags of the volume's tiers 0-3 by id (`k=v&k2=v2`, the format's `Tiers`): objects of
   * slices written for a file in such a tier are put with those tags (S3-style storage only).
   */
  tierTags?: Record<number, string>;
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
  /**
   * Local block cache directory (`--cache-dir`); no disk cache without it. As JuiceFS reads it:
   * `memory` means no disk cache and a memory cache of `cacheSize` bytes; `a:b` is a list of
   * directories sharing the blocks (and `cacheSize`), and an entry may be a glob pattern
   * (`/mnt/disk*`) standing for the directories it matches.
   */
  cacheDir?: string;
  /** Disk cache capacity (`--cache-size`, default 100 GiB), split evenly between the directories. */
  cacheSize?: number;
  /** Minimum free fraction of the cache's file system (`--free-space-ratio`, default 0.1). */
  freeSpaceRatio?: number;
  /** Volume UUID: names the directory inside `cacheDir` (default "default"). */
  uuid?: string;
  /** Stage blocks on disk and upload them in the background (`--writeback`; needs `cacheDir`). */
  writeback?: boolean;
  /**
   * Whole blocks fetched ahead of a sequential reader, in parallel (0 disables). Default:
   * adaptive, the window doubling with each sequential read of a slice up to a quarter of
   * `bufferSize` (and half the memory cache when there is no disk cache), at most 8 blocks:
   * in the bench, more in flight only delayed the block the reader was waiting for.
   * A number given is a fixed window, still bounded by a quarter of `bufferSize`.
   */
  readahead?: number;
  /** Also keep blocks written (not only read) in the disk cache (`--cache-large-write`). */
  cacheWrites?: boolean;
  /** The storage encrypts objects (`withEncryption`): blocks are always fetched whole. */
  encrypted?: boolean;
  /** File mode of cached (and staged) blocks (`--cache-mode`, default 0o600). */
  cacheMode?: number;
  /** Most blocks in the disk cache (`--cache-items`, default 0: no bound but `cacheSize`). */
  cacheItems?: number;
  /** `--cache-eviction`: `2-random` (default), `lru` or `none` (a full cache takes no more). */
  cacheEviction?: CacheEviction;
  /** Cached blocks unused for this many seconds are removed (`--cache-expire`, default 0: never). */
  cacheExpire?: number;
  /** Seconds between scans of the cache directory (`--cache-scan-interval`, default 3600; 0: only on start). */
  cacheScanInterval?: number;
  /** Full blocks read are not put in the disk cache, only shorter ones (`--cache-partial-only`). */
  cachePartialOnly?: boolean;
  /** `--verify-cache-checksum` (default `extend`): checksums written with cached blocks and checked on reads. */
  verifyCacheChecksum?: ChecksumLevel;
  /** `--upload-delay` in ms: with writeback, a staged block waits this long before it is uploaded. */
  uploadDelayMs?: number;
  /** `--upload-hours`: with writeback, staged blocks are uploaded only within these hours. */
  uploadHours?: UploadHours;
  /**
   * `--writeback-threshold-size` in bytes: with writeback, only blocks smaller than this are
   * staged; larger ones are uploaded before the write returns. 0 or absent: every block is staged
   * (JuiceFS turns 0 into block size + 1).
   */
  writebackThresholdSize?: number;
  /** Told about trouble met while running (a cache directory given up), for the caller's log. */
  onWarning?: (message: string) => void;
  /**
   * `--max-stage-write`: staged-file writes at once; a block that finds them all busy is uploaded
   * directly instead (JuiceFS's default 1000; 0: no bound).
   */
  maxStageWrite?: number;
}

export interface ResolvedOptions {
  tierClasses: Record<number, string>;
  tierTags: Record<number, string>;
  blockSize: number;
  compression: string;
  hashPrefix: boolean;
  bufferSize: number;
  maxUploads: number;
  memoryCacheSize: number;
  /** The `--cache-dir` as given; undefined without a disk cache. */
  cacheDir: string | undefined;
  /** The directories it names, expanded and sorted (cache-dirs.ts); empty without a disk cache. */
  cacheDirs: string[];
  /** Warnings about the settings, for the caller to log (JuiceFS logs them at start). */
  notices: string[];
  cacheSize: number;
  freeSpaceRatio: number;
  uuid: string;
  writeback: boolean;
  /** The readahead window in blocks (its largest size when `adaptiveReadahead`). */
  readahead: number;
  adaptiveReadahead: boolean;
  cacheWrites: boolean;
  encrypted: boolean;
  cacheMode: number;
  cacheItems: number;
  cacheEviction: CacheEviction;
  /** Seconds. */
  cacheExpire: number;
  /** Seconds. */
  cacheScanInterval: number;
  cachePartialOnly: boolean;
  verifyCacheChecksum: ChecksumLevel;
  uploadDelayMs: number;
  uploadHours: UploadHours | undefined;
  /** Blocks shorter than this are staged (writeback only). */
  writebackThreshold: number;
  /** 0: no bound. */
  maxStageWrite: number;
}

import type { UploadHours } from './upload-schedule.js';

export const MiB = 1 << 20;
/** A chunk: no slice is longer (FORMAT.md 1). */
export const CHUNK_SIZE = 64 * MiB;

/** Most blocks a default (adaptive) readahead window grows to. */
const MAX_ADAPTIVE_READAHEAD = 8;

export function resolveOptions(o: ChunkStoreOptions): ResolvedOptions {
  const notices: string[] = [];
  const cacheDirs = o.cacheDir === undefined || o.cacheDir === 'memory' ? [] : expandCacheDirs(o.cacheDir);
  // As JuiceFS: patterns that match nothing leave a 100 MiB memory cache, said out loud.
  const noneMatched = o.cacheDir !== undefined && o.cacheDir !== 'memory' && cacheDirs.length === 0;
  if (noneMatched) notices.push(`cache directory ${o.cacheDir} names no directory (its patterns match none); blocks are cached in memory only (100 MiB)`);
  const memoryCacheSize = noneMatched ? 100 * MiB : o.cacheDir === 'memory' ? (o.cacheSize ?? o.memoryCacheSize ?? 64 * MiB) : (o.memoryCacheSize ?? 64 * MiB);
  const bufferSize = o.bufferSize ?? 300 * MiB;
  const diskCache = cacheDirs.length > 0 && (o.cacheSize ?? 1) > 0;
  return {
    tierClasses: o.tierClasses ?? {},
    tierTags: o.tierTags ?? {},
    blockSize: o.blockSize,
    compression: o.compression ?? 'none',
    hashPrefix: o.hashPrefix ?? false,
    bufferSize,
    maxUploads: Math.max(1, o.maxUploads ?? 20),
    memoryCacheSize,
    cacheDir: cacheDirs.length > 0 ? o.cacheDir : undefined,
    cacheDirs,
    notices,
    cacheSize: o.cacheSize ?? 100 * 1024 * MiB,
    freeSpaceRatio: o.freeSpaceRatio ?? 0.1,
    uuid: o.uuid ?? 'default',
    writeback: o.writeback ?? false,
    readahead: readaheadWindow(o.readahead, o.blockSize, bufferSize, diskCache ? 0 : memoryCacheSize),
    adaptiveReadahead: o.readahead === undefined,
    cacheWrites: o.cacheWrites ?? false,
    encrypted: o.encrypted ?? false,
    cacheMode: o.cacheMode ?? 0o600,
    cacheItems: Math.max(0, Math.floor(o.cacheItems ?? 0)),
    cacheEviction: o.cacheEviction ?? '2-random',
    // JuiceFS raises an expiry under a second to one second.
    cacheExpire: (o.cacheExpire ?? 0) > 0 ? Math.max(1, o.cacheExpire!) : 0,
    cacheScanInterval: Math.max(0, o.cacheScanInterval ?? 3600),
    cachePartialOnly: o.cachePartialOnly ?? false,
    verifyCacheChecksum: o.verifyCacheChecksum ?? 'extend',
    uploadDelayMs: Math.max(0, o.uploadDelayMs ?? 0),
    uploadHours: o.uploadHours,
    writebackThreshold: o.writebackThresholdSize && o.writebackThresholdSize > 0 ? o.writebackThresholdSize : o.blockSize + 1,
    maxStageWrite: Math.max(0, o.maxStageWrite ?? 1000),
  };
}

/**
 * The readahead window in blocks. Prefetched blocks wait in memory (or the disk cache) until
 * read, so the window stays within a quarter of the buffer (BEHAVIOUR.md: ¼–½ of
 * `--buffer-size`) and, with only a memory cache, within half of it: a larger window would
 * evict blocks before the reader gets to them.
 */
function readaheadWindow(asked: number | undefined, blockSize: number, bufferSize: number, memoryOnly: number): number {
  if (asked !== undefined && asked <= 0) return 0;
  const byBuffer = Math.max(1, Math.floor(bufferSize / 4 / blockSize));
  if (asked !== undefined) return Math.min(Math.floor(asked), byBuffer);
  const byMemory = memoryOnly > 0 ? Math.max(1, Math.floor(memoryOnly / 2 / blockSize)) : byBuffer;
  return Math.min(MAX_ADAPTIVE_READAHEAD, byBuffer, byMemory);
}
