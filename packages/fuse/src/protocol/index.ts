// The FUSE kernel protocol: byte layouts and codecs, no file system knowledge.
export * from './opcodes.js';
export * from './constants.js';
export * from './wire.js';
export * from './header.js';
export * from './attr.js';
export * from './requests.js';
export * from './replies.js';
export * from './dirent.js';
