import { fsError, ROOT_INODE, TRASH_NAME, type Ino } from '@juicefs/core';

/** Longest entry name (bytes), as Linux NAME_MAX. */
export const MAX_NAME = 255;
/** Longest symlink target (bytes), as Linux PATH_MAX. */
export const MAX_SYMLINK = 4096;

export function nameBuffer(name: Buffer | string): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

export function isDot(name: Buffer): boolean {
  return name.length === 1 && name[0] === 0x2e;
}

export function isDotDot(name: Buffer): boolean {
  return name.length === 2 && name[0] === 0x2e && name[1] === 0x2e;
}

export function isDotOrDotDot(name: Buffer): boolean {
  return isDot(name) || isDotDot(name);
}

/** `.trash` directly under the root: the trash root, which no one may create, remove or replace. */
export function isTrashName(parent: Ino, name: Buffer): boolean {
  return parent === ROOT_INODE && name.toString('latin1') === TRASH_NAME;
}

/**
 * Validate one path component: 1..255 bytes, no '/' and no NUL. Callers handle '.' and '..'
 * themselves, because the errno for them depends on the operation (as in Linux).
 */
export function checkName(name: Buffer): void {
  if (name.length === 0) throw fsError('ENOENT', 'empty entry name: a name needs 1 to 255 bytes');
  if (name.length > MAX_NAME) {
    throw fsError('ENAMETOOLONG', `entry name of ${name.length} bytes is longer than ${MAX_NAME} bytes`);
  }
  if (name.includes(0x2f)) throw fsError('EINVAL', `entry name "${name.toString()}" contains '/': pass one path component`);
  if (name.includes(0)) throw fsError('EINVAL', 'entry name contains a NUL byte');
}

export function checkSymlinkTarget(target: Buffer): void {
  if (target.length === 0) throw fsError('ENOENT', 'empty symlink target');
  if (target.length > MAX_SYMLINK) {
    throw fsError('ENAMETOOLONG', `symlink target of ${target.length} bytes is longer than ${MAX_SYMLINK} bytes`);
  }
  if (target.includes(0)) throw fsError('EINVAL', 'symlink target contains a NUL byte');
}

/** Printable form of a name for error messages. */
export function show(name: Buffer): string {
  return JSON.stringify(name.toString());
}
