export { BaseMeta } from './base-meta.js';
export type { EngineFactory, EngineStore, SessionRow, TxStore } from './store.js';
export { trashEntryName, trashHourName } from './trash.js';
export { applyLock } from './plock-ranges.js';
export { INODE_BATCH, SLICE_BATCH } from './alloc.js';
