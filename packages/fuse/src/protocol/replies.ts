import { INIT_OUT_SIZE } from './constants.js';
import type { FileLock } from './requests.js';
import { WireWriter } from './wire.js';

// Encoders of reply payloads (the bytes after fuse_out_header), one per struct of linux/fuse.h.

export interface OpenOut {
  fh: bigint;
  /** FOPEN_* bits (direct I/O, keep cache…). */
  openFlags?: number;
}

/** struct fuse_open_out (16 bytes): OPEN, OPENDIR and the second half of CREATE. */
export function encodeOpenOut(o: OpenOut): Buffer {
  return new WireWriter(16).u64(o.fh).u32(o.openFlags ?? 0).u32(0).buf;
}

/** struct fuse_write_out: WRITE and COPY_FILE_RANGE answer with the byte count. */
export function encodeWriteOut(size: number): Buffer {
  return new WireWriter(8).u32(size).u32(0).buf;
}

/** struct fuse_getxattr_out: the size a GETXATTR/LISTXATTR with size 0 needs. */
export function encodeXattrSize(size: number): Buffer {
  return new WireWriter(8).u32(size).u32(0).buf;
}

/** The LISTXATTR payload: names, each NUL-terminated. */
export function encodeXattrList(names: readonly (string | Buffer)[]): Buffer {
  return Buffer.concat(names.map((n) => Buffer.concat([Buffer.from(n), Buffer.alloc(1)])));
}

export interface StatfsOut {
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
  frsize: number;
}

/** struct fuse_statfs_out (struct fuse_kstatfs, 80 bytes). */
export function encodeStatfs(s: StatfsOut): Buffer {
  const w = new WireWriter(80);
  w.u64(s.blocks).u64(s.bfree).u64(s.bavail).u64(s.files).u64(s.ffree);
  w.u32(s.bsize).u32(s.namelen).u32(s.frsize);
  return w.buf;
}

/** struct fuse_lk_out (24 bytes): GETLK's conflicting lock, or type F_UNLCK. */
export function encodeLkOut(l: FileLock): Buffer {
  return new WireWriter(24).u64(l.start).u64(l.end).u32(l.type).u32(l.pid).buf;
}

export function encodeLseekOut(offset: number): Buffer {
  return new WireWriter(8).u64(offset).buf;
}

export interface InitOut {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
  flags2: number;
  maxBackground: number;
  congestionThreshold: number;
  maxWrite: number;
  /** Timestamp granularity in ns (1 = nanosecond times). */
  timeGran: number;
  maxPages: number;
}

/** struct fuse_init_out (64 bytes since 7.23). */
export function encodeInitOut(o: InitOut): Buffer {
  const w = new WireWriter(INIT_OUT_SIZE);
  w.u32(o.major).u32(o.minor).u32(o.maxReadahead).u32(o.flags);
  w.u16(o.maxBackground).u16(o.congestionThreshold).u32(o.maxWrite).u32(o.timeGran);
  w.u16(o.maxPages).u16(0).u32(o.flags2);
  return w.buf;
}

/** struct fuse_ioctl_out (16 bytes): the ioctl's return value; its output bytes follow. */
export function encodeIoctlOut(result: number): Buffer {
  return new WireWriter(16).i32(result).u32(0).u32(0).u32(0).buf;
}
