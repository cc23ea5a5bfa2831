import { fsError } from '@juicefs/core';
import type { DirQuota, OwnerKind, OwnerQuotaDelta } from './quota-store.js';
import type { MetaState } from './state.js';

// User and group quotas, as JuiceFS 1.4 keeps them (pkg/meta/quota.go): once the format's
// UserGroupQuota flag is on, every client counts the space and inodes of the nodes it creates,
// grows, shrinks, removes or chowns toward their owner's uid and gid, for every owner (not only
// those with a limit), and flushes and reloads those figures with the directory quotas. A limit
// of 0 or -1 is unlimited; -1/-1 marks an owner that is tracked but has no quota.

/** An owner's quota as this client knows it: the stored figures plus its own unflushed increments. */
export interface CachedOwnerQuota extends DirQuota {
  newSpace: number;
  newInodes: number;
}

/** A committed change of one node's usage, charged to its owner and its group. */
export interface OwnerDelta {
  uid: number;
  gid: number;
  space: number;
  inodes: number;
}

export const NO_LIMITS = { maxSpace: -1, maxInodes: -1 } as const;

export function ownerQuotasEnabled(m: MetaState): boolean {
  return m.format?.UserGroupQuota === true && m.store.userGroupQuotas !== undefined;
}

export function ownerMap(m: MetaState, kind: OwnerKind): Map<number, CachedOwnerQuota> {
  return kind === 'user' ? m.quotas.users : m.quotas.groups;
}

function exceeds(q: CachedOwnerQuota, space: number, inodes: number): 'space' | 'inodes' | undefined {
  if (space > 0 && q.maxSpace > 0 && q.usedSpace + q.newSpace + space > q.maxSpace) return 'space';
  if (inodes > 0 && q.maxInodes > 0 && q.usedInodes + q.newInodes + inodes > q.maxInodes) return 'inodes';
  return undefined;
}

/**
 * Refuse growth past the quota of user `owner.uid` or group `owner.gid` (EDQUOT). Root is not
 * exempt, as in Go's checkQuota. A side left undefined is not checked (chown of one side only).
 */
export function checkOwnerQuotas(m: MetaState, owner: { uid?: number | undefined; gid?: number | undefined }, space: number, inodes: number): void {
  if (!ownerQuotasEnabled(m) || (space <= 0 && inodes <= 0)) return;
  for (const [kind, id, flag] of [['user', owner.uid, '--uid'], ['group', owner.gid, '--gid']] as const) {
    if (id === undefined) continue;
    const q = ownerMap(m, kind).get(id);
    const what = q && exceeds(q, space, inodes);
    if (!q || !what) continue;
    const limit = what === 'space' ? `its limit of ${q.maxSpace} bytes` : `its limit of ${q.maxInodes} inodes`;
    throw fsError('EDQUOT', `the quota of ${kind} ${id} is reached (${limit}): free some, or raise it with juicefs quota set ${flag} ${id}`);
  }
}

function addTo(m: MetaState, kind: OwnerKind, id: number, space: number, inodes: number): void {
  const map = ownerMap(m, kind);
  const q = map.get(id);
  if (q) {
    q.newSpace += space;
    q.newInodes += inodes;
  } else {
    // An owner seen for the first time: tracked without limits until someone sets one.
    map.set(id, { ...NO_LIMITS, usedSpace: 0, usedInodes: 0, newSpace: space, newInodes: inodes });
  }
}

/** Count committed changes toward their owners (after the commit, as directory quotas are). */
export function applyOwnerDeltas(m: MetaState, deltas: readonly OwnerDelta[]): void {
  if (!ownerQuotasEnabled(m)) return;
  for (const d of deltas) {
    if (d.space === 0 && d.inodes === 0) continue;
    addTo(m, 'user', d.uid, d.space, d.inodes);
    addTo(m, 'group', d.gid, d.space, d.inodes);
  }
}

/** Write this client's owner increments (HINCRBY / UPDATE … + ?), then count them as stored. */
export async function flushOwnerQuotas(m: MetaState): Promise<void> {
  const store = m.store.userGroupQuotas;
  if (!store) return;
  for (const kind of ['user', 'group'] as const) {
    const map = ownerMap(m, kind);
    const deltas: OwnerQuotaDelta[] = [];
    for (const [id, q] of map) if (q.newSpace !== 0 || q.newInodes !== 0) deltas.push({ id, space: q.newSpace, inodes: q.newInodes });
    if (deltas.length === 0) continue;
    await store.addUsage(kind, deltas);
    for (const d of deltas) {
      const q = map.get(d.id);
      if (!q) continue;
      q.newSpace -= d.space;
      q.usedSpace += d.space;
      q.newInodes -= d.inodes;
      q.usedInodes += d.inodes;
    }
  }
}

/** Reload every owner's limits and flushed usage; keeps this client's unflushed increments. */
export async function loadOwnerQuotas(m: MetaState): Promise<void> {
  const store = m.store.userGroupQuotas;
  if (!store || !ownerQuotasEnabled(m)) {
    m.quotas.users.clear();
    m.quotas.groups.clear();
    return;
  }
  for (const kind of ['user', 'group'] as const) {
    const map = ownerMap(m, kind);
    const loaded = await store.loadAll(kind);
    for (const [id, q] of loaded) {
      const cached = map.get(id);
      if (cached) Object.assign(cached, q);
      else map.set(id, { ...q, newSpace: 0, newInodes: 0 });
    }
    // Gone from the store (a repair cleared it): what is left is only this client's increments.
    for (const [id, q] of map) if (!loaded.has(id)) Object.assign(q, NO_LIMITS, { usedSpace: 0, usedInodes: 0 });
  }
}
