export * from './create-storage.js';
export * from './storage-options.js';
export * from './opendal-storage.js';
export * from './retry.js';
export * from './prefix.js';
export * from './faulty.js';
export * from './errors.js';
export { createS3Bucket } from './s3-create-bucket.js';
export * from './sharded.js';
