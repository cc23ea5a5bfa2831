import type { Ino } from '@juicefs/core';
import type { AclRule, QuotaLimits } from './model.js';

/**
 * What dump and load need beyond the `EngineStore` primitives: ACL rules and quotas. Engines that
 * keep them implement this (it is passed to `dumpMeta`/`loadMeta` by the caller); without it a dump
 * leaves quotas and ACLs out and a load reports what it could not restore (`LoadResult.skipped`).
 */
export interface DumpExtras {
  /** Directory quotas (Redis `dirQuota`, SQL `jfs_dir_quota`). */
  listDirQuotas(): Promise<Array<{ ino: Ino; limits: QuotaLimits }>>;
  /** User (`user`) or group (`group`) quotas. */
  listUserGroupQuotas(kind: 'user' | 'group'): Promise<Array<{ id: number; limits: QuotaLimits }>>;
  /** The ACL rule with this id, or undefined when there is none. */
  getAclRule(id: number): Promise<AclRule | undefined>;
}

export interface LoadExtras {
  /** Store a quota with its usage (load recomputes usage from the tree). */
  setDirQuota(ino: Ino, limits: QuotaLimits, used: { space: number; inodes: number }): Promise<void>;
  setUserGroupQuota(
    kind: 'user' | 'group',
    id: number,
    limits: QuotaLimits,
    used: { space: number; inodes: number },
  ): Promise<void>;
  /** Store an ACL rule and return its id; identical rules may share one id. */
  putAclRule(rule: AclRule): Promise<number>;
}
