import type { ObjectStorage, PutOptions } from '@juicefs/core';
import { OpendalStorage } from './opendal-storage.js';
import { FileStorage } from './file-storage.js';
import { createS3Bucket } from './s3-create-bucket.js';
import { putS3Object, restoreS3Object } from './s3-request.js';
import { storageTarget, type StorageExtras } from './storage-options.js';

/**
 * Opens an object store named as `juicefs format` names it: `--storage type --bucket bucket
 * --access-key ak --secret-key sk`. The result has no retry and no volume prefix: wrap it in
 * `withRetry` and `withPrefix(storage, name + '/')` for a volume. `file` is served by node:fs
 * (faster than OpenDAL's fs service here) unless `engine: 'opendal'` or OpenDAL options are given.
 */
export function createStorage(type: string, bucket: string, accessKey = '', secretKey = '', options: StorageExtras = {}): ObjectStorage {
  const target = storageTarget(type, bucket, accessKey, secretKey, options);
  const native = target.scheme === 'fs' && options.engine !== 'opendal' && options.opendal === undefined;
  const root = target.options.root;
  if (native && root !== undefined) return new FileStorage(root);
  const s3 = target.s3Bucket;
  const creds = { accessKey, secretKey, ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}) };
  // Keys of the calls made beside OpenDAL start below the bucket URL's path, as OpenDAL's do.
  const under = (target.options.root ?? '/').replace(/^\/+|\/+$/g, '');
  const inBucket = (key: string) => (under === '' ? key : `${under}/${key}`);
  return new OpendalStorage({
    scheme: target.scheme,
    options: target.options,
    description: target.description,
    ...(s3
      ? {
          createBucket: () => createS3Bucket({ ...s3, ...creds }),
          restore: (key: string) => restoreS3Object({ ...s3, ...creds }, inBucket(key)),
          putTagged: (key: string, data: Buffer, o: PutOptions) => putS3Object({ ...s3, ...creds }, inBucket(key), data, o),
        }
      : {}),
  });
}
