import { AttrFlag, fsError, XATTR_CREATE, XATTR_REPLACE, type Ino } from '@juicefs/core';
import type { MetaState } from './state.js';
import { readOnly, requireAttr } from './tx-util.js';
import { logChange } from './changelog.js';

/** Largest xattr value Linux accepts (XATTR_SIZE_MAX). */
export const MAX_XATTR_VALUE = 65536;

function checkXattrName(name: string): void {
  if (name.length === 0) throw fsError('EINVAL', 'empty extended attribute name');
  if (Buffer.byteLength(name) > 255) throw fsError('ERANGE', `extended attribute name of ${Buffer.byteLength(name)} bytes is longer than 255 bytes`);
}

export async function getXattr(m: MetaState, ino: Ino, name: string): Promise<Buffer> {
  checkXattrName(name);
  // Reads need no write transaction (on SQLite that is BEGIN IMMEDIATE, the file's write lock).
  return readOnly(m, async (tx) => {
    await requireAttr(tx, ino);
    const value = await tx.getXattr(ino, name);
    if (!value) throw fsError('ENODATA', `inode ${ino} has no extended attribute "${name}"`);
    return value;
  });
}

export async function listXattr(m: MetaState, ino: Ino): Promise<string[]> {
  return readOnly(m, async (tx) => {
    await requireAttr(tx, ino);
    return tx.listXattr(ino);
  });
}

export async function setXattr(m: MetaState, ino: Ino, name: string, value: Buffer, flags: number): Promise<void> {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  checkXattrName(name);
  if (value.length > MAX_XATTR_VALUE) {
    throw fsError('E2BIG', `extended attribute value of ${value.length} bytes is larger than ${MAX_XATTR_VALUE} bytes`);
  }
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE) || flags === (XATTR_CREATE | XATTR_REPLACE)) {
    throw fsError('EINVAL', `invalid setxattr flags ${flags}: use 0, XATTR_CREATE or XATTR_REPLACE`);
  }
  await m.store.txn(async (tx) => {
    const attr = await requireAttr(tx, ino);
    if (attr.flags & (AttrFlag.Immutable | AttrFlag.Append)) {
      throw fsError('EPERM', `inode ${ino} is immutable or append-only (chattr)`);
    }
    const old = await tx.getXattr(ino, name);
    if (flags === XATTR_CREATE && old) throw fsError('EEXIST', `extended attribute "${name}" already exists (XATTR_CREATE)`);
    if (flags === XATTR_REPLACE && !old) throw fsError('ENODATA', `extended attribute "${name}" does not exist (XATTR_REPLACE)`);
    tx.setXattr(ino, name, value);
    logChange(m, tx, 'SETXATTR', [ino, name, value, flags]);
  });
}

export async function removeXattr(m: MetaState, ino: Ino, name: string): Promise<void> {
  if (m.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  checkXattrName(name);
  await m.store.txn(async (tx) => {
    const attr = await requireAttr(tx, ino);
    if (attr.flags & (AttrFlag.Immutable | AttrFlag.Append)) {
      throw fsError('EPERM', `inode ${ino} is immutable or append-only (chattr)`);
    }
    if (!(await tx.getXattr(ino, name))) throw fsError('ENODATA', `inode ${ino} has no extended attribute "${name}"`);
    tx.removeXattr(ino, name);
    logChange(m, tx, 'REMOVEXATTR', [ino, name]);
  });
}
