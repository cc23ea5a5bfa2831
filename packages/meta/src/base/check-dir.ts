import { NodeType, type DirStat, type Ino } from '@juicefs/core';
import type { EngineStore } from './store.js';
import { dataLengthOf, spaceOf } from './tx-util.js';

/**
 * What `juicefs fsck --path DIR` finds in one directory, as JuiceFS's Check looks: its link
 * count against 2 + its sub-directories, and its stored usage statistics (negative, or with
 * `syncDirStat` missing or different from a recount of its entries).
 */
export interface DirCheck {
  /** Set when the stored nlink is wrong. */
  nlink?: { stored: number; counted: number };
  /** Set when the stored statistics are missing, broken or (with syncDirStat) out of date. */
  stat?: { stored: DirStat | undefined; counted: DirStat };
  /** The sub-directories (name as UTF-8, for messages), for a recursive check. */
  subdirs: Array<{ ino: Ino; name: string }>;
  /** True when `repair` wrote the counted values. */
  repaired: boolean;
}

export interface DirCheckOptions {
  /** Store what was counted: the nlink when wrong, the statistics when broken (or always with syncDirStat). */
  repair: boolean;
  /** Recount the statistics even when they look sound (JuiceFS's --sync-dir-stat). */
  syncDirStat: boolean;
  /** The volume keeps directory statistics (Format.DirStats). */
  dirStats: boolean;
}

const PAGE = 1000;

/** Count a directory's entries page by page (one short transaction each, as a running volume needs). */
async function countEntries(store: EngineStore, dir: Ino): Promise<{ subdirs: DirCheck['subdirs']; stat: DirStat }> {
  const subdirs: DirCheck['subdirs'] = [];
  const stat: DirStat = { length: 0, space: 0, inodes: 0 };
  let cursor: string | undefined;
  do {
    const page = await store.txn(async (tx) => {
      const p = await tx.listEntries(dir, cursor, PAGE);
      return { ...p, attrs: await tx.getAttrs(p.entries.map((e) => e.ino)) };
    });
    page.entries.forEach((e, i) => {
      if (e.type === NodeType.Directory) subdirs.push({ ino: e.ino, name: e.name.toString('utf8') });
      const a = page.attrs[i] ?? { type: e.type, length: 0 };
      stat.length += dataLengthOf(a);
      stat.space += spaceOf(a);
      stat.inodes += 1;
    });
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { subdirs, stat };
}

/** Check (and with `repair` fix) one directory; undefined when it is not a directory (or is gone). */
export async function checkDirectory(store: EngineStore, ino: Ino, opts: DirCheckOptions): Promise<DirCheck | undefined> {
  const first = await store.txn(async (tx) => ({ attr: await tx.getAttr(ino), stat: await tx.getDirStat(ino) }));
  if (first.attr?.type !== NodeType.Directory) return undefined;
  const counted = await countEntries(store, ino);
  const out: DirCheck = { subdirs: counted.subdirs, repaired: false };
  const nlink = 2 + counted.subdirs.length;
  if (first.attr.nlink !== nlink) out.nlink = { stored: first.attr.nlink, counted: nlink };
  if (opts.dirStats) {
    const s = first.stat;
    // Missing statistics are not an error here: this client computes an untracked directory's
    // from its entries when asked, and a Go client creates them on its next change. Only
    // --sync-dir-stat creates them (JuiceFS's fsck counts them as broken: it tracks every directory).
    const broken = s !== undefined && (s.space < 0 || s.inodes < 0);
    const stale = s === undefined || s.space !== counted.stat.space || s.inodes !== counted.stat.inodes;
    if (broken || (opts.syncDirStat && stale)) out.stat = { stored: s, counted: counted.stat };
  }
  const syncStat = opts.dirStats && (out.stat !== undefined || opts.syncDirStat);
  if (!opts.repair || (out.nlink === undefined && !syncStat)) return out;
  await store.txn(async (tx) => {
    const attr = await tx.getAttr(ino);
    if (attr?.type !== NodeType.Directory) return;
    if (out.nlink !== undefined) tx.setAttr(ino, { ...attr, nlink });
    if (!syncStat) return;
    // Increments only (what the engines apply to statistics), from what is stored now to the count.
    const now = await tx.getDirStat(ino);
    if (now === undefined) tx.initDirStat(ino);
    const base = now ?? { length: 0, space: 0, inodes: 0 };
    const delta = { length: counted.stat.length - base.length, space: counted.stat.space - base.space, inodes: counted.stat.inodes - base.inodes };
    if (delta.length !== 0 || delta.space !== 0 || delta.inodes !== 0) tx.addDirStat(ino, delta);
  });
  out.repaired = true;
  return out;
}
