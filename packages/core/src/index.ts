export * from './errors/index.js';
export * from './types/index.js';
export * from './meta/index.js';
export * from './object/index.js';
export * from './chunk/index.js';
export * from './vfs/index.js';
export * from './fs/index.js';
