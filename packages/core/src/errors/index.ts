export * from './errno.js';
export * from './fs-error.js';
