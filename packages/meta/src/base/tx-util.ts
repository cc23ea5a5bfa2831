import {
  align4K,
  fsError,
  NodeType,
  nowTimespec,
  type Attr,
  type Ino,
  type Timespec,
} from '@juicefs/core';
import { dirStatsEnabled, type MetaState } from './state.js';
import { checkDirQuotas, noteOwnerChange, noteQuotaChange } from './quota.js';
import { checkOwnerQuotas } from './owner-quota.js';
import type { TxStore } from './store.js';

export async function requireAttr(tx: TxStore, ino: Ino, what = `inode ${ino}`): Promise<Attr> {
  const attr = await tx.getAttr(ino);
  if (!attr) throw fsError('ENOENT', `${what} does not exist`);
  return attr;
}

/** Run a read-only, single-read `fn` outside a transaction when the engine can. */
export function readOnly<T>(m: MetaState, fn: (tx: TxStore) => Promise<T>): Promise<T> {
  return m.store.read ? m.store.read(fn) : m.store.txn(fn);
}

/** A directory, one of its entries and the entry's node: one round trip where the engine allows. */
export async function readEntry(
  tx: TxStore,
  parent: Ino,
  name: Buffer,
): Promise<{ pattr: Attr | undefined; entry: { ino: Ino; type: NodeType } | undefined; attr: Attr | undefined }> {
  return tx.lookupEntry ? tx.lookupEntry(parent, name) : readEntryInSteps(tx, parent, name);
}

/** readEntry without the engine's fast path: the entry, then both attributes at once. */
export async function readEntryInSteps(
  tx: TxStore,
  parent: Ino,
  name: Buffer,
): Promise<{ pattr: Attr | undefined; entry: { ino: Ino; type: NodeType } | undefined; attr: Attr | undefined }> {
  const entry = await tx.getEntry(parent, name);
  const [pattr, attr] = await tx.getAttrs(entry ? [parent, entry.ino] : [parent]);
  return { pattr, entry, attr };
}

export async function requireDir(tx: TxStore, ino: Ino): Promise<Attr> {
  return checkedDir(await tx.getAttr(ino), ino);
}

/** The attributes of directory `ino` as read, or ENOENT / ENOTDIR. */
export function checkedDir(attr: Attr | undefined, ino: Ino): Attr {
  if (!attr) throw fsError('ENOENT', `directory ${ino} does not exist`);
  if (attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `inode ${ino} is not a directory`);
  return attr;
}

export function setMtime(attr: Attr, t: Timespec): void {
  attr.mtime = t.sec;
  attr.mtimensec = t.nsec;
}

export function setCtime(attr: Attr, t: Timespec): void {
  attr.ctime = t.sec;
  attr.ctimensec = t.nsec;
}

export function setAtime(attr: Attr, t: Timespec): void {
  attr.atime = t.sec;
  attr.atimensec = t.nsec;
}

/** A directory whose entries changed: mtime and ctime become now. */
export function touchDir(attr: Attr, t: Timespec): void {
  setMtime(attr, t);
  setCtime(attr, t);
}

/**
 * A directory whose entries changed, as JuiceFS's --skip-dir-mtime has it: mtime and ctime become
 * `t` unless they were set less than `skipDirMtime` ms before (a burst of creates then writes the
 * directory once, not per file); a change of its link count always updates them. Returns
 * whether the directory's attributes changed and must be written.
 */
export function touchDirUnlessRecent(m: MetaState, attr: Attr, t: Timespec, linksChanged: boolean): boolean {
  const window = m.client.skipDirMtime;
  if (!linksChanged && window > 0) {
    const sinceMs = (t.sec - attr.mtime) * 1000 + (t.nsec - attr.mtimensec) / 1e6;
    if (sinceMs < window) return false;
  }
  touchDir(attr, t);
  return true;
}

