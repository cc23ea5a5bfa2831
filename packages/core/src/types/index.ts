export * from './inode.js';
export * from './attr.js';
export * from './context.js';
export * from './slice.js';
export * from './format.js';
export * from './session.js';
