import { decodeFormat, encodeFormat, fsError, ROOT_INODE, TRASH_INODE, type Ino, type OwnerQuotaCheck } from '@juicefs/core';
import type { DirQuota, OwnerKind, UserGroupQuotaStore } from './quota-store.js';
import { NO_LIMITS } from './owner-quota.js';
import { flushQuotas, loadQuotas, walkEntries } from './quota.js';
import type { MetaState } from './state.js';
import type { TxStore } from './store.js';
import { spaceOf } from './tx-util.js';

// juicefs quota … --uid / --gid (JuiceFS 1.4's HandleQuota for user and group quotas).

/** Space and inodes by owner. */
export type OwnerUsage = Map<number, { space: number; inodes: number }>;

function storeOf(m: MetaState): UserGroupQuotaStore {
  const s = m.store.userGroupQuotas;
  if (!s) throw fsError('ENOTSUP', `the ${m.store.name} engine keeps no user or group quotas`);
  return s;
}

function checkId(kind: OwnerKind, id: number): void {
  if (!Number.isSafeInteger(id) || id < 0 || id > 0xffffffff) throw fsError('EINVAL', `invalid ${kind} id ${id}: use a whole number from 0 to 4294967295`);
}

/** A stored entry is a quota unless both limits are -1 (tracked usage only, or deleted). */
function isQuota(q: DirQuota): boolean {
  return !(q.maxSpace === -1 && q.maxInodes === -1);
}

/**
 * Recount every owner's usage from the tree (Go's scanGlobalUserGroupUsage): everything below
 * the root and the trash, each node once however many links it has, charged as clients charge
 * it (4 KiB-aligned length for files, 4 KiB otherwise, one inode). The root and the trash
 * directory themselves are not counted.
 */
export async function scanOwnerUsage(m: MetaState): Promise<{ user: OwnerUsage; group: OwnerUsage }> {
  const usage = { user: new Map(), group: new Map() } as { user: OwnerUsage; group: OwnerUsage };
  const add = (map: OwnerUsage, id: number, space: number) => {
    const u = map.get(id) ?? { space: 0, inodes: 0 };
    u.space += space;
    u.inodes += 1;
    map.set(id, u);
  };
  const seen = new Set<Ino>();
  await m.store.txn((tx: TxStore) =>
    walkEntries(tx, [ROOT_INODE, TRASH_INODE], (e, a) => {
      // Each node once, however many links it has; a directory reached twice is not walked twice
      // either (only one entry names a directory).
      if (!a || seen.has(e.ino)) return;
      seen.add(e.ino);
      add(usage.user, a.uid, spaceOf(a));
      add(usage.group, a.gid, spaceOf(a));
    }),
  );
  return usage;
}

/** Store recounted usage: every entry of `kind` to 0, then the recount (limits kept). */
async function storeUsage(s: UserGroupQuotaStore, kind: OwnerKind, usage: OwnerUsage): Promise<void> {
  const stored = await s.loadAll(kind);
  await s.clearUsage(kind);
  for (const [id, u] of usage) {
    const old = stored.get(id);
    await s.set(kind, id, old ? { maxSpace: old.maxSpace, maxInodes: old.maxInodes } : NO_LIMITS, u);
  }
}

/** Turn on the format's UserGroupQuota and store every owner's usage counted from the tree. */
export async function enableOwnerQuotas(m: MetaState): Promise<void> {
  const raw = await m.store.getFormat();
  if (raw === undefined) throw fsError('ENOENT', 'volume is not formatted: run `juicefs format` first');
  const format = decodeFormat(raw);
  if (!format.UserGroupQuota) await m.store.setFormat(encodeFormat({ ...format, UserGroupQuota: true }));
  // Counting starts now on this client; the recount below gives the starting figures.
  m.format = { ...(m.format ?? format), UserGroupQuota: true };
  const s = storeOf(m);
  // Entries left from before the flag was last off are stale, limits too: Go's doInit drops them.
  for (const kind of ['user', 'group'] as const) {
    for (const id of (await s.loadAll(kind)).keys()) await s.set(kind, id, NO_LIMITS, { space: 0, inodes: 0 });
  }
  const usage = await scanOwnerUsage(m);
  for (const kind of ['user', 'group'] as const) await storeUsage(s, kind, usage[kind]);
}

