import { ATTR_OUT_SIZE, ATTR_SIZE, ENTRY_OUT_SIZE } from './constants.js';
import { WireWriter } from './wire.js';

/** struct fuse_attr, with the full st_mode (type bits included). Times are Unix seconds + ns. */
export interface FuseAttr {
  ino: bigint;
  size: number;
  /** 512-byte blocks; derived from `size` when absent. */
  blocks?: number;
  atime: number;
  atimensec: number;
  mtime: number;
  mtimensec: number;
  ctime: number;
  ctimensec: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  /** Preferred I/O size; 4096 when absent. */
  blksize?: number;
  /** FUSE_ATTR_SUBMOUNT / FUSE_ATTR_DAX; 0 when absent. */
  flags?: number;
}

/**
 * The answer to LOOKUP, MKDIR, CREATE…: a node and how long (seconds, fractional) the kernel
 * may cache the name and the attributes. Each such reply counts one lookup of `ino` that a
 * later FORGET gives back; `ino` 0 is a negative entry (cached ENOENT).
 */
export interface EntryOut {
  ino: bigint;
  generation?: bigint;
  entryTimeout?: number;
  attrTimeout?: number;
  attr: FuseAttr;
}

export interface AttrOut {
  attrTimeout?: number;
  attr: FuseAttr;
}

/** Split fractional seconds into the (u64 sec, u32 nsec) pairs the kernel wants. */
export function splitTimeout(seconds: number | undefined): [bigint, number] {
  const s = seconds === undefined || !(seconds > 0) ? 0 : seconds;
  const whole = Math.floor(s);
  return [BigInt(whole), Math.min(999_999_999, Math.round((s - whole) * 1e9))];
}

export function writeAttr(w: WireWriter, a: FuseAttr): void {
  w.u64(a.ino)
    .u64(a.size)
    .u64(a.blocks ?? Math.ceil(a.size / 512))
    .u64(Math.max(0, a.atime))
    .u64(Math.max(0, a.mtime))
    .u64(Math.max(0, a.ctime))
    .u32(a.atimensec)
    .u32(a.mtimensec)
    .u32(a.ctimensec)
    .u32(a.mode)
    .u32(a.nlink)
    .u32(a.uid)
    .u32(a.gid)
    .u32(a.rdev)
    .u32(a.blksize ?? 4096)
    .u32(a.flags ?? 0);
}

export function encodeAttr(a: FuseAttr): Buffer {
  const w = new WireWriter(ATTR_SIZE);
  writeAttr(w, a);
  return w.buf;
}

export function writeEntryOut(w: WireWriter, e: EntryOut): void {
  const [es, ens] = splitTimeout(e.entryTimeout);
  const [as, ans] = splitTimeout(e.attrTimeout);
  w.u64(e.ino).u64(e.generation ?? 0n).u64(es).u64(as).u32(ens).u32(ans);
  writeAttr(w, e.attr);
}

/** struct fuse_entry_out (128 bytes). */
export function encodeEntryOut(e: EntryOut): Buffer {
  const w = new WireWriter(ENTRY_OUT_SIZE);
  writeEntryOut(w, e);
  return w.buf;
}

/** struct fuse_attr_out (104 bytes). */
export function encodeAttrOut(a: AttrOut): Buffer {
  const w = new WireWriter(ATTR_OUT_SIZE);
  const [s, ns] = splitTimeout(a.attrTimeout);
  w.u64(s).u32(ns).u32(0);
  writeAttr(w, a.attr);
  return w.buf;
}
