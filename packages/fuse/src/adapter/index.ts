export * from './convert.js';
export * from './groups.js';
export * from './vfs-handler.js';
