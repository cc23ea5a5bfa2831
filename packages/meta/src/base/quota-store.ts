import type { Ino, OwnerKind } from '@juicefs/core';

/**
 * A directory quota as stored (FORMAT.md 3.4 / 5.3): limits, 0 meaning unlimited, and the usage
 * of everything below the directory (not the directory itself), which clients keep up to date.
 */
export interface DirQuota {
  maxSpace: number;
  maxInodes: number;
  usedSpace: number;
  usedInodes: number;
}

/** A change of one quota's usage, as clients flush it. */
export interface DirQuotaDelta {
  ino: Ino;
  space: number;
  inodes: number;
}

/**
 * Where an engine keeps directory quotas: Redis `dirQuota` (16-byte limit pairs) with
 * `dirQuotaUsedSpace`/`dirQuotaUsedInodes`; SQL `jfs_dir_quota`. Usage only ever changes by
 * increments (`addUsage`), so clients flushing at the same time never overwrite each other.
 */
export interface DirQuotaStore {
  loadAll(): Promise<Map<Ino, DirQuota>>;
  get(ino: Ino): Promise<DirQuota | undefined>;
  /**
   * Create or change a quota's limits; `used` replaces its usage, otherwise an existing quota
   * keeps its usage (a new one starts at 0). Returns whether the quota is new.
   */
  set(ino: Ino, limits: { maxSpace: number; maxInodes: number }, used?: { space: number; inodes: number }): Promise<boolean>;
  /** Returns whether there was a quota to delete. */
  delete(ino: Ino): Promise<boolean>;
  addUsage(deltas: readonly DirQuotaDelta[]): Promise<void>;
}

/** Whose usage a user/group quota limits: the owner (uid) or the owning group (gid) of nodes. */
export type { OwnerKind };

/** A change of one user's or group's usage, as clients flush it. */
export interface OwnerQuotaDelta {
  id: number;
  space: number;
  inodes: number;
}

/**
 * Where an engine keeps user and group quotas (JuiceFS 1.4, FORMAT.md 3.4 / 5.3): Redis
 * `userQuota`/`groupQuota` (16-byte limit pairs) with their `…UsedSpace`/`…UsedInodes` hashes;
 * SQL `jfs_user_group_quota` (qtype 1 = user, 2 = group). Unlike directory quotas, an entry
 * exists for every owner with usage, limits -1/-1 meaning "no quota": usage is tracked for all
 * owners so that a quota set later starts from the right figure.
 */
export interface UserGroupQuotaStore {
  loadAll(kind: OwnerKind): Promise<Map<number, DirQuota>>;
  get(kind: OwnerKind, id: number): Promise<DirQuota | undefined>;
  /**
   * Create or change an entry's limits; `used` replaces its usage, otherwise an existing entry
   * keeps its usage (a new one starts at 0). Returns whether the entry is new.
   */
  set(kind: OwnerKind, id: number, limits: { maxSpace: number; maxInodes: number }, used?: { space: number; inodes: number }): Promise<boolean>;
  /** Add usage increments; an owner without an entry gets one with limits -1/-1. */
  addUsage(kind: OwnerKind, deltas: readonly OwnerQuotaDelta[]): Promise<void>;
  /** Every entry's usage back to 0 (before a recount is written, as Go's repair does). */
  clearUsage(kind: OwnerKind): Promise<void>;
}
