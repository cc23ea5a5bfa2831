import { S_IFMT, stMode, type Attr, type Context, type NodeType } from '@juicefs/core';
import type { EntryOut, FuseAttr } from '../protocol/index.js';
import type { RequestContext } from '../server/index.js';

// Conversions between the VFS's types and the FUSE wire types.

/**
 * The VFS caller for a mount WITH default_permissions: the kernel has already checked the
 * caller's permissions (with all its groups), so the VFS does not check again (JuiceFS's rule).
 */
export function trustedContext(ctx: RequestContext): Context {
  // Built field by field: a spread plus one more key took V8's slow object-cloning path, ~5 µs
  // of every request in the profile.
  return { uid: ctx.uid, gid: ctx.gid, gids: [ctx.gid], pid: ctx.pid, checkPermission: false };
}

/** The preferred I/O size reported in st_blksize (JuiceFS reports 64 KiB). */
export const BLKSIZE = 0x10000;

export function fuseAttr(ino: bigint, a: Attr): FuseAttr {
  return {
    ino,
    size: a.length,
    blocks: Math.ceil(a.length / 512),
    atime: a.atime,
    atimensec: a.atimensec,
    mtime: a.mtime,
    mtimensec: a.mtimensec,
    ctime: a.ctime,
    ctimensec: a.ctimensec,
    mode: stMode(a),
    nlink: a.nlink,
    uid: a.uid,
    gid: a.gid,
    rdev: a.rdev,
    blksize: BLKSIZE,
  };
}

export function entryOut(r: { ino: bigint; attr: Attr; attrTimeout: number; entryTimeout: number }): EntryOut {
  return { ino: r.ino, attr: fuseAttr(r.ino, r.attr), attrTimeout: r.attrTimeout, entryTimeout: r.entryTimeout };
}

/** DT_* of a node type (st_mode >> 12). */
export function direntTypeOf(type: NodeType): number {
  return S_IFMT[type] >>> 12;
}

/** The VFS numbers handles as JS numbers; the kernel carries them as u64. */
export function fhNumber(fh: bigint): number {
  return Number(fh);
}
