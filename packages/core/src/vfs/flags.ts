/** open(2) flags as Linux x86-64/arm64 numbers them (the FUSE layer passes the kernel's value through). */
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DIRECT = 0o40000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;

import { fsError } from '../errors/fs-error.js';
import { AttrFlag } from '../types/attr.js';

/**
 * chattr rules of open(2) (Linux may_open, JuiceFS base.go Open): an immutable node never opens
 * for writing or truncation, even for root; an append-only one only with O_APPEND and no O_TRUNC.
 * Checked in the VFS too so every Meta implementation gets them.
 */
export function checkOpenFlags(attrFlags: number, flags: number, what: string): void {
  const writes = canWrite(flags) || (flags & O_TRUNC) !== 0;
  if (!writes) return;
  if (attrFlags & AttrFlag.Immutable) throw fsError('EPERM', `${what} is immutable (chattr +i): clear the flag before writing`);
  if (attrFlags & AttrFlag.Append && ((flags & O_APPEND) === 0 || (flags & O_TRUNC) !== 0)) {
    throw fsError('EPERM', `${what} is append-only (chattr +a): open it with O_APPEND and without O_TRUNC`);
  }
}

/** lseek(2) whence values. */
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

/** Whether an open with `flags` may read / write. */
export function canRead(flags: number): boolean {
  const acc = flags & O_ACCMODE;
  return acc === O_RDONLY || acc === O_RDWR;
}

export function canWrite(flags: number): boolean {
  const acc = flags & O_ACCMODE;
  return acc === O_WRONLY || acc === O_RDWR;
}
