export * from './protocol/index.js';
export * from './server/index.js';
export * from './mount/index.js';
export * from './adapter/index.js';
