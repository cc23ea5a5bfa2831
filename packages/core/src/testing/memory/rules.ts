import { fsError } from '../../errors/fs-error.js';
import type { ErrnoCode } from '../../errors/errno.js';
import type { Attr } from '../../types/attr.js';
import type { Context } from '../../types/context.js';

/** The longest entry name, in bytes. */
export const MAX_NAME = 255;
/** The longest symlink target, in bytes. */
export const MAX_SYMLINK = 4096;

export function toName(name: Buffer | string): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

/**
 * Validate an entry name the way Linux would for a creating operation: empty -> ENOENT,
 * '/' or NUL -> EINVAL, longer than 255 bytes -> ENAMETOOLONG, and '.'/'..' -> `dotCode`
 * (EEXIST for mkdir/create/mknod/link/symlink, as mkdir(".") gives).
 */
export function checkName(name: Buffer, dotCode: ErrnoCode): void {
  if (name.length === 0) throw fsError('ENOENT', 'empty entry name');
  if (name.length > MAX_NAME) throw fsError('ENAMETOOLONG', `entry name of ${name.length} bytes exceeds ${MAX_NAME}`);
  if (name.includes(0x2f) || name.includes(0)) throw fsError('EINVAL', `entry name "${name.toString()}" contains '/' or NUL`);
  if (isDot(name)) throw fsError(dotCode, `"${name.toString()}" cannot be used here`);
}

export function isDot(name: Buffer): boolean {
  return name.equals(Buffer.from('.')) || name.equals(Buffer.from('..'));
}

function skipsChecks(ctx: Context): boolean {
  return ctx.uid === 0 || ctx.checkPermission === false;
}

/** The rwx bits (4/2/1) `ctx` gets on a node: owner, else group (any of ctx.gids), else other. */
export function grantedBits(ctx: Context, attr: Pick<Attr, 'mode' | 'uid' | 'gid'>): number {
  if (ctx.uid === attr.uid) return (attr.mode >> 6) & 7;
  if (ctx.gid === attr.gid || ctx.gids.includes(attr.gid)) return (attr.mode >> 3) & 7;
  return attr.mode & 7;
}

/** EACCES unless `ctx` has every bit of `mask` (R 4, W 2, X 1); root always passes. */
export function checkAccess(ctx: Context, attr: Pick<Attr, 'mode' | 'uid' | 'gid'>, mask: number, what: string): void {
  if (skipsChecks(ctx) || mask === 0) return;
  const granted = grantedBits(ctx, attr);
  if ((granted & mask) !== mask) {
    throw fsError('EACCES', `uid ${ctx.uid} lacks permission ${mask.toString(8)} on ${what} (mode ${attr.mode.toString(8)})`);
  }
}

/** Sticky directories: only the entry's owner, the directory's owner or root may remove/rename it. */
export function checkSticky(ctx: Context, dir: Attr, child: Attr, name: Buffer): void {
  if (skipsChecks(ctx) || (dir.mode & 0o1000) === 0) return;
  if (ctx.uid !== dir.uid && ctx.uid !== child.uid) {
    throw fsError('EPERM', `sticky directory: uid ${ctx.uid} may not remove "${name.toString()}" owned by ${child.uid}`);
  }
}

export function isOwnerOrRoot(ctx: Context, attr: Pick<Attr, 'uid'>): boolean {
  return skipsChecks(ctx) || ctx.uid === attr.uid;
}
