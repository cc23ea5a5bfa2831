export { dumpMeta } from './dump.js';
export type { DumpOptions } from './dump.js';
export { loadMeta } from './load.js';
export type { LoadOptions, LoadResult } from './load.js';
export type { DumpExtras, LoadExtras } from './extras.js';
export type { AclRule, QuotaLimits } from './model.js';
export type { DumpCounters } from './counters.js';
export { readCounters } from './counters.js';
export { escapeBytes, unescapeBytes } from './escape.js';
