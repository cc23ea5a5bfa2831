/** Protocol version we speak. We answer with min(kernel minor, ours). */
export const FUSE_KERNEL_VERSION = 7;
export const FUSE_KERNEL_MINOR_VERSION = 38;
/** The oldest minor whose structures (init_out with max_pages, 64-byte init) we encode. */
export const FUSE_MIN_MINOR_VERSION = 31;

export const FUSE_ROOT_ID = 1n;
/** The kernel requires read buffers of at least this many bytes. */
export const FUSE_MIN_READ_BUFFER = 8192;

export const IN_HEADER_SIZE = 40;
export const OUT_HEADER_SIZE = 16;
export const ATTR_SIZE = 88;
export const ENTRY_OUT_SIZE = 128;
export const ATTR_OUT_SIZE = 104;
export const INIT_OUT_SIZE = 64;
export const DIRENT_HEADER_SIZE = 24;

/**
 * INIT flags (fuse_init_in/out.flags, low 32 bits). Bits 32-63 travel in `flags2` and are
 * listed in InitFlag2 with the bit position minus 32.
 */
export const InitFlag = {
  ASYNC_READ: 1 << 0,
  POSIX_LOCKS: 1 << 1,
  FILE_OPS: 1 << 2,
  ATOMIC_O_TRUNC: 1 << 3,
  EXPORT_SUPPORT: 1 << 4,
  BIG_WRITES: 1 << 5,
  DONT_MASK: 1 << 6,
  SPLICE_WRITE: 1 << 7,
  SPLICE_MOVE: 1 << 8,
  SPLICE_READ: 1 << 9,
  FLOCK_LOCKS: 1 << 10,
  HAS_IOCTL_DIR: 1 << 11,
  AUTO_INVAL_DATA: 1 << 12,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  ASYNC_DIO: 1 << 15,
  WRITEBACK_CACHE: 1 << 16,
  NO_OPEN_SUPPORT: 1 << 17,
  PARALLEL_DIROPS: 1 << 18,
  HANDLE_KILLPRIV: 1 << 19,
  POSIX_ACL: 1 << 20,
  ABORT_ERROR: 1 << 21,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
  NO_OPENDIR_SUPPORT: 1 << 24,
  EXPLICIT_INVAL_DATA: 1 << 25,
  MAP_ALIGNMENT: 1 << 26,
  SUBMOUNTS: 1 << 27,
  HANDLE_KILLPRIV_V2: 1 << 28,
  SETXATTR_EXT: 1 << 29,
  INIT_EXT: 1 << 30,
  INIT_RESERVED: 2 ** 31,
} as const;

export const InitFlag2 = {
  SECURITY_CTX: 1 << 0,
  HAS_INODE_DAX: 1 << 1,
  CREATE_SUPP_GROUP: 1 << 2,
  HAS_EXPIRE_ONLY: 1 << 3,
  DIRECT_IO_ALLOW_MMAP: 1 << 4,
  PASSTHROUGH: 1 << 5,
  NO_EXPORT_SUPPORT: 1 << 6,
  HAS_RESEND: 1 << 7,
} as const;

/** fuse_setattr_in.valid bits. */
export const FATTR = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
  KILL_SUIDGID: 1 << 11,
} as const;

/** fuse_open_out.open_flags. */
export const FOPEN = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2,
  CACHE_DIR: 1 << 3,
  STREAM: 1 << 4,
  NOFLUSH: 1 << 5,
  PARALLEL_DIRECT_WRITES: 1 << 6,
} as const;

/** fuse_getattr_in.getattr_flags: the fh field is valid. */
export const FUSE_GETATTR_FH = 1;
/** fuse_release_in.release_flags. */
export const FUSE_RELEASE_FLUSH = 1;
export const FUSE_RELEASE_FLOCK_UNLOCK = 2;
/** fuse_lk_in.lk_flags: the lock is a BSD flock, not a POSIX record lock. */
export const FUSE_LK_FLOCK = 1;
/** fuse_fsync_in.fsync_flags: only flush user data (fdatasync). */
export const FUSE_FSYNC_FDATASYNC = 1;
/** fuse_read_in.read_flags: lock_owner is valid. */
export const FUSE_READ_LOCKOWNER = 2;
/** fuse_write_in.write_flags. */
export const FUSE_WRITE_CACHE = 1;
export const FUSE_WRITE_LOCKOWNER = 2;
export const FUSE_WRITE_KILL_SUIDGID = 4;

/** fuse_open_in.open_flags (7.33): the opener lacks CAP_FSETID, so an O_TRUNC kills setuid/setgid. */
export const FUSE_OPEN_KILL_SUIDGID = 1;

/** fcntl lock types as the kernel sends them. */
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;

/** Directory entry types (DT_* of dirent.h) = st_mode >> 12. */
export const DT = {
  UNKNOWN: 0,
  FIFO: 1,
  CHR: 2,
  DIR: 4,
  BLK: 6,
  REG: 8,
  LNK: 10,
  SOCK: 12,
} as const;

/** The DT_* type for a full st_mode. */
export function direntType(stMode: number): number {
  return (stMode >>> 12) & 0xf;
}

/** fuse_ioctl_in.flags. */
export const FUSE_IOCTL = {
  COMPAT: 1 << 0,
  UNRESTRICTED: 1 << 1,
  RETRY: 1 << 2,
  BIT32: 1 << 3,
  DIR: 1 << 4,
} as const;
