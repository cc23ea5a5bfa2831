import { fsError, type Attr, type Ino, type NodeType } from '@juicefs/core';
import { big, num, type SqlValue } from './driver.js';
import { NODE_COLUMN_LIST } from './queries.js';

/**
 * `jfs_node` keeps times as microseconds since the epoch plus the remaining nanoseconds 0..999
 * (FORMAT.md 5.3). Floor division keeps pre-1970 times consistent in both directions.
 */
export function toMicros(sec: number, nsec: number): { micros: number; rest: number } {
  return { micros: sec * 1_000_000 + Math.floor(nsec / 1000), rest: nsec % 1000 };
}


/** Bind values for `NODE_COLUMN_LIST` in order. */
export function nodeParams(ino: Ino, a: Attr): SqlValue[] {
  const at = toMicros(a.atime, a.atimensec);
  const mt = toMicros(a.mtime, a.mtimensec);
  const ct = toMicros(a.ctime, a.ctimensec);
  return [
    ino, a.type, a.flags, a.mode & 0o7777, a.uid, a.gid, at.micros, mt.micros, ct.micros, at.rest, mt.rest, ct.rest,
    a.nlink, a.length, a.rdev, a.parent, a.accessACL, a.defaultACL, a.tier,
  ];
}

/** Positions of the columns in NODE_COLUMN_LIST (the SELECT order of every node read). */
function col(name: (typeof NODE_COLUMN_LIST)[number]): number {
  return NODE_COLUMN_LIST.indexOf(name);
}
const Col = {
  inode: col('inode'), type: col('type'), flags: col('flags'), mode: col('mode'), uid: col('uid'), gid: col('gid'),
  atime: col('atime'), mtime: col('mtime'), ctime: col('ctime'), atimensec: col('atimensec'), mtimensec: col('mtimensec'),
  ctimensec: col('ctimensec'), nlink: col('nlink'), length: col('length'), rdev: col('rdev'), parent: col('parent'),
  accessACL: col('access_acl_id'), defaultACL: col('default_acl_id'), tier: col('tier_id'),
};

/** Whether the node columns starting at `at` hold a node (a LEFT JOIN that found none gives NULLs). */
export function hasNode(v: readonly unknown[], at: number): boolean {
  const type = v[at + Col.type];
  return type !== null && type !== undefined;
}

/** Largest integer a JS number holds exactly. */
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/**
 * A column value as a number: SQLite hands integers over as bigints (safeIntegers), PostgreSQL
 * as numbers or strings. The bigint and number cases are written out; the rest, and a bigint no
 * number holds exactly, go to `num`.
 */
function n(v: unknown): number {
  if (typeof v === 'bigint') {
    const x = Number(v);
    return x <= MAX_EXACT && x >= -MAX_EXACT ? x : num(v);
  }
  return typeof v === 'number' ? v : num(v);
}

/** Seconds from `jfs_node`'s microseconds (the inverse of toMicros, with nsecOf). */
function secOf(micros: number): number {
  return Math.floor(micros / 1_000_000);
}

/** Nanoseconds from `jfs_node`'s microseconds, their whole seconds `sec` and the rest 0..999. */
function nsecOf(micros: number, sec: number, rest: number): number {
  return (micros - sec * 1_000_000) * 1000 + rest;
}

/**
 * A node from the values of a row read as an array (SqlConn.rows), its NODE_COLUMN_LIST columns
 * starting at `at`.
 */
export function nodeFromValues(v: readonly unknown[], at: number): Attr {
  // The columns are converted in a loop, not field by field. V8 counts a function's loop
  // iterations towards optimising it, so this decoder is compiled during a mount's first file
  // operations. Written out field by field it became hot only later: in the bench's first burst
  // of stats after a mount, where 100 stats take about 25 ms on two vCPUs, a helper thread spent
  // 7-9 ms compiling it (`--trace-opt`) and the stats slowed to 2567-3889/s from 3914-5300.
  const x = scratch;
  for (let i = 0; i < NODE_COLUMNS; i++) x[i] = i === Col.parent || i === Col.inode ? 0 : n(v[at + i]);
  const type = x[Col.type]!;
  if (type < 1 || type > 7) throw corruptType(v, at, type);
  const atimeSec = secOf(x[Col.atime]!);
  const mtimeSec = secOf(x[Col.mtime]!);
  const ctimeSec = secOf(x[Col.ctime]!);
  return {
    flags: x[Col.flags]!,
    type: type as NodeType,
    mode: x[Col.mode]! & 0o7777,
    uid: x[Col.uid]!,
    gid: x[Col.gid]!,
    atime: atimeSec,
    atimensec: nsecOf(x[Col.atime]!, atimeSec, x[Col.atimensec]!),
    mtime: mtimeSec,
    mtimensec: nsecOf(x[Col.mtime]!, mtimeSec, x[Col.mtimensec]!),
    ctime: ctimeSec,
    ctimensec: nsecOf(x[Col.ctime]!, ctimeSec, x[Col.ctimensec]!),
    nlink: x[Col.nlink]!,
    length: x[Col.length]!,
    rdev: x[Col.rdev]!,
    parent: big(v[at + Col.parent]),
    accessACL: x[Col.accessACL]!,
    defaultACL: x[Col.defaultACL]!,
    tier: x[Col.tier]!,
  };
}

const NODE_COLUMNS = NODE_COLUMN_LIST.length;
/** The converted values of the row being decoded (the decoder never awaits, so one is enough). */
const scratch: number[] = new Array<number>(NODE_COLUMNS).fill(0);

function corruptType(v: readonly unknown[], at: number, type: number): Error {
  return fsError('EIO', `corrupt jfs_node row for inode ${String(v[at + Col.inode])}: type ${type}`);
}
