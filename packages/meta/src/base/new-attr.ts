import { NodeType, ROOT_CONTEXT, type Attr, type Context, type Ino } from '@juicefs/core';
import { now } from './tx-util.js';

// The attributes a node is born with: one place for every field, for nodes users create and for
// the directories the file system makes itself.

export interface NewNode {
  type: NodeType;
  mode: number;
  cumask: number;
  rdev?: number;
  target?: Buffer;
}

/** Attributes of a new node as Linux would set them (umask, setgid directories, tier). */
export function initialAttr(ctx: Context, parent: Ino, pattr: Attr | undefined, node: NewNode): Attr {
  const t = now();
  let mode = node.mode & 0o7777 & ~node.cumask;
  let gid = ctx.gid;
  if (pattr && pattr.mode & 0o2000) {
    gid = pattr.gid; // BSD group semantics in setgid directories
    if (node.type === NodeType.Directory) mode |= 0o2000;
  }
  const length =
    node.type === NodeType.Directory ? 4096 : node.type === NodeType.Symlink ? (node.target?.length ?? 0) : 0;
  return {
    flags: 0,
    type: node.type,
    mode,
    uid: ctx.uid,
    gid,
    atime: t.sec,
    atimensec: t.nsec,
    mtime: t.sec,
    mtimensec: t.nsec,
    ctime: t.sec,
    ctimensec: t.nsec,
    nlink: node.type === NodeType.Directory ? 2 : 1,
    length,
    rdev: node.type === NodeType.BlockDev || node.type === NodeType.CharDev ? (node.rdev ?? 0) : 0,
    parent,
    accessACL: 0,
    defaultACL: 0,
    tier: pattr?.tier ?? 0,
  };
}

/** A directory owned by root and created now: the root, the trash root and trash hour directories. */
export function systemDirAttr(mode: number, parent: Ino): Attr {
  return initialAttr(ROOT_CONTEXT, parent, undefined, { type: NodeType.Directory, mode, cumask: 0 });
}
