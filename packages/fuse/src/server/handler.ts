import type {
  AttrOut,
  CopyFileRangeIn,
  CreateIn,
  DirentBuffer,
  EntryOut,
  FallocateIn,
  FileLock,
  ForgetOne,
  IoctlIn,
  LkIn,
  MknodIn,
  OpenOut,
  ReadIn,
  ReleaseIn,
  SetattrIn,
  StatfsOut,
  WriteIn,
} from '../protocol/index.js';

export type Awaitable<T> = T | Promise<T>;

/** Who sent a request, and a signal that fires when the kernel interrupts it (or the session ends). */
export interface RequestContext {
  uid: number;
  gid: number;
  pid: number;
  unique: bigint;
  signal: AbortSignal;
}

/** Messages a handler may send the kernel unasked (FUSE notifications). */
export interface FuseNotifier {
  /**
   * The kernel's cached attributes of `ino` are stale (FUSE_NOTIFY_INVAL_INODE, attributes only):
   * its next stat asks again. A no-op for an inode the kernel does not hold.
   */
  invalidateAttributes(ino: bigint): void;
}

/** What the session negotiated with the kernel at INIT. */
export interface ConnectionInfo {
  major: number;
  minor: number;
  /** Negotiated INIT flags (low and high words). */
  flags: number;
  flags2: number;
  maxWrite: number;
  maxReadahead: number;
}

/**
 * An inode-based file system as the FUSE server sees it. Every method is optional: a missing
 * one answers ENOSYS, and the kernel usually stops asking. Throw an error whose `code` is an
 * errno name (`fsError('ENOENT', …)`) to fail a request; anything else becomes EIO.
 *
 * Lookup counting: every successful reply carrying an EntryOut (lookup, mknod, mkdir, symlink,
 * link, create, and readdirplus entries other than "." and "..") adds one to the node's lookup
 * count; `forget` gives counts back. A node may be dropped when its count reaches 0.
 */
export interface FuseHandler {
  /**
   * The handler clears setuid/setgid itself, as FUSE_HANDLE_KILLPRIV_V2 asks: on a WRITE with
   * FUSE_WRITE_KILL_SUIDGID, a SETATTR with FATTR_KILL_SUIDGID (truncate) or with no attribute at
   * all (the kernel's remove-privileges call before a write, fallocate or copy), an OPEN with
   * FUSE_OPEN_KILL_SUIDGID (O_TRUNC), and on chown. The kernel then no longer fetches the
   * attributes before each chown (one GETATTR fewer for `tar`, `cp -a`, `rsync -a` as root).
   */
  readonly handleKillpriv?: boolean;
  /** `notify` sends the kernel notifications, from this call on (see FuseNotifier). */
  init?(conn: ConnectionInfo, notify: FuseNotifier): Awaitable<void>;
  /** The kernel is tearing the connection down (unmount). */
  destroy?(): Awaitable<void>;

  lookup?(ctx: RequestContext, parent: bigint, name: Buffer): Promise<EntryOut>;
  /** FORGET and BATCH_FORGET; never replied to, so it cannot fail. */
  forget?(items: readonly ForgetOne[]): void;
  /** `fh` is present for fstat on an open file. */
  getattr?(ctx: RequestContext, ino: bigint, fh: bigint | undefined): Promise<AttrOut>;
  setattr?(ctx: RequestContext, ino: bigint, set: SetattrIn): Promise<AttrOut>;
  readlink?(ctx: RequestContext, ino: bigint): Promise<Buffer>;
  symlink?(ctx: RequestContext, parent: bigint, name: Buffer, target: Buffer): Promise<EntryOut>;
  mknod?(ctx: RequestContext, parent: bigint, req: MknodIn): Promise<EntryOut>;
  mkdir?(ctx: RequestContext, parent: bigint, name: Buffer, mode: number, umask: number): Promise<EntryOut>;
  unlink?(ctx: RequestContext, parent: bigint, name: Buffer): Promise<void>;
  rmdir?(ctx: RequestContext, parent: bigint, name: Buffer): Promise<void>;
  /** RENAME and RENAME2; `flags` RENAME_NOREPLACE / RENAME_EXCHANGE (0 for plain rename). */
  rename?(ctx: RequestContext, parent: bigint, name: Buffer, newParent: bigint, newName: Buffer, flags: number): Promise<void>;
  link?(ctx: RequestContext, ino: bigint, newParent: bigint, newName: Buffer): Promise<EntryOut>;

