// Mounting: attach a FuseHandler to a directory through /dev/fuse and mount(8), or through
// fusermount3 without root (fusermount.ts).
export * from './mountpoint.js';
export * from './options.js';
export * from './mount.js';
export * from './readahead.js';
export * from './run.js';
export * from './fusermount.js';
