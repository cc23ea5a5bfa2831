export * from './memory-cache.js';
export * from './disk-cache.js';
export * from './staging.js';
export * from './block-file.js';
export * from './eviction.js';
export { crc32c } from './crc32c.js';