  /**
   * With ATOMIC_O_TRUNC negotiated, O_TRUNC in `flags` must truncate here. `openFlags`: the
   * kernel's FUSE_OPEN_* flags (FUSE_OPEN_KILL_SUIDGID, see `handleKillpriv`).
   */
  open?(ctx: RequestContext, ino: bigint, flags: number, openFlags?: number): Promise<OpenOut>;
  /** Return at most `req.size` bytes; fewer means end of file. */
  read?(ctx: RequestContext, ino: bigint, req: ReadIn): Promise<Buffer>;
  /** Return the number of bytes written. */
  write?(ctx: RequestContext, ino: bigint, req: WriteIn): Promise<number>;
  flush?(ctx: RequestContext, ino: bigint, fh: bigint, lockOwner: bigint): Promise<void>;
  release?(ctx: RequestContext, ino: bigint, req: ReleaseIn): Promise<void>;
  fsync?(ctx: RequestContext, ino: bigint, fh: bigint, datasync: boolean): Promise<void>;
  create?(ctx: RequestContext, parent: bigint, req: CreateIn): Promise<{ entry: EntryOut; open: OpenOut }>;
  fallocate?(ctx: RequestContext, ino: bigint, req: FallocateIn): Promise<void>;
  /** SEEK_DATA / SEEK_HOLE; return the resulting offset. */
  lseek?(ctx: RequestContext, ino: bigint, fh: bigint, offset: number, whence: number): Promise<number>;
  copyFileRange?(ctx: RequestContext, ino: bigint, req: CopyFileRangeIn): Promise<number>;

  statfs?(ctx: RequestContext, ino: bigint): Promise<StatfsOut>;
  access?(ctx: RequestContext, ino: bigint, mask: number): Promise<void>;

  setxattr?(ctx: RequestContext, ino: bigint, name: Buffer, value: Buffer, flags: number): Promise<void>;
  /** The whole value; the server answers size probes and ERANGE itself. */
  getxattr?(ctx: RequestContext, ino: bigint, name: Buffer): Promise<Buffer>;
  listxattr?(ctx: RequestContext, ino: bigint): Promise<readonly (string | Buffer)[]>;
  removexattr?(ctx: RequestContext, ino: bigint, name: Buffer): Promise<void>;

  opendir?(ctx: RequestContext, ino: bigint, flags: number): Promise<OpenOut>;
  /** Fill `out` starting after cookie `offset` (0 = start) until `out.add` returns false. */
  readdir?(ctx: RequestContext, ino: bigint, fh: bigint, offset: number, out: DirentBuffer): Promise<void>;
  /** As readdir, with an EntryOut per record; negotiated only when implemented. */
  readdirplus?(ctx: RequestContext, ino: bigint, fh: bigint, offset: number, out: DirentBuffer): Promise<void>;
  releasedir?(ctx: RequestContext, ino: bigint, fh: bigint): Promise<void>;
  fsyncdir?(ctx: RequestContext, ino: bigint, fh: bigint, datasync: boolean): Promise<void>;

  /**
   * A restricted ioctl (the kernel sized its input and output from the command number): return
   * at most `req.outSize` bytes of output. Unknown commands should fail with ENOTTY.
   */
  ioctl?(ctx: RequestContext, ino: bigint, req: IoctlIn): Promise<Buffer>;

  /** F_GETLK: the first conflicting lock, or one with type F_UNLCK. */
  getlk?(ctx: RequestContext, ino: bigint, req: LkIn): Promise<FileLock>;
  /** F_SETLK / F_SETLKW (`block`) and flock(2) (`req.flock`). */
  setlk?(ctx: RequestContext, ino: bigint, req: LkIn, block: boolean): Promise<void>;
}
