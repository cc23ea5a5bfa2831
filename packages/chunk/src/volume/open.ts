import { defaultStorageClass, tierStorageClass, tiersOf, type Format, type ObjectStorage } from '@juicefs/core';
import { createStorage } from '../object/create-storage.js';
import { withEncryption } from '../object/encrypted.js';
import { withPrefix } from '../object/prefix.js';
import { withRetry, type RetryOptions } from '../object/retry.js';
import { shardBuckets, withShards } from '../object/sharded.js';
import { takesStorageClass, type StorageExtras } from '../object/storage-options.js';
import { withBandwidthLimit, type BandwidthLimits } from '../object/bandwidth.js';
import { withTimeouts, type CallTimeouts } from '../object/timeout.js';
import { withConcurrencyLimits, type ConcurrencyLimits } from '../object/concurrency.js';
import type { ChunkStoreOptions } from '../store/options.js';

export interface VolumeStorageOptions {
  retry?: RetryOptions;
  /** Passphrase of a protected `EncryptKey` PEM (env `JFS_RSA_PASSPHRASE`). */
  passphrase?: string;
  /** Region and raw OpenDAL options for the bucket. */
  extras?: StorageExtras;
  /** Override `Bucket` (`juicefs mount --bucket`, e.g. an internal endpoint). */
  bucket?: string;
  /** `--upload-limit` / `--download-limit` in Mbps; default: the format's UploadLimit/DownloadLimit. */
  limits?: BandwidthLimits;
  /** `--get-timeout` / `--put-timeout`: the longest one call may take before it is retried. */
  timeouts?: CallTimeouts;
  /** `--max-downloads` / `--max-deletes`: calls of each kind in flight at once. */
  concurrency?: ConcurrencyLimits;
  /**
   * `--storage-class` for objects written; refused (EINVAL) by storages that cannot set one.
   * Absent: the format's StorageClass, where the storage can apply it.
   */
  storageClass?: string;
}

/**
 * The object storage of a volume, layered as JuiceFS layers it: the bucket (or its shards,
 * FORMAT.md 7.4) with any bandwidth limits, the `<Name>/` prefix, encryption when `EncryptKey` is set (7.3), and retries.
 * `format` must carry `SecretKey`, `SessionToken` and `EncryptKey` already decrypted (6.1).
 */
export function openVolumeStorage(format: Format, options: VolumeStorageOptions = {}): ObjectStorage {
  const extras: StorageExtras = { ...options.extras };
  if (format.SessionToken) extras.sessionToken = format.SessionToken;
  const storageClass = options.storageClass ?? (takesStorageClass(format.Storage || 'file') ? defaultStorageClass(format) : undefined);
  if (storageClass) extras.storageClass = storageClass;
  const bucket = options.bucket ?? format.Bucket;
  const open = (b: string): ObjectStorage => createStorage(format.Storage || 'file', b, format.AccessKey ?? '', format.SecretKey ?? '', extras);
  const shards = format.Shards ?? 0;
  const blob = shards > 1 ? withShards(shardBuckets(bucket, shards).map(open)) : open(bucket);
  const limits: BandwidthLimits = options.limits ?? {
    ...(format.UploadLimit ? { uploadMbps: format.UploadLimit } : {}),
    ...(format.DownloadLimit ? { downloadMbps: format.DownloadLimit } : {}),
  };
  // Limits count the bytes that travel, so they sit right on the bucket; timeouts bound the
  // call on the wire, not the wait for bandwidth.
  let storage = withPrefix(withBandwidthLimit(withTimeouts(blob, options.timeouts ?? {}), limits), `${format.Name}/`);
  if (format.EncryptKey) {
    storage = withEncryption(storage, {
      privateKeyPem: format.EncryptKey,
      ...(format.EncryptAlgo ? { algo: format.EncryptAlgo } : {}),
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
  }
  // Below the retries: a call waiting for its next attempt holds no download or delete slot.
  return withRetry(withConcurrencyLimits(storage, options.concurrency ?? {}), options.retry);
}

/** Chunk store options that follow from the format record; mount options are merged over them. */
export function chunkStoreOptionsFor(format: Format, mount: Partial<ChunkStoreOptions> = {}): ChunkStoreOptions {
  const tierClasses = tierClassesOf(format);
  const tierTags = tierTagsOf(format);
  return {
    ...(tierClasses !== undefined ? { tierClasses } : {}),
    ...(tierTags !== undefined ? { tierTags } : {}),
    ...mount,
    blockSize: format.BlockSize * 1024,
    compression: format.Compression || 'none',
    hashPrefix: format.HashPrefix ?? false,
    uuid: format.UUID,
    encrypted: !!format.EncryptKey,
  };
}

/**
 * The storage classes of tiers 1-3 (JuiceFS 1.4) where the storage can set one; tier 0's class is
 * the storage's own (openVolumeStorage). Undefined when no such tier has a class.
 */
export function tierClassesOf(format: Format): Record<number, string> | undefined {
  if (!takesStorageClass(format.Storage || 'file')) return undefined;
  const out: Record<number, string> = {};
  for (const t of Object.values(tiersOf(format))) if (t.ID !== 0 && tierStorageClass(t) !== '') out[t.ID] = tierStorageClass(t);
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The object tags of tiers 0-3 (JuiceFS 1.4) where the storage can set them (S3 and MinIO, as
 * for classes). Undefined when no tier has tags.
 */
export function tierTagsOf(format: Format): Record<number, string> | undefined {
  if (!takesStorageClass(format.Storage || 'file')) return undefined;
  const out: Record<number, string> = {};
  for (const t of Object.values(tiersOf(format))) if (t.Tag !== '') out[t.ID] = t.Tag;
  return Object.keys(out).length > 0 ? out : undefined;
}
