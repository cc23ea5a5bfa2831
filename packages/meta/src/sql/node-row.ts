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

export function nodeFromRow(row: Row): Attr {
  const type = num(row['type']);
  if (type < 1 || type > 7) throw fsError('EIO', `corrupt jfs_node row for inode ${String(row['inode'])}: type ${type}`);
  const at = fromMicros(num(row['atime']), num(row['atimensec']));
  const mt = fromMicros(num(row['mtime']), num(row['mtimensec']));
  const ct = fromMicros(num(row['ctime']), num(row['ctimensec']));
  return {
    flags: num(row['flags']),
    type: type as NodeType,
    mode: num(row['mode']) & 0o7777,
    uid: num(row['uid']),
    gid: num(row['gid']),
    atime: at.sec,
    atimensec: at.nsec,
    mtime: mt.sec,
    mtimensec: mt.nsec,
    ctime: ct.sec,
    ctimensec: ct.nsec,
    nlink: num(row['nlink']),
    length: num(row['length']),
    rdev: num(row['rdev']),
    parent: big(row['parent']),
    accessACL: num(row['access_acl_id']),
    defaultACL: num(row['default_acl_id']),
    tier: num(row['tier_id']),
  };
}