/**
 * Set the limits of user or group `id` (an omitted one keeps its value; 0 = unlimited). The
 * first user/group quota of a volume turns on UserGroupQuota and counts everyone's usage.
 */
export async function setOwnerQuota(
  m: MetaState,
  kind: OwnerKind,
  id: number,
  limits: { maxSpace?: number; maxInodes?: number },
): Promise<{ created: boolean; quota: DirQuota }> {
  checkId(kind, id);
  for (const [name, v] of Object.entries(limits)) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw fsError('EINVAL', `invalid quota ${name} ${v}: use a whole number, 0 for unlimited`);
  }
  const s = storeOf(m);
  await flushQuotas(m);
  if (m.format?.UserGroupQuota !== true) await enableOwnerQuotas(m);
  const old = await s.get(kind, id);
  const wasQuota = old !== undefined && isQuota(old);
  const keep = (v: number | undefined) => (wasQuota && v !== undefined ? v : -1);
  const max = { maxSpace: limits.maxSpace ?? keep(old?.maxSpace), maxInodes: limits.maxInodes ?? keep(old?.maxInodes) };
  await s.set(kind, id, max);
  await loadQuotas(m);
  return { created: !wasQuota, quota: (await s.get(kind, id))! };
}

/** The entry of user or group `id` (limits -1/-1 when it is tracked without a quota), if any. */
export async function getOwnerQuota(m: MetaState, kind: OwnerKind, id: number): Promise<DirQuota | undefined> {
  checkId(kind, id);
  const s = storeOf(m);
  await flushQuotas(m);
  return s.get(kind, id);
}

/** Remove the limits of user or group `id` (both -1: usage stays tracked); false when it had none. */
export async function deleteOwnerQuota(m: MetaState, kind: OwnerKind, id: number): Promise<boolean> {
  checkId(kind, id);
  const s = storeOf(m);
  await flushQuotas(m);
  const old = await s.get(kind, id);
  if (!old || !isQuota(old)) return false;
  await s.set(kind, id, NO_LIMITS);
  await loadQuotas(m);
  return true;
}

/** The quotas of users or groups (entries with limits), by id. */
export async function listOwnerQuotas(m: MetaState, kind: OwnerKind): Promise<Map<number, DirQuota>> {
  const s = m.store.userGroupQuotas;
  if (!s) return new Map();
  await flushQuotas(m);
  const all = await s.loadAll(kind);
  for (const [id, q] of all) if (!isQuota(q)) all.delete(id);
  return all;
}

export type OwnerCheck = OwnerQuotaCheck;

/**
 * Recount every user's and group's usage from the tree and compare it with what is stored (Go's
 * checkUGUsage); `repair` stores the recount for all of them, limits kept.
 */
export async function checkOwnerQuotas(m: MetaState, options: { repair?: boolean } = {}): Promise<{ checks: OwnerCheck[]; repaired: boolean }> {
  const s = storeOf(m);
  if (m.format?.UserGroupQuota !== true) throw fsError('ENOENT', 'no user or group quota was ever set on this volume: set one with juicefs quota set --uid/--gid');
  await flushQuotas(m);
  const usage = await scanOwnerUsage(m);
  const checks: OwnerCheck[] = [];
  let bad = false;
  for (const kind of ['user', 'group'] as const) {
    const stored = await s.loadAll(kind);
    const ids = new Set([...usage[kind].keys(), ...stored.keys()]);
    for (const id of [...ids].sort((a, b) => a - b)) {
      const actual = usage[kind].get(id) ?? { space: 0, inodes: 0 };
      const quota = stored.get(id);
      const consistent = (quota?.usedSpace ?? 0) === actual.space && (quota?.usedInodes ?? 0) === actual.inodes && (quota !== undefined || actual.inodes === 0);
      if (!consistent) bad = true;
      checks.push({ kind, id, quota, actual, consistent });
    }
  }
  let repaired = false;
  if (bad && options.repair) {
    for (const kind of ['user', 'group'] as const) await storeUsage(s, kind, usage[kind]);
    await loadQuotas(m);
    repaired = true;
  }
  return { checks, repaired };
}
