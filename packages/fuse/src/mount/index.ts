// Mounting: attach a FuseHandler to a directory through /dev/fuse and mount(8).
export * from './mountpoint.js';
export * from './options.js';
export * from './mount.js';
export * from './readahead.js';
export * from './run.js';
