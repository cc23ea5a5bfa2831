// User and group quotas (JuiceFS 1.4, `juicefs quota … --uid/--gid`): the part of the Meta
// contract through which they are administered. Enforcement needs nothing new: an operation that
// would take a node's owner or group past its limit fails with EDQUOT.

/** Whose usage a quota limits: nodes owned by a uid ('user') or a gid ('group'). */
export type OwnerKind = 'user' | 'group';

/** Limits (0 or -1 unlimited; both -1: tracked, no quota) and the usage stored with them. */
export interface OwnerQuota {
  maxSpace: number;
  maxInodes: number;
  usedSpace: number;
  usedInodes: number;
}

/** One owner's stored usage compared with a recount of the tree. */
export interface OwnerQuotaCheck {
  kind: OwnerKind;
  id: number;
  /** The stored entry, if any. */
  quota: OwnerQuota | undefined;
  actual: { space: number; inodes: number };
  consistent: boolean;
}

export interface OwnerQuotaAdmin {
  /**
   * Set the limits of user/group `id` (an omitted one keeps its value; 0 = unlimited). The first
   * quota of a volume turns on the format's UserGroupQuota and counts every owner's usage.
   */
  set(kind: OwnerKind, id: number, limits: { maxSpace?: number; maxInodes?: number }): Promise<{ created: boolean; quota: OwnerQuota }>;
  /** The stored entry, this client's own counts flushed first. */
  get(kind: OwnerKind, id: number): Promise<OwnerQuota | undefined>;
  /** Remove the limits (usage stays tracked); false when there were none. */
  delete(kind: OwnerKind, id: number): Promise<boolean>;
  /** The entries with limits, by id. */
  list(kind: OwnerKind): Promise<Map<number, OwnerQuota>>;
  /** Recount every user's and group's usage from the tree; `repair` stores the recount. */
  check(options?: { repair?: boolean }): Promise<{ checks: OwnerQuotaCheck[]; repaired: boolean }>;
}
