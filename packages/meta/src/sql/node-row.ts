import { fsError, type Attr, type Ino, type NodeType } from '@juicefs/core';
import { big, num, type Row, type SqlValue } from './driver.js';
import { NODE_COLUMN_LIST } from './queries.js';

/**
 * `jfs_node` keeps times as microseconds since the epoch plus the remaining nanoseconds 0..999
 * (FORMAT.md 5.3). Floor division keeps pre-1970 times consistent in both directions.
 */
export function toMicros(sec: number, nsec: number): { micros: number; rest: number } {
  return { micros: sec * 1_000_000 + Math.floor(nsec / 1000), rest: nsec % 1000 };
}

export function fromMicros(micros: number, rest: number): { sec: number; nsec: number } {
  const sec = Math.floor(micros / 1_000_000);
  return { sec, nsec: (micros - sec * 1_000_000) * 1000 + rest };
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

/** A node from a row read as an object (`all`), for the reads that are not on a hot path. */
export function nodeFromRow(row: Row): Attr {
  return nodeFromValues(NODE_COLUMN_LIST.map((k) => row[k]), 0);
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

/**
 * A node from the values of a row read as an array (SqlConn.rows), its NODE_COLUMN_LIST columns
 * starting at `at`. Objects rows come through here too, their values picked out first.
 */
export function nodeFromValues(v: readonly unknown[], at: number): Attr {
  const type = num(v[at + Col.type]);
  if (type < 1 || type > 7) throw fsError('EIO', `corrupt jfs_node row for inode ${String(v[at + Col.inode])}: type ${type}`);
  const at_ = fromMicros(num(v[at + Col.atime]), num(v[at + Col.atimensec]));
  const mt = fromMicros(num(v[at + Col.mtime]), num(v[at + Col.mtimensec]));
  const ct = fromMicros(num(v[at + Col.ctime]), num(v[at + Col.ctimensec]));
  return {
    flags: num(v[at + Col.flags]),
    type: type as NodeType,
    mode: num(v[at + Col.mode]) & 0o7777,
    uid: num(v[at + Col.uid]),
    gid: num(v[at + Col.gid]),
    atime: at_.sec,
    atimensec: at_.nsec,
    mtime: mt.sec,
    mtimensec: mt.nsec,
    ctime: ct.sec,
    ctimensec: ct.nsec,
    nlink: num(v[at + Col.nlink]),
    length: num(v[at + Col.length]),
    rdev: num(v[at + Col.rdev]),
    parent: big(v[at + Col.parent]),
    accessACL: num(v[at + Col.accessACL]),
    defaultACL: num(v[at + Col.defaultACL]),
    tier: num(v[at + Col.tier]),
  };
}
