export { BaseMeta } from './base/index.js';
export { volumeTotals } from './base/stats.js';
export { checkDirectory, type DirCheck, type DirCheckOptions } from './base/check-dir.js';
export type { EngineFactory, EngineStore, SessionRow, TxStore } from './base/index.js';
export type { DirQuota, DirQuotaDelta, DirQuotaStore, OwnerKind, UserGroupQuotaStore } from './base/quota-store.js';
export type { OwnerCheck } from './base/owner-quota-admin.js';
export {
  DEFAULT_CHANGELOG_MAX_AGE,
  escapeChangeLogBytes,
  parseChangeLogLine,
  unescapeChangeLogBytes,
  type ChangeLogEntry,
  type ChangeLogStore,
  type ParsedChangeLogLine,
} from './base/changelog.js';
export { createMemoryEngine, MemoryEngine, MemoryVolumeState } from './memory/index.js';
export { openEngine, openMeta, metaScheme, type OpenMetaOptions } from './open.js';
export * from './dump/index.js';
