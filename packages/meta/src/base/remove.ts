import { fsError, NodeType, TRASH_INODE, isTrash, type Attr, type Context, type Ino, type RemoveOptions } from '@juicefs/core';
import { checkName, isDot, isDotDot, isTrashName, show } from './names.js';
import { checkDirWrite, checkMutable, checkSticky } from './permissions.js';
import { quotaTxn } from './quota.js';
import type { MetaState } from './state.js';
import { withTrash } from './trash.js';
import { dropLink, goesToTrash } from './unlink-node.js';
import { checkedDir, now, readEntry, touchDir, touchDirUnlessRecent } from './tx-util.js';
import { logChange } from './changelog.js';

function checkRemovable(m: MetaState, ctx: Context, parent: Ino, name: Buffer, options: RemoveOptions): void {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  if (options.skipTrash && ctx.uid !== 0) throw fsError('EPERM', 'only root may remove bypassing the trash (--skip-trash)');
  checkName(name);
  if (isTrashName(parent, name)) throw fsError('EPERM', 'the trash root cannot be removed');
  if (isTrash(parent) && ctx.uid !== 0 && ctx.checkPermission !== false) {
    throw fsError('EPERM', 'only root may delete from the trash');
  }
}

/**
 * Linux's may_delete after the write+search check: an append-only or immutable directory, the
 * sticky rule and an immutable or append-only victim are all EPERM, before the type checks.
 */
function checkDeletable(ctx: Context, pattr: Attr, parent: Ino, attr: Attr | undefined, name: Buffer): void {
  checkMutable(pattr, `directory ${parent}`);
  if (!attr) return;
  checkSticky(pattr, attr, ctx, show(name));
  checkMutable(attr, show(name));
}

/** unlink(2): remove a non-directory entry (into the trash when TrashDays > 0). */
/** Returns the inode whose link was removed. */
export async function unlink(m: MetaState, ctx: Context, parent: Ino, name: Buffer, options: RemoveOptions = {}): Promise<Ino> {
  checkRemovable(m, ctx, parent, name, options);
  if (isDot(name) || isDotDot(name)) throw fsError('EISDIR', `${show(name)} is a directory`);
  return withTrash(m, () =>
    quotaTxn(m, async (tx) => {
      // Directory, entry and node in one read where the engine allows.
      const found = await readEntry(tx, parent, name);
      const pattr = checkedDir(found.pattr, parent);
      checkDirWrite(pattr, ctx, `directory ${parent}`);
      const { entry, attr } = found;
      if (!entry) throw fsError('ENOENT', `no entry ${show(name)} in directory ${parent}`);
      checkDeletable(ctx, pattr, parent, attr, name);
      if (entry.type === NodeType.Directory) throw fsError('EISDIR', `${show(name)} is a directory: use rmdir`);
      const t = now();
      await dropLink(m, tx, parent, name, entry.ino, attr, t, options.skipTrash);
      tx.deleteEntry(parent, name);
      if (touchDirUnlessRecent(m, pattr, t, false)) tx.setAttr(parent, pattr);
      logChange(m, tx, 'UNLINK', [parent, name], entry.ino);
      return entry.ino;
    }),
  );
}

/** rmdir(2): remove an empty directory (into the trash when TrashDays > 0). */
export async function rmdir(m: MetaState, ctx: Context, parent: Ino, name: Buffer, options: RemoveOptions = {}): Promise<void> {
  checkRemovable(m, ctx, parent, name, options);
  if (isDot(name)) throw fsError('EINVAL', 'cannot remove "." : name the directory from its parent');
  if (isDotDot(name)) throw fsError('ENOTEMPTY', 'cannot remove "..": it is not empty');
  if (parent === TRASH_INODE) throw fsError('EPERM', 'trash hour directories are removed by the trash cleaner only');
  await withTrash(m, () =>
    quotaTxn(m, async (tx) => {
      // Directory, entry and node in one read where the engine allows.
      const found = await readEntry(tx, parent, name);
      const pattr = checkedDir(found.pattr, parent);
      checkDirWrite(pattr, ctx, `directory ${parent}`);
      const { entry, attr } = found;
      if (!entry) throw fsError('ENOENT', `no entry ${show(name)} in directory ${parent}`);
      checkDeletable(ctx, pattr, parent, attr, name);
      if (entry.type !== NodeType.Directory) throw fsError('ENOTDIR', `${show(name)} is not a directory`);
      if (await tx.hasEntries(entry.ino)) throw fsError('ENOTEMPTY', `directory ${show(name)} is not empty`);
      const t = now();
      await dropLink(m, tx, parent, name, entry.ino, attr, t, options.skipTrash);
      tx.deleteEntry(parent, name);
      if (pattr.nlink > 2) pattr.nlink--;
      touchDir(pattr, t);
      tx.setAttr(parent, pattr);
      logChange(m, tx, 'RMDIR', [parent, name], entry.ino);
    }),
  );
}

export { goesToTrash };
