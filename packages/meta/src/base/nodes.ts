import {
  fsError,
  NodeType,
  ROOT_INODE,
  TRASH_INODE,
  X_OK,
  isTrash,
  type Attr,
  type Context,
  type Ino,
  type NodeResult,
} from '@juicefs/core';
import { initialAttr, type NewNode } from './new-attr.js';
import { checkName, checkSymlinkTarget, isDotOrDotDot, isTrashName, isDot, isDotDot, show } from './names.js';
import { touchAtime } from './atime.js';
import { checkAccess, checkDirWrite, checkMutable } from './permissions.js';
import { checkDirQuotas, quotaTxn } from './quota.js';
import type { MetaState } from './state.js';
import { dirStatsEnabled } from './state.js';
import {
  chargeDir,
  chargeVolume,
  checkedDir,
  checkQuota,
  now,
  readEntry,
  readOnly,
  requireAttr,
  requireDir,
  spaceOf,
  touchDirUnlessRecent,
} from './tx-util.js';
import { changeLogEnabled, logChange } from './changelog.js';

function checkWritable(m: MetaState): void {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
}

/** Shared entry checks for operations that add a name to a directory. */
export function checkNewName(m: MetaState, parent: Ino, name: Buffer): void {
  checkWritable(m);
  checkName(name);
  if (isDotOrDotDot(name)) throw fsError('EEXIST', `${show(name)} always exists in a directory`);
  if (isTrash(parent)) throw fsError('EPERM', 'nothing can be created inside the trash');
  if (isTrashName(parent, name)) throw fsError('EPERM', 'the name .trash in the root is reserved for the trash');
}

/** mknod/mkdir/create/symlink: one transaction adding the node, its entry and the charges. */
export async function createNode(
  m: MetaState,
  ctx: Context,
  parent: Ino,
  name: Buffer,
  node: NewNode,
): Promise<NodeResult> {
  checkNewName(m, parent, name);
  if (node.type === NodeType.Symlink) checkSymlinkTarget(node.target ?? Buffer.alloc(0));
  const ino = await m.inodes.allocate();
  return quotaTxn(m, async (tx) => {
    // Linux's order: the lookup (search permission, EEXIST), then write permission, then the rest.
    // The directory and the would-be entry in one read where the engine allows.
    const found = await readEntry(tx, parent, name);
    const pattr = checkedDir(found.pattr, parent);
    if (pattr.nlink === 0) throw fsError('ENOENT', `directory ${parent} was removed`);
    checkAccess(pattr, ctx, X_OK, `directory ${parent}`);
    if (found.entry) throw fsError('EEXIST', `${show(name)} already exists in directory ${parent}`);
    checkDirWrite(pattr, ctx, `directory ${parent}`);
    checkMutable(pattr, `directory ${parent}`);
    const attr = initialAttr(ctx, parent, pattr, node);
    await checkQuota(m, tx, 4096, 1, { dir: parent, owner: attr });
    tx.setAttr(ino, attr);
    tx.setEntry(parent, name, ino, node.type);
    if (node.type === NodeType.Directory) {
      pattr.nlink++;
      if (dirStatsEnabled(m)) tx.initDirStat(ino);
    }
    if (node.type === NodeType.Symlink) tx.setSymlink(ino, node.target!);
    const isDir = node.type === NodeType.Directory;
    if (touchDirUnlessRecent(m, pattr, { sec: attr.mtime, nsec: attr.mtimensec }, isDir)) tx.setAttr(parent, pattr);
    chargeDir(m, tx, parent, attr, 1);
    chargeVolume(tx, 4096, 1, attr);
    if (changeLogEnabled(m)) {
      const created = [parent, name, node.type, node.mode, node.cumask, node.rdev ?? 0];
      logChange(m, tx, 'CREATE', node.type === NodeType.Symlink ? [...created, node.target!] : created, ino);
    }
    return { ino, attr, parentAttr: pattr };
  });
}