export function now(): Timespec {
  return nowTimespec();
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Space charged for a node: align4K(length) for files, 4096 for everything else. */
export function spaceOf(attr: Pick<Attr, 'type' | 'length'>): number {
  return align4K(attr.type === NodeType.File ? attr.length : 0);
}

/** The data length a node adds to its directory's stats (regular files only). */
export function dataLengthOf(attr: Pick<Attr, 'type' | 'length'>): number {
  return attr.type === NodeType.File ? attr.length : 0;
}

/** Add a node's length/space/count to a directory's stats (negative sign to subtract). */
export function chargeDir(m: MetaState, tx: TxStore, dir: Ino, attr: Pick<Attr, 'type' | 'length'>, sign: 1 | -1): void {
  if (!dirStatsEnabled(m)) return;
  tx.addDirStat(dir, { length: sign * dataLengthOf(attr), space: sign * spaceOf(attr), inodes: sign });
  noteQuotaChange(tx, dir, sign * spaceOf(attr), sign);
}

/**
 * Volume-wide usage counters (usedSpace, totalInodes) for a node appearing, growing or going;
 * the same figures count toward the node's `owner` (user and group quotas).
 */
export function chargeVolume(tx: TxStore, space: number, inodes: number, owner: { uid: number; gid: number }): void {
  if (space !== 0) tx.addCounter('usedSpace', space);
  if (inodes !== 0) tx.addCounter('totalInodes', inodes);
  noteOwnerChange(tx, owner, space, inodes);
}

/**
 * Refuse growth past the quota of the node's owner or group (EDQUOT; a file's own attr, or
 * `owner` for a new node), beyond the volume's Capacity / Inodes (ENOSPC), and, for growth under
 * `within` (a new entry's directory, or a file's directories), beyond a directory quota
 * (EDQUOT). In Go's order: user, group, volume, directories.
 */
export async function checkQuota(
  m: MetaState,
  tx: TxStore,
  space: number,
  inodes: number,
  within?: { dir: Ino; owner: { uid: number; gid: number } } | { file: Ino; attr: Attr },
): Promise<void> {
  if (within) checkOwnerQuotas(m, 'dir' in within ? within.owner : within.attr, space, inodes);
  const capacity = m.format?.Capacity ?? 0;
  if (space > 0 && capacity > 0) {
    const used = await tx.getCounter('usedSpace');
    if (used + space > capacity) {
      throw fsError('ENOSPC', `volume capacity of ${capacity} bytes reached: raise it with juicefs config --capacity`);
    }
  }
  const maxInodes = m.format?.Inodes ?? 0;
  if (inodes > 0 && maxInodes > 0) {
    const used = await tx.getCounter('totalInodes');
    if (used + inodes > maxInodes) {
      throw fsError('ENOSPC', `volume inode limit of ${maxInodes} reached: raise it with juicefs config --inodes`);
    }
  }
  if (within === undefined || m.quotas.dirs.size === 0) return;
  const dirs = 'dir' in within ? [within.dir] : await fileDirs(tx, within.file, within.attr);
  await checkDirQuotas(m, dirs, space, inodes, tx);
}

/** The directories linking a file: its parent, or every parent of a hard-linked one. */
async function fileDirs(tx: TxStore, ino: Ino, attr: Attr): Promise<Ino[]> {
  return attr.parent > 0n ? [attr.parent] : [...(await tx.getParents(ino)).keys()];
}

/** Propagate a change of a file's length/space to the stats of every directory linking it. */
export async function chargeParents(
  m: MetaState,
  tx: TxStore,
  ino: Ino,
  attr: Attr,
  lengthDelta: number,
  spaceDelta: number,
): Promise<void> {
  if (!dirStatsEnabled(m) || (lengthDelta === 0 && spaceDelta === 0)) return;
  if (attr.parent > 0n) {
    tx.addDirStat(attr.parent, { length: lengthDelta, space: spaceDelta, inodes: 0 });
    noteQuotaChange(tx, attr.parent, spaceDelta, 0);
    return;
  }
  // A hard-linked file is counted once per entry in each directory that links it.
  for (const [parent, count] of await tx.getParents(ino)) {
    tx.addDirStat(parent, { length: lengthDelta * count, space: spaceDelta * count, inodes: 0 });
    noteQuotaChange(tx, parent, spaceDelta * count, 0);
  }
}

