import type { Ino } from './inode.js';

/** Node types as JuiceFS numbers them (section 1 of FORMAT.md). */
export const NodeType = {
  File: 1,
  Directory: 2,
  Symlink: 3,
  FIFO: 4,
  BlockDev: 5,
  CharDev: 6,
  Socket: 7,
} as const;
export type NodeType = (typeof NodeType)[keyof typeof NodeType];

/** Names used by `juicefs dump` for each type. */
export const NODE_TYPE_NAMES: Record<NodeType, string> = {
  1: 'regular',
  2: 'directory',
  3: 'symlink',
  4: 'fifo',
  5: 'blockdev',
  6: 'chardev',
  7: 'socket',
};

/** The S_IFMT bits of st_mode for each type. */
export const S_IFMT: Record<NodeType, number> = {
  1: 0o100000,
  2: 0o040000,
  3: 0o120000,
  4: 0o010000,
  5: 0o060000,
  6: 0o020000,
  7: 0o140000,
};

export function typeFromMode(stMode: number): NodeType | undefined {
  const fmt = stMode & 0o170000;
  for (const [t, bits] of Object.entries(S_IFMT)) if (bits === fmt) return Number(t) as NodeType;
  return undefined;
}

/** Attribute flags (chattr). Unknown bits must be preserved when rewriting a record. */
export const AttrFlag = {
  Immutable: 1,
  Append: 2,
  Hidden: 4,
  System: 8,
  Archive: 16,
  SkipTrash: 32,
} as const;

/**
 * A node's attributes. Times are seconds since the epoch plus a nanosecond part. `length` and
 * the ids are JS numbers: they are exact up to 2^53 (8 PiB, 9e15 slices), and decoders reject
 * larger values with EOVERFLOW rather than rounding them.
 */
export interface Attr {
  flags: number;
  type: NodeType;
  /** The 12 permission bits (rwx ugo + setuid/setgid/sticky); the type is kept in `type`. */
  mode: number;
  uid: number;
  gid: number;
  atime: number;
  atimensec: number;
  mtime: number;
  mtimensec: number;
  ctime: number;
  ctimensec: number;
  nlink: number;
  length: number;
  rdev: number;
  /** Containing directory; 0n for a node that has ever had a second hard link. */
  parent: Ino;
  accessACL: number;
  defaultACL: number;
  tier: number;
}

/** The full st_mode (type bits | permission bits). */
export function stMode(attr: Pick<Attr, 'type' | 'mode'>): number {
  return S_IFMT[attr.type] | (attr.mode & 0o7777);
}

/** `align4K(n)`: the space charged for a node (4096 for an empty file and every non-file). */
export function align4K(length: number): number {
  if (length <= 0) return 4096;
  return Math.ceil(length / 4096) * 4096;
}

export interface Timespec {
  sec: number;
  nsec: number;
}

/**
 * The wall clock with nanosecond digits, never going backwards within a process. Wall time has
 * only millisecond resolution in Node, so the monotonic clock supplies the finer digits. A reading
 * must fall inside the wall clock's current millisecond; when the two clocks drift apart (a clock
 * step, or the slow drift between them on a VM) the monotonic clock is re-anchored to the wall
 * clock, so a timestamp is never more than a millisecond off what `date` says. Every reading is at
 * least the previous one, so ctime/mtime never run backwards.
 */
const NS_PER_MS = 1_000_000n;
let clockBase = BigInt(Date.now()) * NS_PER_MS - process.hrtime.bigint();
let lastNs = 0n;
export function nowTimespec(): Timespec {
  let ns = clockBase + process.hrtime.bigint();
  const wall = BigInt(Date.now()) * NS_PER_MS;
  if (ns < wall || ns >= wall + NS_PER_MS) {
    clockBase += wall - ns;
    ns = wall;
  }
  if (ns < lastNs) ns = lastNs;
  lastNs = ns;
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

/**
 * A SETATTR request. Absent fields are left alone (UTIME_OMIT); `'now'` is UTIME_NOW.
 * `size` truncates/extends a regular file.
 */
export interface SetAttrRequest {
  mode?: number;
  uid?: number;
  gid?: number;
  atime?: Timespec | 'now';
  mtime?: Timespec | 'now';
  ctime?: Timespec;
  size?: number;
  flags?: number;
  /** Storage tier (JuiceFS 1.4, 0-3; `juicefs tier set`): root only. */
  tier?: number;
  /**
   * Clear setuid and setgid from a regular file as Linux does when a caller without CAP_FSETID
   * writes or truncates it (see setidToKill; the kernel's FUSE_HANDLE_KILLPRIV_V2 leaves this to
   * the file system). A side effect of the caller's write, so no ownership is needed; a file
   * without bits to clear is left as it is (ctime too).
   */
  killSetid?: boolean;
}

/**
 * The bits a write or truncate by a caller without CAP_FSETID clears from a node (0: none), as
 * Linux's setattr_should_drop_suidgid: setuid always; setgid where the group may execute, or
 * where the caller (`gids`, all its groups) is not in the file's group. A member's write keeps a
 * setgid without group execute (mandatory locking). Regular files only.
 */
export function setidToKill(attr: Pick<Attr, 'type' | 'mode' | 'gid'>, gids: readonly number[]): number {
  if (attr.type !== NodeType.File) return 0;
  const setgid = (attr.mode & 0o2000) !== 0 && ((attr.mode & 0o010) !== 0 || !gids.includes(attr.gid));
  return (attr.mode & 0o4000) | (setgid ? 0o2000 : 0);
}

/** A regular file with setuid or setgid: one a write without CAP_FSETID may have to change. */
export function hasSetid(attr: Pick<Attr, 'type' | 'mode'>): boolean {
  return attr.type === NodeType.File && (attr.mode & 0o6000) !== 0;
}

/** `mode` without what chown clears: setuid, and setgid where the group may execute. */
export function withoutSetid(mode: number): number {
  return mode & ((mode & 0o010) !== 0 ? ~0o6000 : ~0o4000);
}

export interface Entry {
  name: Buffer;
  ino: Ino;
  type: NodeType;
  /** Present when the caller asked for attributes (readdirplus). */
  attr?: Attr;
}
