import { align4K, decodeFormat, fsError, isTrash, NodeType, ROOT_INODE, type Attr, type Ino } from '@juicefs/core';
import { applyOwnerDeltas, flushOwnerQuotas, loadOwnerQuotas, ownerQuotasEnabled, type CachedOwnerQuota, type OwnerDelta } from './owner-quota.js';
import type { DirQuota, DirQuotaDelta, DirQuotaStore } from './quota-store.js';
import { dirStatsEnabled, type MetaState } from './state.js';
import type { TxStore } from './store.js';

// Directory quotas, as JuiceFS 1.1 keeps them: every client holds the volume's quotas in memory,
// checks growth against them (EDQUOT), adds what its own committed changes used to each quota
// above the changed directory, flushes those increments every few seconds and reloads everyone
// else's with the heartbeat. Enforcement therefore lags other clients by seconds, as in Go.

/** A quota as this client knows it: the stored figures plus its own increments not yet flushed. */
interface CachedQuota extends DirQuota {
  newSpace: number;
  newInodes: number;
}

/** Seconds between flushes of this client's usage increments (Go's flushQuotas period). */
export const QUOTA_FLUSH_SECONDS = 3;
/** Directory parents remembered for walking up to quota directories; the map starts over past it. */
const MAX_CACHED_PARENTS = 100_000;
/** Deepest walk up a tree (guards against a cycle in corrupt metadata). */
const MAX_DEPTH = 1000;

export class QuotaState {
  /** The volume's directory quotas, by directory inode. Empty: no quota work at all. */
  readonly dirs = new Map<Ino, CachedQuota>();
  /** Each directory's parent as this client last saw it; directories have exactly one. */
  readonly parents = new Map<Ino, Ino>();
  /** Every owner's usage and limits, by uid / gid, once the format's UserGroupQuota is on (owner-quota.ts). */
  readonly users = new Map<number, CachedOwnerQuota>();
  readonly groups = new Map<number, CachedOwnerQuota>();
  timer: ReturnType<typeof setInterval> | undefined;
  /** The flush or reload running now; the next waits for it, so they never interleave. */
  running: Promise<void> = Promise.resolve();
}

/** What a transaction changed for quotas, applied once it has committed. */
interface Pending {
  deltas: DirQuotaDelta[];
  moves: Array<{ dir: Ino; parent: Ino }>;
  owners: OwnerDelta[];
}
const pendingOf = new WeakMap<TxStore, Pending>();

function storeOf(m: MetaState): DirQuotaStore {
  const qs = m.store.dirQuotas;
  if (!qs) throw fsError('ENOTSUP', `the ${m.store.name} engine keeps no directory quotas`);
  return qs;
}

/**
 * Run a transaction whose changes count toward directory quotas (the callers of chargeDir and
 * chargeParents). The usage is added only after the commit, and only the last attempt's: an
 * engine may run `fn` more than once.
 */
export async function quotaTxn<T>(m: MetaState, fn: (tx: TxStore) => Promise<T>): Promise<T> {
  if (m.quotas.dirs.size === 0 && !ownerQuotasEnabled(m)) return m.store.txn(fn);
  let pending: Pending = { deltas: [], moves: [], owners: [] };
  const result = await m.store.txn((tx) => {
    pending = { deltas: [], moves: [], owners: [] };
    pendingOf.set(tx, pending);
    return fn(tx);
  });
  applyOwnerDeltas(m, pending.owners);
  for (const { dir, parent } of pending.moves) rememberParent(m, dir, parent);
  for (const d of pending.deltas) {
    for (const q of await quotaChain(m, d.ino)) {
      const quota = m.quotas.dirs.get(q)!;
      quota.newSpace += d.space;
      quota.newInodes += d.inodes;
    }
  }
  return result;
}

/** Count a change of what lies below `dir` toward the quotas at and above it (see quotaTxn). */
export function noteQuotaChange(tx: TxStore, dir: Ino, space: number, inodes: number): void {
  if (space === 0 && inodes === 0) return;
  pendingOf.get(tx)?.deltas.push({ ino: dir, space, inodes });
}

/**
 * Count a change of a node's space/inodes toward its owner's user and group quotas (see
 * quotaTxn). Called wherever the volume's usage counters change, as Go calls
 * updateUserGroupStat next to updateStats.
 */
export function noteOwnerChange(tx: TxStore, owner: { uid: number; gid: number }, space: number, inodes: number): void {
  if (space === 0 && inodes === 0) return;
  pendingOf.get(tx)?.owners.push({ uid: owner.uid, gid: owner.gid, space, inodes });
}

function rememberParent(m: MetaState, dir: Ino, parent: Ino): void {
  if (m.quotas.parents.size >= MAX_CACHED_PARENTS) m.quotas.parents.clear();
  m.quotas.parents.set(dir, parent);
}

