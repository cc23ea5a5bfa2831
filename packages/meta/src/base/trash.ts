import { NodeType, TRASH_INODE, type Attr, type Ino } from '@juicefs/core';
import { dirStatsEnabled, type MetaState } from './state.js';
import type { TxStore } from './store.js';
import { systemDirAttr } from './new-attr.js';
import { chargeVolume, now, touchDir } from './tx-util.js';
import { quotaTxn } from './quota.js';

/** Thrown inside a transaction that needs this hour's trash directory before it exists. */
export class NeedTrashDir extends Error {
  constructor() {
    super('the trash directory of this hour must be created first');
  }
}

/** Trash sub-directories are named after the UTC hour of deletion: YYYY-MM-DD-HH. */
export function trashHourName(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())}-${p(date.getUTCHours())}`;
}

/** Unix seconds at the start of a trash hour name, or undefined for other names. */
export function parseTrashHour(name: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})$/.exec(name);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) / 1000;
}

/** `<parent>-<ino>-<name>`, cut to 255 bytes, the name of an entry moved into the trash. */
export function trashEntryName(parent: Ino, ino: Ino, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${parent}-${ino}-`), name]).subarray(0, 255);
}

/** A trash directory (the root or an hour): root-owned, read-only to everyone. */
export function trashDirAttr(parent: Ino): Attr {
  return systemDirAttr(0o555, parent);
}

/**
 * Inside a transaction: this hour's trash directory, verified to exist. Throws NeedTrashDir
 * when it is unknown or gone; `withTrash` then creates it and runs the transaction again.
 */
export async function currentTrashDir(m: MetaState, tx: TxStore): Promise<Ino> {
  const name = trashHourName(new Date());
  const known = m.trashDir;
  if (known && known.name === name && (await tx.getAttr(known.ino))) return known.ino;
  const entry = await tx.getEntry(TRASH_INODE, Buffer.from(name));
  if (entry) {
    m.trashDir = { name, ino: entry.ino };
    return entry.ino;
  }
  m.trashDir = undefined;
  throw new NeedTrashDir();
}

/** Run `op` (which may call currentTrashDir), creating the trash directory when it asks. */
export async function withTrash<T>(m: MetaState, op: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof NeedTrashDir) || attempt >= 5) throw err;
      await ensureTrashDir(m);
    }
  }
}

/**
 * Create this hour's trash directory (TRASH_INODE + nextTrash) unless another client did. It
 * is charged like any directory but does not raise the trash root's nlink (FORMAT.md 1).
 */
export async function ensureTrashDir(m: MetaState): Promise<Ino> {
  const name = trashHourName(new Date());
  const key = Buffer.from(name);
  const existing = await m.store.txn((tx) => tx.getEntry(TRASH_INODE, key));
  if (existing) {
    m.trashDir = { name, ino: existing.ino };
    return existing.ino;
  }
  const n = await m.store.incrCounter('nextTrash', 1);
  const ino = TRASH_INODE + BigInt(n);
  const chosen = await quotaTxn(m, async (tx) => {
    const raced = await tx.getEntry(TRASH_INODE, key);
    if (raced) return raced.ino;
    let root = await tx.getAttr(TRASH_INODE);
    if (!root) {
      root = trashDirAttr(1n);
      tx.setAttr(TRASH_INODE, root);
    }
    touchDir(root, now());
    tx.setAttr(TRASH_INODE, root);
    const attr = trashDirAttr(TRASH_INODE);
    tx.setAttr(ino, attr);
    tx.setEntry(TRASH_INODE, key, ino, NodeType.Directory);
    if (dirStatsEnabled(m)) {
      tx.initDirStat(ino);
      tx.addDirStat(TRASH_INODE, { length: 0, space: 4096, inodes: 1 });
    }
    chargeVolume(tx, 4096, 1, attr);
    return ino;
  });
  m.trashDir = { name, ino: chosen };
  return chosen;
}
