export * from './meta.js';
export * from './rooted.js';