async function dirParent(m: MetaState, dir: Ino, tx?: TxStore): Promise<Ino> {
  const cached = m.quotas.parents.get(dir);
  if (cached !== undefined) return cached;
  const read = (t: TxStore) => t.getAttr(dir);
  const attr = tx ? await read(tx) : await (m.store.read ? m.store.read(read) : m.store.txn(read));
  const parent = attr?.parent ?? 0n;
  if (attr?.type === NodeType.Directory && parent > 0n) rememberParent(m, dir, parent);
  return parent;
}

/** The quota directories at `dir` and above it, nearest first. */
async function quotaChain(m: MetaState, dir: Ino, tx?: TxStore): Promise<Ino[]> {
  const chain: Ino[] = [];
  let cur = dir;
  for (let depth = 0; depth < MAX_DEPTH && cur > 0n; depth++) {
    if (m.quotas.dirs.has(cur)) chain.push(cur);
    if (cur === ROOT_INODE) break;
    cur = await dirParent(m, cur, tx);
  }
  return chain;
}

function exceeds(q: CachedQuota, space: number, inodes: number): boolean {
  if (space > 0 && q.maxSpace > 0 && q.usedSpace + q.newSpace + space > q.maxSpace) return true;
  return inodes > 0 && q.maxInodes > 0 && q.usedInodes + q.newInodes + inodes > q.maxInodes;
}

function quotaError(ino: Ino, q: CachedQuota, space: number): Error {
  const what = space > 0 && q.maxSpace > 0 && q.usedSpace + q.newSpace + space > q.maxSpace
    ? `its space limit of ${q.maxSpace} bytes`
    : `its limit of ${q.maxInodes} inodes`;
  return fsError('EDQUOT', `the quota of directory inode ${ino} is reached (${what}): free some, or raise it with juicefs quota set --path`);
}

/** Refuse growth past a directory quota of any of `parents` or their ancestors (EDQUOT). */
export async function checkDirQuotas(m: MetaState, parents: Iterable<Ino>, space: number, inodes: number, tx?: TxStore): Promise<void> {
  if (m.quotas.dirs.size === 0 || (space <= 0 && inodes <= 0) || !dirStatsEnabled(m)) return;
  for (const parent of parents) {
    for (const q of await quotaChain(m, parent, tx)) {
      const quota = m.quotas.dirs.get(q)!;
      if (exceeds(quota, space, inodes)) throw quotaError(q, quota, space);
    }
  }
}

/**
 * A node moving from directory `from` to `to` inside a rename: what it and everything below it
 * use leaves the quotas above `from` only and joins those above `to` only (EDQUOT if one of
 * those is full). The entry itself is charged by chargeDir; this adds a directory's contents.
 */
export async function quotaForMove(m: MetaState, tx: TxStore, from: Ino, to: Ino, ino: Ino, attr: Attr): Promise<void> {
  if (m.quotas.dirs.size === 0 || from === to || !dirStatsEnabled(m)) return;
  const isDir = attr.type === NodeType.Directory;
  const pending = pendingOf.get(tx);
  if (isDir) pending?.moves.push({ dir: ino, parent: to });
  const fromChain = await quotaChain(m, from, tx);
  const toChain = await quotaChain(m, to, tx);
  const joining = toChain.filter((q) => !fromChain.includes(q));
  if (joining.length === 0 && fromChain.every((q) => toChain.includes(q))) return;
  const below = isDir ? await subtreeUsage(tx, ino) : { space: 0, inodes: 0 };
  const space = below.space + (attr.type === NodeType.File ? align4K(attr.length) : 4096);
  for (const q of joining) {
    const quota = m.quotas.dirs.get(q)!;
    if (exceeds(quota, space, below.inodes + 1)) throw quotaError(q, quota, space);
  }
  noteQuotaChange(tx, from, -below.space, -below.inodes);
  noteQuotaChange(tx, to, below.space, below.inodes);
}

/**
 * Visit every entry below the directories `roots` (not the roots themselves), breadth by page,
 * with its attributes (undefined for an entry whose node is gone), inside `tx`. Directories are
 * descended into; the recounts of directory and owner quotas both walk the tree this way.
 */
