import { AttrFlag, fsError, NodeType, R_OK, W_OK, X_OK, type Attr, type Context } from '@juicefs/core';

/** False when the caller asked to skip permission checks (trusted services, admin tools). */
export function checksPermission(ctx: Context): boolean {
  return ctx.checkPermission !== false;
}

export function inGroup(ctx: Context, gid: number): boolean {
  return ctx.gid === gid || ctx.gids.includes(gid);
}

/** The rwx bits (4/2/1) the caller has on a node: owner, else group member, else other. */
export function accessBits(attr: Pick<Attr, 'mode' | 'uid' | 'gid'>, ctx: Context): number {
  if (ctx.uid === attr.uid) return (attr.mode >> 6) & 7;
  if (inGroup(ctx, attr.gid)) return (attr.mode >> 3) & 7;
  return attr.mode & 7;
}

/**
 * Whether the caller may access the node with `mask` (R_OK|W_OK|X_OK). Root may do anything
 * except execute a non-directory that has no execute bit at all, as on Linux.
 */
export function mayAccess(attr: Attr, ctx: Context, mask: number): boolean {
  if (!checksPermission(ctx)) return true;
  if (ctx.uid === 0) {
    return (mask & X_OK) === 0 || attr.type === NodeType.Directory || (attr.mode & 0o111) !== 0;
  }
  const bits = accessBits(attr, ctx);
  return (bits & mask) === mask;
}

export function checkAccess(attr: Attr, ctx: Context, mask: number, what: string): void {
  if (!mayAccess(attr, ctx, mask)) {
    const need = `${mask & R_OK ? 'r' : ''}${mask & W_OK ? 'w' : ''}${mask & X_OK ? 'x' : ''}`;
    throw fsError('EACCES', `uid ${ctx.uid} lacks ${need} permission on ${what} (mode ${attr.mode.toString(8)})`);
  }
}

/** Write+search on a directory whose entries change. */
export function checkDirWrite(dir: Attr, ctx: Context, what: string): void {
  checkAccess(dir, ctx, W_OK | X_OK, what);
}

/**
 * Sticky directories (mode 01000): only the owner of the entry, the owner of the directory or
 * root may remove or rename an entry. Linux answers EPERM.
 */
export function checkSticky(dir: Attr, node: Attr, ctx: Context, what: string): void {
  if (!checksPermission(ctx) || ctx.uid === 0 || (dir.mode & 0o1000) === 0) return;
  if (ctx.uid === dir.uid || ctx.uid === node.uid) return;
  throw fsError('EPERM', `sticky directory: uid ${ctx.uid} owns neither ${what} nor its directory`);
}

/** Immutable or append-only nodes cannot be changed structurally (chattr +i / +a). */
export function checkMutable(attr: Attr, what: string): void {
  if (attr.flags & (AttrFlag.Immutable | AttrFlag.Append)) {
    throw fsError('EPERM', `${what} is immutable or append-only (chattr): clear the flag first`);
  }
}

export function isOwnerOrRoot(attr: Attr, ctx: Context): boolean {
  return !checksPermission(ctx) || ctx.uid === 0 || ctx.uid === attr.uid;
}
