export * from './meta.js';
export * from './rooted.js';
export * from './owner-quota.js';