export async function walkEntries(tx: TxStore, roots: readonly Ino[], visit: (entry: { ino: Ino; type: NodeType }, attr: Attr | undefined) => void): Promise<void> {
  const dirs: Ino[] = [...roots];
  for (let dir = dirs.pop(); dir !== undefined; dir = dirs.pop()) {
    let cursor: string | undefined;
    do {
      const page = await tx.listEntries(dir, cursor, 1000);
      const attrs = await tx.getAttrs(page.entries.map((e) => e.ino));
      page.entries.forEach((e, i) => {
        visit(e, attrs[i]);
        if (e.type === NodeType.Directory) dirs.push(e.ino);
      });
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
}

/**
 * Space and inodes of everything below directory `ino` (not itself), counted the way clients
 * charge them: 4 KiB-aligned length for files (an empty one counts 4 KiB, as in Go), 4 KiB for
 * anything else, one inode per entry.
 */
export async function subtreeUsage(tx: TxStore, ino: Ino): Promise<{ space: number; inodes: number }> {
  const usage = { space: 0, inodes: 0 };
  await walkEntries(tx, [ino], (_e, a) => {
    usage.inodes += 1;
    usage.space += a?.type === NodeType.File ? align4K(a.length) : 4096;
  });
  return usage;
}

/** One after another: a reload never lands in the middle of a flush. */
function serialized(m: MetaState, job: () => Promise<void>): Promise<void> {
  const run = m.quotas.running.then(job, job);
  m.quotas.running = run.catch(() => undefined);
  return run;
}

/** Write this client's usage increments (HINCRBY / UPDATE … + ?), then count them as stored. */
export function flushQuotas(m: MetaState): Promise<void> {
  return serialized(m, async () => {
    await flushOwnerQuotas(m);
    const qs = m.store.dirQuotas;
    if (!qs || m.quotas.dirs.size === 0) return;
    const deltas: DirQuotaDelta[] = [];
    for (const [ino, q] of m.quotas.dirs) if (q.newSpace !== 0 || q.newInodes !== 0) deltas.push({ ino, space: q.newSpace, inodes: q.newInodes });
    if (deltas.length === 0) return;
    await qs.addUsage(deltas);
    for (const d of deltas) {
      const q = m.quotas.dirs.get(d.ino);
      if (!q) continue;
      q.newSpace -= d.space;
      q.usedSpace += d.space;
      q.newInodes -= d.inodes;
      q.usedInodes += d.inodes;
    }
  });
}

/**
 * Reload the volume's quotas (limits and everyone's flushed usage); keeps unflushed increments.
 * `recheckFormat`: the periodic reload also notices user/group quotas turned on elsewhere.
 */
export function loadQuotas(m: MetaState, recheckFormat = false): Promise<void> {
  return serialized(m, async () => {
    if (recheckFormat) await refreshLiveSettings(m);
    await loadOwnerQuotas(m);
    const qs = m.store.dirQuotas;
    if (!qs || !dirStatsEnabled(m)) {
      m.quotas.dirs.clear();
      return;
    }
    const loaded = await qs.loadAll();
    for (const [ino, q] of loaded) {
      const cached = m.quotas.dirs.get(ino);
      if (cached) Object.assign(cached, q);
      else m.quotas.dirs.set(ino, { ...q, newSpace: 0, newInodes: 0 });
    }
    for (const ino of [...m.quotas.dirs.keys()]) if (!loaded.has(ino)) m.quotas.dirs.delete(ino);
  });
}

/**
 * Pick up what other clients switched since this one read the format, as Go clients re-read it
 * every heartbeat: user/group quotas turned on (juicefs quota set --uid; counting starts then)
 * and the change log turned on or off or given other retention (juicefs config --changelog).
 */
async function refreshLiveSettings(m: MetaState): Promise<void> {
  if (!m.format) return;
  const raw = await m.store.getFormat();
  if (raw === undefined) return;
  const stored = decodeFormat(raw);
  const ownerQuotas = m.format.UserGroupQuota === true || (stored.UserGroupQuota === true && m.store.userGroupQuotas !== undefined);
  const { ChangeLog, ChangeLogMaxAge, ChangeLogMaxLines } = stored;
  const f = m.format;
  if (ownerQuotas === (f.UserGroupQuota === true) && ChangeLog === f.ChangeLog && ChangeLogMaxAge === f.ChangeLogMaxAge && ChangeLogMaxLines === f.ChangeLogMaxLines) return;
  const next = { ...f, ...(ownerQuotas ? { UserGroupQuota: true } : {}) };
  delete next.ChangeLog;
  delete next.ChangeLogMaxAge;
  delete next.ChangeLogMaxLines;
  m.format = {
    ...next,
    ...(ChangeLog !== undefined ? { ChangeLog } : {}),
    ...(ChangeLogMaxAge !== undefined ? { ChangeLogMaxAge } : {}),
    ...(ChangeLogMaxLines !== undefined ? { ChangeLogMaxLines } : {}),
  };
}

/** Flush every QUOTA_FLUSH_SECONDS and reload every heartbeat, on an unref'd timer. */
export function startQuotaSync(m: MetaState): void {
  stopQuotaSync(m);
  let ticks = 0;
  const reloadEvery = Math.max(1, Math.round(m.heartbeat / QUOTA_FLUSH_SECONDS));
  const timer = setInterval(() => {
    const reload = ++ticks % reloadEvery === 0;
    flushQuotas(m)
      .then(() => (reload ? loadQuotas(m, true) : undefined))
      .catch(() => undefined); // the next tick tries again; increments stay until written
  }, QUOTA_FLUSH_SECONDS * 1000);
  timer.unref();
  m.quotas.timer = timer;
}

export function stopQuotaSync(m: MetaState): void {
  if (m.quotas.timer) clearInterval(m.quotas.timer);
  m.quotas.timer = undefined;
}

/** The innermost quota at or above `ino`, for statfs of a directory. */
export async function quotaFor(m: MetaState, ino: Ino): Promise<{ space?: CachedQuota; inodes?: CachedQuota }> {
  const found: { space?: CachedQuota; inodes?: CachedQuota } = {};
  if (m.quotas.dirs.size === 0 || !dirStatsEnabled(m)) return found;
  for (const q of await quotaChain(m, ino)) {
    const quota = m.quotas.dirs.get(q)!;
    if (quota.maxSpace > 0) found.space ??= quota;
    if (quota.maxInodes > 0) found.inodes ??= quota;
  }
  return found;
}

// ---- administration (juicefs quota) ----

async function requireQuotaDir(m: MetaState, ino: Ino): Promise<void> {
  if (isTrash(ino)) throw fsError('EINVAL', 'the trash cannot have a quota');
  const attr = await m.store.txn((tx) => tx.getAttr(ino));
  if (!attr) throw fsError('ENOENT', `inode ${ino} does not exist`);
  if (attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `inode ${ino} is not a directory: quotas are set on directories`);
}

export async function getDirQuota(m: MetaState, ino: Ino): Promise<DirQuota | undefined> {
  await flushQuotas(m);
  return storeOf(m).get(ino);
}

export async function listDirQuotas(m: MetaState): Promise<Map<Ino, DirQuota>> {
  await flushQuotas(m);
  return storeOf(m).loadAll();
}

/**
 * Set a directory's limits (an omitted one keeps its value; 0 = unlimited). A new quota starts
 * with the usage of the tree below the directory, counted now.
 */
export async function setDirQuota(
  m: MetaState,
  ino: Ino,
  limits: { maxSpace?: number; maxInodes?: number },
  enableDirStats: () => Promise<void>,
): Promise<{ created: boolean; quota: DirQuota }> {
  for (const [name, v] of Object.entries(limits)) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw fsError('EINVAL', `invalid quota ${name} ${v}: use a whole number, 0 for unlimited`);
  }
  await requireQuotaDir(m, ino);
  // Quotas are kept with the directory statistics; stored explicitly, so Go clients keep them too.
  if (m.format?.DirStats !== true) await enableDirStats();
  const qs = storeOf(m);
  await flushQuotas(m);
  const old = await qs.get(ino);
  const max = { maxSpace: limits.maxSpace ?? old?.maxSpace ?? 0, maxInodes: limits.maxInodes ?? old?.maxInodes ?? 0 };
  let created = false;
  if (old) {
    await qs.set(ino, max);
  } else {
    const used = await m.store.txn((tx) => subtreeUsage(tx, ino));
    created = await qs.set(ino, max, used);
  }
  await loadQuotas(m);
  return { created, quota: (await qs.get(ino))! };
}

export async function deleteDirQuota(m: MetaState, ino: Ino): Promise<boolean> {
  await flushQuotas(m);
  const deleted = await storeOf(m).delete(ino);
  await loadQuotas(m);
  return deleted;
}

/** Compare a quota's stored usage with its tree; with `repair`, store what the tree uses. */
export async function checkDirQuota(
  m: MetaState,
  ino: Ino,
  options: { repair?: boolean } = {},
): Promise<{ quota: DirQuota; actual: { space: number; inodes: number }; consistent: boolean; repaired: boolean }> {
  const qs = storeOf(m);
  await flushQuotas(m);
  const quota = await qs.get(ino);
  if (!quota) throw fsError('ENOENT', `directory inode ${ino} has no quota: set one with juicefs quota set`);
  const actual = await m.store.txn((tx) => subtreeUsage(tx, ino));
  const consistent = quota.usedSpace === actual.space && quota.usedInodes === actual.inodes;
  let repaired = false;
  if (!consistent && options.repair) {
    await qs.set(ino, { maxSpace: quota.maxSpace, maxInodes: quota.maxInodes }, actual);
    await loadQuotas(m);
    repaired = true;
  }
  return { quota, actual, consistent, repaired };
}
