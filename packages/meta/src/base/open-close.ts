import { AttrFlag, fsError, NodeType, R_OK, TRASH_INODE, W_OK, type Attr, type Context, type Ino } from '@juicefs/core';
import { checkAccess } from './permissions.js';
import type { MetaState } from './state.js';
import { readOnly, requireAttr } from './tx-util.js';
import { releaseSustained } from './unlink-node.js';

const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;

/** The access bits an open(2) with `flags` needs. */
export function openMask(flags: number): number {
  const acc = flags & O_ACCMODE;
  let mask = acc === O_WRONLY ? W_OK : acc === O_RDWR ? R_OK | W_OK : R_OK;
  if (flags & O_TRUNC) mask |= W_OK;
  return mask;
}

export async function access(m: MetaState, ctx: Context, ino: Ino, mask: number, given?: Attr): Promise<void> {
  const attr = given ?? (await readOnly(m, (tx) => requireAttr(tx, ino)));
  checkAccess(attr, ctx, mask, `inode ${ino}`);
}

/** `known`: attributes trusted without asking the engine (the open-file cache). */
export async function open(m: MetaState, ctx: Context, ino: Ino, flags: number, known?: Attr): Promise<Attr> {
  // A read: on SQLite a write transaction would take the file's write lock for nothing.
  const attr = known ?? (await readOnly(m, (tx) => requireAttr(tx, ino)));
  const mask = openMask(flags);
  const writes = (mask & W_OK) !== 0;
  if (writes && m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  if (writes && attr.type === NodeType.Directory) throw fsError('EISDIR', `inode ${ino} is a directory`);
  if (writes && attr.flags & AttrFlag.Immutable) throw fsError('EPERM', `inode ${ino} is immutable (chattr +i)`);
  if (writes && attr.parent > TRASH_INODE) throw fsError('EPERM', `inode ${ino} is in the trash: restore it before writing`);
  if (writes && attr.flags & AttrFlag.Append && (!(flags & O_APPEND) || flags & O_TRUNC)) {
    throw fsError('EPERM', `inode ${ino} is append-only (chattr +a): open it with O_APPEND and without O_TRUNC`);
  }
  checkAccess(attr, ctx, mask, `inode ${ino}`);
  m.openFiles.open(ino);
  return attr;
}

/** Drop one open; the last close of a file this client unlinked meanwhile deletes it. */
export async function close(m: MetaState, ino: Ino): Promise<void> {
  if (!m.openFiles.close(ino)) return;
  if (m.sid === 0 || !m.sustained.delete(ino)) return;
  // releaseSustained purges only a node that still has no links.
  await releaseSustained(m, m.sid, ino);
}
