import { AttrFlag, NodeType, type Attr, type Ino } from '@juicefs/core';
import type { MetaState } from './state.js';
import type { TxStore } from './store.js';
import { currentTrashDir, trashEntryName } from './trash.js';
import { chargeDir, chargeVolume, setCtime, spaceOf, unixNow } from './tx-util.js';
import { quotaTxn } from './quota.js';
import type { Timespec } from '@juicefs/core';

/** Whether removing an entry of `parent` sends the node to the trash instead of deleting it. */
export function goesToTrash(m: MetaState, parent: Ino, attr: Attr | undefined): boolean {
  if ((m.format?.TrashDays ?? 0) <= 0 || parent >= 0x7fffffff10000000n) return false;
  return !attr || (attr.flags & AttrFlag.SkipTrash) === 0;
}

/**
 * Delete a node's own records (attr, symlink, xattrs, parents, dir stats) and uncharge it. A
 * regular file's data is queued in delfiles for the background cleaner.
 */
export function purgeNode(tx: TxStore, ino: Ino, attr: Attr): void {
  tx.deleteAttr(ino);
  if (attr.type === NodeType.File) tx.addDelFile(ino, attr.length, unixNow());
  if (attr.type === NodeType.Symlink) tx.deleteSymlink(ino);
  if (attr.type === NodeType.Directory) tx.deleteDirStat(ino);
  if (attr.parent === 0n) tx.deleteParents(ino);
  tx.deleteXattrs(ino);
  chargeVolume(tx, -spaceOf(attr), -1, attr);
}

/**
 * Drop the link `parent/name` → `ino` (the caller removes or overwrites the entry itself and
 * updates the parent's own attributes). With trash on, the node is moved under this hour's
 * trash directory as `<parent>-<ino>-<name>`; otherwise its link count drops and, at zero,
 * the node is deleted, or kept as "sustained" when this client still has the file open.
 */
export async function dropLink(
  m: MetaState,
  tx: TxStore,
  parent: Ino,
  name: Buffer,
  ino: Ino,
  attr: Attr | undefined,
  t: Timespec,
  /** Delete even where the trash would keep it (rmr --skip-trash). */
  skipTrash = false,
): Promise<void> {
  if (!attr) return; // a dangling entry: nothing else to release
  chargeDir(m, tx, parent, attr, -1);
  const trash = !skipTrash && goesToTrash(m, parent, attr) ? await currentTrashDir(m, tx) : undefined;
  const trashName = trash === undefined ? undefined : trashEntryName(parent, ino, name);
  // Another link of this node already went to the trash under the same name this hour: then
  // this link is simply dropped, as JuiceFS does (the trash keeps one entry per name).
  const duplicate =
    attr.nlink > 1 && trash !== undefined && trashName !== undefined && (await tx.getEntry(trash, trashName)) !== undefined;
  if (trash !== undefined && trashName !== undefined && !duplicate) {
    tx.setEntry(trash, trashName, ino, attr.type);
    if (attr.parent > 0n) {
      attr.parent = trash;
    } else {
      tx.addParent(ino, parent, -1);
      tx.addParent(ino, trash, 1);
    }
    setCtime(attr, t);
    tx.setAttr(ino, attr);
    chargeDir(m, tx, trash, attr, 1);
    return;
  }
  if (attr.type === NodeType.Directory) {
    purgeNode(tx, ino, attr);
    return;
  }
  attr.nlink = Math.max(0, attr.nlink - 1);
  if (attr.parent === 0n) tx.addParent(ino, parent, -1);
  setCtime(attr, t);
  if (attr.nlink > 0) {
    tx.setAttr(ino, attr);
  } else if (attr.type === NodeType.File && m.sid > 0 && m.openFiles.isOpen(ino)) {
    tx.setAttr(ino, attr);
    tx.addSustained(m.sid, ino);
    m.sustained.add(ino);
  } else {
    purgeNode(tx, ino, attr);
  }
}

/** Delete a sustained (unlinked, was open) file once no one has it open. */
export async function releaseSustained(m: MetaState, sid: number, ino: Ino): Promise<void> {
  // quotaTxn: the released space leaves its owner's user/group quota.
  await quotaTxn(m, async (tx) => {
    const attr = await tx.getAttr(ino);
    if (attr && attr.nlink === 0) purgeNode(tx, ino, attr);
    tx.removeSustained(sid, ino);
  });
}
