import type { Ino } from '@juicefs/core';

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
