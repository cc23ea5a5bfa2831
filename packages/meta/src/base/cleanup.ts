import { NodeType, TRASH_INODE, type Ino } from '@juicefs/core';
import type { MetaState } from './state.js';
import { parseTrashHour } from './trash.js';
import { chargeDir, unixNow } from './tx-util.js';
import { purgeNode } from './unlink-node.js';
import { quotaTxn } from './quota.js';

/** How many queued items one cleanup pass takes from the engine at a time. */
const BATCH = 1000;

/**
 * Delete the objects of slices whose last reference went, through the registered deleter,
 * then forget them. Without a deleter they stay pending for a later pass.
 */
export async function deleteSlices(m: MetaState, slices: ReadonlyArray<{ id: number; size: number }>): Promise<number> {
  const deleter = m.sliceDeleter;
  if (!deleter) return 0;
  let n = 0;
  for (const s of slices) {
    await deleter(s.id, s.size);
    await m.store.removeSliceRef(s.id);
    n++;
  }
  return n;
}

/** Drop every chunk of a removed file, releasing one reference per slice record. */
async function deleteFileData(m: MetaState, ino: Ino): Promise<Array<{ id: number; size: number }>> {
  return m.store.txn(async (tx) => {
    const released: Array<{ id: number; size: number }> = [];
    for (const indx of await tx.listChunks(ino)) {
      for (const s of await tx.getChunk(ino, indx)) {
        if (s.id > 0 && (await tx.addSliceRef(s.id, s.size, -1)) <= 0) released.push({ id: s.id, size: s.size });
      }
      tx.deleteChunk(ino, indx);
    }
    return released;
  });
}

/** Purge data of deleted files (delfiles) and slices left with no reference. */
export async function cleanupDeleted(m: MetaState): Promise<{ files: number; slices: number }> {
  let files = 0;
  let slices = 0;
  for (const f of await m.store.listDelFiles(BATCH)) {
    const released = await deleteFileData(m, f.ino);
    await m.store.removeDelFile(f.ino);
    slices += await deleteSlices(m, released);
    files++;
  }
  slices += await deleteSlices(m, await m.store.listPendingSlices(BATCH));
  return { files, slices };
}

/** Remove a node for good (no trash): a directory with everything below it. Returns nodes removed. */
async function purgeTree(m: MetaState, parent: Ino, name: Buffer, ino: Ino, type: NodeType): Promise<number> {
  let removed = 0;
  if (type === NodeType.Directory) {
    for (;;) {
      const page = await m.store.txn((tx) => tx.listEntries(ino, undefined, BATCH));
      if (page.entries.length === 0) break;
      for (const e of page.entries) removed += await purgeTree(m, ino, e.name, e.ino, e.type);
    }
  }
  // quotaTxn: what is purged leaves its directory's and its owner's quotas.
  await quotaTxn(m, async (tx) => {
    const attr = await tx.getAttr(ino);
    tx.deleteEntry(parent, name);
    if (!attr) return;
    chargeDir(m, tx, parent, attr, -1);
    if (attr.type !== NodeType.Directory && attr.nlink > 1) {
      attr.nlink--;
      if (attr.parent === 0n) tx.addParent(ino, parent, -1);
      tx.setAttr(ino, attr);
      return;
    }
    if (attr.type === NodeType.File && m.sid > 0 && m.openFiles.isOpen(ino)) {
      attr.nlink = 0;
      tx.setAttr(ino, attr);
      tx.addSustained(m.sid, ino);
      m.sustained.add(ino);
      return;
    }
    purgeNode(tx, ino, attr);
  });
  return removed + 1;
}

/**
 * Remove trash hour directories older than TrashDays (an hour directory holds deletions of
 * that whole hour, so it expires one hour after its name says). Returns the number of
 * entries purged, not counting the hour directories themselves.
 */
export async function cleanupTrash(m: MetaState, now = unixNow()): Promise<number> {
  const days = m.format?.TrashDays ?? 0;
  const edge = now - days * 86400 - 3600;
  let purged = 0;
  const expired: Array<{ name: Buffer; ino: Ino }> = [];
  let cursor: string | undefined;
  do {
    const page = await m.store.txn(async (tx) => {
      if (!(await tx.getAttr(TRASH_INODE))) return { entries: [] };
      return tx.listEntries(TRASH_INODE, cursor, BATCH);
    });
    for (const e of page.entries) {
      const hour = parseTrashHour(e.name.toString());
      if (hour !== undefined && hour < edge) expired.push({ name: e.name, ino: e.ino });
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  for (const dir of expired) {
    purged += (await purgeTree(m, TRASH_INODE, dir.name, dir.ino, NodeType.Directory)) - 1;
    if (m.trashDir?.ino === dir.ino) m.trashDir = undefined;
  }
  return purged;
}