export async function lookup(
  m: MetaState,
  ctx: Context,
  parent: Ino,
  name: Buffer,
  checkPermission: boolean,
): Promise<NodeResult> {
  if (name.length > 255) throw fsError('ENAMETOOLONG', `entry name of ${name.length} bytes is longer than 255 bytes`);
  if (name.length === 0) throw fsError('ENOENT', 'empty entry name');
  // Reads only: outside a transaction where the engine allows (the common case is one read).
  return readOnly(m, async (tx) => {
    if (isDot(name) || isDotDot(name) || isTrashName(parent, name)) {
      const pattr = await requireDir(tx, parent);
      if (checkPermission) checkAccess(pattr, ctx, X_OK, `directory ${parent}`);
      if (isDot(name)) return { ino: parent, attr: pattr };
      if (isDotDot(name)) {
        const up = parent === ROOT_INODE || pattr.parent === 0n ? ROOT_INODE : pattr.parent;
        return { ino: up, attr: await requireAttr(tx, up) };
      }
      const trash = await tx.getAttr(TRASH_INODE);
      if (trash) return { ino: TRASH_INODE, attr: trash };
    }
    // The common case: one joined read (SQL), or the entry then both attributes at once.
    const { pattr: found, entry, attr } = await readEntry(tx, parent, name);
    const pattr = checkedDir(found, parent);
    if (checkPermission) checkAccess(pattr, ctx, X_OK, `directory ${parent}`);
    if (!entry) throw fsError('ENOENT', `no entry ${show(name)} in directory ${parent}`);
    if (!attr) throw fsError('ENOENT', `entry ${show(name)} of directory ${parent} points to missing inode ${entry.ino}`);
    return { ino: entry.ino, attr };
  });
}

export async function link(m: MetaState, ctx: Context, ino: Ino, parent: Ino, name: Buffer): Promise<Attr> {
  checkNewName(m, parent, name);
  return quotaTxn(m, async (tx) => {
    // Linux's order (do_linkat, vfs_link): EEXIST, then write permission, then EPERM.
    const pattr = await requireDir(tx, parent);
    if (pattr.nlink === 0) throw fsError('ENOENT', `directory ${parent} was removed`);
    checkAccess(pattr, ctx, X_OK, `directory ${parent}`);
    const attr = await requireAttr(tx, ino);
    if (await tx.getEntry(parent, name)) throw fsError('EEXIST', `${show(name)} already exists in directory ${parent}`);
    checkDirWrite(pattr, ctx, `directory ${parent}`);
    checkMutable(attr, `inode ${ino}`);
    if (attr.type === NodeType.Directory) throw fsError('EPERM', `inode ${ino} is a directory: hard links to directories are not allowed`);
    await checkDirQuotas(m, [parent], spaceOf(attr), 1, tx);
    const t = now();
    if (attr.parent > 0n) tx.addParent(ino, attr.parent, 1);
    tx.addParent(ino, parent, 1);
    attr.parent = 0n;
    attr.nlink++;
    attr.ctime = t.sec;
    attr.ctimensec = t.nsec;
    tx.setAttr(ino, attr);
    tx.setEntry(parent, name, ino, attr.type);
    if (touchDirUnlessRecent(m, pattr, t, false)) tx.setAttr(parent, pattr);
    chargeDir(m, tx, parent, attr, 1);
    logChange(m, tx, 'LINK', [ino, parent, name]);
    return attr;
  });
}

/** A symlink's target; reading it is an access (atime), as in JuiceFS's doReadlink. */
export async function readlink(m: MetaState, ino: Ino): Promise<Buffer> {
  const { attr, target } = await readOnly(m, async (tx) => {
    const attr = await requireAttr(tx, ino);
    if (attr.type !== NodeType.Symlink) throw fsError('EINVAL', `inode ${ino} is not a symlink`);
    const target = await tx.getSymlink(ino);
    if (!target) throw fsError('EIO', `symlink ${ino} has no target record`);
    return { attr, target };
  });
  await touchAtime(m, ino, attr);
  return target;
}
