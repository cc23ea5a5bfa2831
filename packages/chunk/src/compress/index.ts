export * from './codec.js';
export * from './zstd-header.js';
