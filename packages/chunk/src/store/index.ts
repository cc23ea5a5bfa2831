export * from './chunk-store.js';
export * from './options.js';
export { BufferBudget } from './buffer-budget.js';
export { BlockReader } from './reader.js';
export * from './upload-schedule.js';
