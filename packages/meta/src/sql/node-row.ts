import { fsError, type Attr, type Ino, type NodeType } from '@juicefs/core';
import { big, num, type Row, type SqlValue } from './driver.js';

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

/** Column keys of a node row, optionally prefixed (joined reads alias the child's as `c_…`). */
function keysOf(prefix: string) {
  const k = (c: string) => `${prefix}${c}`;
  return {
    inode: k('inode'), type: k('type'), flags: k('flags'), mode: k('mode'), uid: k('uid'), gid: k('gid'),
    atime: k('atime'), mtime: k('mtime'), ctime: k('ctime'), atimensec: k('atimensec'), mtimensec: k('mtimensec'),
    ctimensec: k('ctimensec'), nlink: k('nlink'), length: k('length'), rdev: k('rdev'), parent: k('parent'),
    accessACL: k('access_acl_id'), defaultACL: k('default_acl_id'), tier: k('tier_id'),
  };
}

const PLAIN = keysOf('');
const CHILD = keysOf('c_');

export function nodeFromRow(row: Row): Attr {
  return decodeNode(row, PLAIN);
}

/** The child node of a `lookupEntry` row (columns `c_…`); the caller checks it is present. */
export function childNodeFromRow(row: Row): Attr {
  return decodeNode(row, CHILD);
}

function decodeNode(row: Row, k: ReturnType<typeof keysOf>): Attr {
  const type = num(row[k.type]);
  if (type < 1 || type > 7) throw fsError('EIO', `corrupt jfs_node row for inode ${String(row[k.inode])}: type ${type}`);
  const at = fromMicros(num(row[k.atime]), num(row[k.atimensec]));
  const mt = fromMicros(num(row[k.mtime]), num(row[k.mtimensec]));
  const ct = fromMicros(num(row[k.ctime]), num(row[k.ctimensec]));
  return {
    flags: num(row[k.flags]),
    type: type as NodeType,
    mode: num(row[k.mode]) & 0o7777,
    uid: num(row[k.uid]),
    gid: num(row[k.gid]),
    atime: at.sec,
    atimensec: at.nsec,
    mtime: mt.sec,
    mtimensec: mt.nsec,
    ctime: ct.sec,
    ctimensec: ct.nsec,
    nlink: num(row[k.nlink]),
    length: num(row[k.length]),
    rdev: num(row[k.rdev]),
    parent: big(row[k.parent]),
    accessACL: num(row[k.accessACL]),
    defaultACL: num(row[k.defaultACL]),
    tier: num(row[k.tier]),
  };
}
