/**
 * Inode numbers are unsigned 64-bit and some reserved ones (the trash, the mount's virtual
 * files) lie above 2^53, where a JS number silently loses precision. We therefore carry every
 * inode as a `bigint`, end to end: engines, dump JSON, the FUSE protocol (which is u64 anyway).
 */
export type Ino = bigint;

export const ROOT_INODE: Ino = 1n;
/** First inode of the mount's virtual files (`.accesslog` is +1, `.control` +2, `.stats` +3, `.config` +4). */
export const VIRTUAL_INODE_BASE: Ino = 0x7fffffff00000000n;
/** The trash root `.trash`; its sub-directories are TRASH_INODE + N. */
export const TRASH_INODE: Ino = 0x7fffffff10000000n;
export const TRASH_NAME = '.trash';
export const MAX_INODE: Ino = 0xffffffffffffffffn;

export function isTrash(ino: Ino): boolean {
  return ino >= TRASH_INODE;
}

/** Parse a decimal inode (from a Redis key, a dump, a CLI argument) exactly. */
export function parseIno(text: string): Ino {
  if (!/^[0-9]+$/.test(text)) throw new RangeError(`not an inode number: "${text}"`);
  const ino = BigInt(text);
  if (ino > MAX_INODE) throw new RangeError(`inode number out of range: ${text}`);
  return ino;
}
