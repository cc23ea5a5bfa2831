import type { Format, ObjectStorage } from '@juicefs/core';
import { createStorage } from '../object/create-storage.js';
import { withEncryption } from '../object/encrypted.js';
import { withPrefix } from '../object/prefix.js';
import { withRetry, type RetryOptions } from '../object/retry.js';
import { shardBuckets, withShards } from '../object/sharded.js';
import type { StorageExtras } from '../object/storage-options.js';
import { withBandwidthLimit, type BandwidthLimits } from '../object/bandwidth.js';
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
}

/**
 * The object storage of a volume, layered as JuiceFS layers it: the bucket (or its shards,
 * FORMAT.md 7.4) with any bandwidth limits, the `<Name>/` prefix, encryption when `EncryptKey` is set (7.3), and retries.
 * `format` must carry `SecretKey`, `SessionToken` and `EncryptKey` already decrypted (6.1).
 */
export function openVolumeStorage(format: Format, options: VolumeStorageOptions = {}): ObjectStorage {
  const extras: StorageExtras = { ...options.extras };
  if (format.SessionToken) extras.sessionToken = format.SessionToken;
  const bucket = options.bucket ?? format.Bucket;
  const open = (b: string): ObjectStorage => createStorage(format.Storage || 'file', b, format.AccessKey ?? '', format.SecretKey ?? '', extras);
  const shards = format.Shards ?? 0;
  const blob = shards > 1 ? withShards(shardBuckets(bucket, shards).map(open)) : open(bucket);
  const limits: BandwidthLimits = options.limits ?? {
    ...(format.UploadLimit ? { uploadMbps: format.UploadLimit } : {}),
    ...(format.DownloadLimit ? { downloadMbps: format.DownloadLimit } : {}),
  };
  // Limits count the bytes that travel, so they sit right on the bucket.
  let storage = withPrefix(withBandwidthLimit(blob, limits), `${format.Name}/`);
  if (format.EncryptKey) {
    storage = withEncryption(storage, {
      privateKeyPem: format.EncryptKey,
      ...(format.EncryptAlgo ? { algo: format.EncryptAlgo } : {}),
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
  }
  return withRetry(storage, options.retry);
}

/** Chunk store options that follow from the format record; mount options are merged over them. */
export function chunkStoreOptionsFor(format: Format, mount: Partial<ChunkStoreOptions> = {}): ChunkStoreOptions {
  return {
    ...mount,
    blockSize: format.BlockSize * 1024,
    compression: format.Compression || 'none',
    hashPrefix: format.HashPrefix ?? false,
    uuid: format.UUID,
    encrypted: !!format.EncryptKey,
  };
}
