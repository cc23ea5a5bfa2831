export * from './convert.js';
export * from './vfs-handler.js';
