import { NodeType, type Attr } from '../types/attr.js';
import { TRASH_INODE, TRASH_NAME, VIRTUAL_INODE_BASE, type Ino } from '../types/inode.js';

/** The mount's virtual files, as JuiceFS numbers them (never stored in the metadata engine). */
export const ACCESSLOG_INODE: Ino = VIRTUAL_INODE_BASE + 1n;
export const CONTROL_INODE: Ino = VIRTUAL_INODE_BASE + 2n;
export const STATS_INODE: Ino = VIRTUAL_INODE_BASE + 3n;
export const CONFIG_INODE: Ino = VIRTUAL_INODE_BASE + 4n;

export interface InternalNode {
  ino: Ino;
  name: string;
  /** Permission bits (all are read-only except `.control`). */
  mode: number;
  type: NodeType;
}

/**
 * In JuiceFS's order: `.control` is found by lookup but never listed; the others are listed in
 * the root unless --hide-internal. `.trash` is a real directory of the metadata engine, listed
 * here so it shows up in the root like upstream's.
 */
export const INTERNAL_NODES: readonly InternalNode[] = [
  { ino: CONTROL_INODE, name: '.control', mode: 0o666, type: NodeType.File },
  { ino: ACCESSLOG_INODE, name: '.accesslog', mode: 0o400, type: NodeType.File },
  { ino: STATS_INODE, name: '.stats', mode: 0o444, type: NodeType.File },
  { ino: CONFIG_INODE, name: '.config', mode: 0o400, type: NodeType.File },
  { ino: TRASH_INODE, name: TRASH_NAME, mode: 0o555, type: NodeType.Directory },
];

/** Virtual file inodes (the trash is not one: the engine stores it). */
export function isVirtualInode(ino: Ino): boolean {
  return ino >= VIRTUAL_INODE_BASE && ino < TRASH_INODE;
}

/** The prefix --prefix-internal puts before the virtual files' names (the trash keeps its name). */
export const INTERNAL_PREFIX = '.jfs';

/** A node's name in the mount: `.jfs.stats` rather than `.stats` with --prefix-internal. */
export function internalName(node: InternalNode, prefixed: boolean): string {
  return prefixed && node.ino !== TRASH_INODE ? INTERNAL_PREFIX + node.name : node.name;
}

export function internalNodeByName(name: string, prefixed = false): InternalNode | undefined {
  if (!name.startsWith('.')) return undefined;
  return INTERNAL_NODES.find((n) => internalName(n, prefixed) === name);
}

export function internalNodeByIno(ino: Ino): InternalNode | undefined {
  return INTERNAL_NODES.find((n) => n.ino === ino);
}

/** Attributes of a virtual node: owned by the process's user, times of the VFS's start. */
export function internalAttr(node: InternalNode, length: number, startSec: number): Attr {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const gid = typeof process.getgid === 'function' ? process.getgid() : 0;
  const isDir = node.type === NodeType.Directory;
  return {
    flags: 0,
    type: node.type,
    mode: node.mode,
    uid: isDir ? 0 : uid,
    gid: isDir ? 0 : gid,
    atime: startSec,
    atimensec: 0,
    mtime: startSec,
    mtimensec: 0,
    ctime: startSec,
    ctimensec: 0,
    nlink: isDir ? 2 : 1,
    length,
    rdev: 0,
    parent: 1n,
    accessACL: 0,
    defaultACL: 0,
    tier: 0,
  };
}
