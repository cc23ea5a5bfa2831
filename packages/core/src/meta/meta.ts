import type { Attr, Entry, SetAttrRequest } from '../types/attr.js';
import type { Context } from '../types/context.js';
import type { Format } from '../types/format.js';
import type { Ino } from '../types/inode.js';
import type { DirStat, PosixLockRecord, PosixLockRequest, Session, SessionInfo, StatFS } from '../types/session.js';
import type { Slice } from '../types/slice.js';
import type { OwnerQuotaAdmin } from './owner-quota.js';
import type { TimedCount } from '../chunk/store.js';

/** RENAME2 flags (linux/fs.h). */
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

/** setxattr flags. */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** fallocate modes (linux/falloc.h). */
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
export const FALLOC_FL_ZERO_RANGE = 0x10;
export const FALLOC_FL_INSERT_RANGE = 0x20;

/** access(2) mask bits. */
export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

export interface NodeResult {
  ino: Ino;
  attr: Attr;
  /**
   * The directory's attributes as the operation left them (mknod, mkdir, create, symlink), when
   * the engine knows them: the caller may cache them instead of asking again, as the kernel does
   * after each new name (its permission check of the next path walk).
   */
  parentAttr?: Attr;
}

export interface ReaddirOptions {
  /** Return attributes with each entry (readdirplus). */
  plus?: boolean;
  /** Opaque cursor from the previous page; absent for the first page. */
  cursor?: string;
  /** Maximum entries in this page (the engine may return fewer). */
  limit?: number;
}

export interface ReaddirPage {
  /** Entries of this page; never includes "." or "..". */
  entries: Entry[];
  /** Pass back to get the next page; absent when this was the last page. */
  cursor?: string;
}

/** How a blocking flock/setlk may stop waiting. */
export interface LockWaitOptions {
  /**
   * Aborting it ends the wait with EINTR (a FUSE INTERRUPT of SETLKW, a killed waiter, the mount
   * going away). A wait that has already been granted is not undone.
   */
  signal?: AbortSignal;
}

export interface NewSessionOptions {
  info?: Partial<SessionInfo>;
  /** Seconds between heartbeats; the session expires after 5 of them (default 12). */
  heartbeat?: number;
  readOnly?: boolean;
  /**
   * Carry on session `sid` instead of registering a new one: a restarted mount worker taking over
   * from the one that died, so the locks and open-but-unlinked files its callers hold stay theirs.
   * Its record gets this process's info and a fresh expiry.
   */
  sid?: number;
}

/** When reads and listings update access times (JuiceFS `--atime-mode`). */
export type AtimeMode = 'noatime' | 'relatime' | 'strictatime';

export const ATIME_MODES: readonly AtimeMode[] = ['noatime', 'relatime', 'strictatime'];

/**
 * How one client behaves, as the mount flags of JuiceFS's metadata engine set it (Go's
 * meta.Config): nothing here is stored in the volume, and clients of one volume may differ.
 */
export interface MetaClientOptions {
  /**
   * Access times: `noatime` never writes them; `relatime` writes one when the old atime is not
   * later than mtime or ctime, or is more than a day old; `strictatime` as well whenever it is
   * more than a second old. Opens, reads of a chunk, listings and readlink count as accesses.
   */
  atimeMode: AtimeMode;
  /**
   * Milliseconds: a directory's mtime/ctime is left as it is by an entry change made less than
   * this after the last one (create, unlink, link, rename within it). Changes of its link count
   * (mkdir, rmdir, a directory moving in or out) always update them.
   */
  skipDirMtime: number;
  /** statfs of the volume answers from counters read at the last heartbeat instead of the engine. */
  fastStatfs: boolean;
  /**
   * Seconds the attributes and slice lists of a file opened by this client are trusted without
   * asking the engine (0: always asked). This client's own changes update them; other
   * clients' changes are seen once this expires.
   */
  openCache: number;
  /** At most this many files are kept by the open cache (files not open now go first). */
  openCacheLimit: number;
}

/**
 * A client nobody configured: strict directory times (skipDirMtime 0), so library users and
 * tools see every change; `juicefs mount` passes JuiceFS's own defaults (100 ms) instead.
 */
export const DEFAULT_META_CLIENT_OPTIONS: MetaClientOptions = {
  atimeMode: 'noatime',
  skipDirMtime: 0,
  fastStatfs: false,
  openCache: 0,
  openCacheLimit: 10000,
};

/**
 * Deletes a slice's objects from storage. The metadata engine calls it when a slice's last
 * reference goes (a purged file, a compacted-away slice); the chunk store provides it.
 */
export type SliceDeleter = (id: number, size: number) => Promise<void>;

/**
 * A JuiceFS metadata engine: every metadata operation a POSIX file system needs, on the
 * JuiceFS 1.x layout. All methods validate their input and fail with an FsError carrying the
 * errno a kernel would return (ENOENT, EEXIST, ENOTDIR, EACCES…).
 *
 * Conventions: `ctx` is the caller (permission checks use it; pass ROOT_CONTEXT for admin
 * work); names are raw bytes (a string is taken as UTF-8); offsets and sizes are bytes.
 */
/** Options of unlink and rmdir. */
export interface RemoveOptions {
  /**
   * Delete for good even where the volume keeps a trash (`juicefs rmr --skip-trash`). Only root
   * (uid 0) may: anyone else gets EPERM.
   */
  skipTrash?: boolean;
}

export interface Meta {
  /** Human-readable engine name ("sqlite3", "postgres", "redis"). */
  readonly name: string;

  // ---- volume ----
  /** Create the volume (or, with `force`, update the settings of an existing one). */
  init(format: Format, force?: boolean): Promise<void>;
  /** Read the format record; fails with a clear error on an unformatted or too new volume. */
  load(checkVersion?: boolean): Promise<Format>;
  /** Delete every key/table of the volume (juicefs destroy). */
  reset(): Promise<void>;
  /** Close connections and stop background jobs. Does not close the session (see closeSession). */
  shutdown(): Promise<void>;

  /**
   * Set how this client behaves (mount flags); options left out keep their value. Engines
   * without client-side behaviour refuse values other than the defaults with ENOTSUP.
   */
  configure(options: Partial<MetaClientOptions>): void;
  /** How this client behaves now: what configure() set, over the defaults. */
  readonly client: Readonly<MetaClientOptions>;

  // ---- sessions ----
  newSession(options?: NewSessionOptions): Promise<number>;
  /** Current session id, or 0 when none. */
  readonly sid: number;
  refreshSession(): Promise<void>;
  /** Close this session: release its locks and delete files it kept open after unlink. */
  closeSession(): Promise<void>;
  /**
   * Write what this client keeps in memory for a while (usage counters, directory stats; Go's
   * FlushSession). Other clients see those up to about a second late otherwise; shutdown flushes.
   */
  flushSession(): Promise<void>;
  listSessions(): Promise<Session[]>;
  /** Clean sessions whose expiry has passed; returns how many were cleaned. */
  cleanStaleSessions(now?: number): Promise<number>;

  // ---- statistics ----
  /**
   * Transactions run again because another writer changed what they read (a Redis WATCH that
   * fired, an SQL serialization failure or deadlock, SQLite's lock held by another process):
   * JuiceFS's `juicefs_transaction_restart`. Absent where an engine never re-runs one.
   */
  readonly txRestarts?: number;
  /**
   * How many engine transactions ran and the seconds they took (JuiceFS's
   * `juicefs_transaction_durations_histogram_seconds`; one metadata operation may run several).
   */
  readonly txDurations?: TimedCount | undefined;
  statFS(ctx: Context, ino: Ino): Promise<StatFS>;
  /** User and group quotas (JuiceFS 1.4); absent where the engine keeps none. */
  readonly ownerQuotas?: OwnerQuotaAdmin | undefined;
  getDirStat(ctx: Context, ino: Ino): Promise<DirStat>;

  // ---- nodes ----
  access(ctx: Context, ino: Ino, mask: number, attr?: Attr): Promise<void>;
  lookup(ctx: Context, parent: Ino, name: Buffer | string, checkPermission?: boolean): Promise<NodeResult>;
  getAttr(ctx: Context, ino: Ino): Promise<Attr>;
  /** chmod/chown/utimens/size; `size` behaves as truncate. */
  setAttr(ctx: Context, ino: Ino, set: SetAttrRequest): Promise<Attr>;
  mknod(
    ctx: Context,
    parent: Ino,
    name: Buffer | string,
    type: Attr['type'],
    mode: number,
    cumask: number,
    rdev?: number,
  ): Promise<NodeResult>;
  mkdir(ctx: Context, parent: Ino, name: Buffer | string, mode: number, cumask: number): Promise<NodeResult>;
  /** Create a regular file and open it (counts as one open). */
  create(ctx: Context, parent: Ino, name: Buffer | string, mode: number, cumask: number, flags: number): Promise<NodeResult>;
  symlink(ctx: Context, parent: Ino, name: Buffer | string, target: Buffer | string): Promise<NodeResult>;
  readlink(ctx: Context, ino: Ino): Promise<Buffer>;
  unlink(ctx: Context, parent: Ino, name: Buffer | string, options?: RemoveOptions): Promise<void>;
  rmdir(ctx: Context, parent: Ino, name: Buffer | string, options?: RemoveOptions): Promise<void>;
  /** rename(2)/renameat2(2): flags RENAME_NOREPLACE or RENAME_EXCHANGE. Returns the moved node. */
  rename(
    ctx: Context,
    parentSrc: Ino,
    nameSrc: Buffer | string,
    parentDst: Ino,
    nameDst: Buffer | string,
    flags?: number,
  ): Promise<NodeResult>;
  link(ctx: Context, ino: Ino, parent: Ino, name: Buffer | string): Promise<Attr>;
  /** One page of a directory, entries in a stable order. */
  readdir(ctx: Context, ino: Ino, options?: ReaddirOptions): Promise<ReaddirPage>;
  /**
   * The directories holding links to `ino` and how many each (JuiceFS's GetParents): what finds
   * the paths of a hard-linked file, whose attributes keep no parent. Absent where an engine
   * keeps no such index.
   */
  getParents?(ctx: Context, ino: Ino): Promise<Map<Ino, number>>;

  // ---- open files ----
  /** Check permission for `flags` (O_RDONLY/O_WRONLY/O_RDWR, O_TRUNC…) and count the open. */
  open(ctx: Context, ino: Ino, flags: number): Promise<Attr>;
  /** Drop one open; a file unlinked while open is deleted at its last close. */
  close(ctx: Context, ino: Ino): Promise<void>;

  // ---- data (slices) ----
  /** A new, globally unique slice id (> 0). */
  newSlice(): Promise<number>;
  /** The stored slice records of chunk `indx`, in append order. */
  readChunk(ctx: Context, ino: Ino, indx: number): Promise<Slice[]>;
  /**
   * Append one slice record to chunk `indx` (a committed write) and grow the file to cover it;
   * mtime/ctime become now (or `mtime`).
   */
  write(ctx: Context, ino: Ino, indx: number, slice: Slice, mtime?: { sec: number; nsec: number }): Promise<Attr>;
  truncate(ctx: Context, ino: Ino, length: number, skipPermCheck?: boolean): Promise<Attr>;
  fallocate(ctx: Context, ino: Ino, mode: number, offset: number, size: number): Promise<Attr>;
  /** Copy slice references (no data is copied). Returns the number of bytes copied. */
  copyFileRange(
    ctx: Context,
    fin: Ino,
    offIn: number,
    fout: Ino,
    offOut: number,
    size: number,
    flags: number,
  ): Promise<number>;
  /**
   * Replace the first `head.length` records of a chunk, which must still equal `head`, by
   * `replacement` (compaction). Fails with EAGAIN when the head changed meanwhile.
   */
  compactChunk(ino: Ino, indx: number, head: readonly Slice[], replacement: Slice): Promise<void>;
  /** Register the function that deletes a slice's objects when its last reference goes. */
  onSliceDelete(deleter: SliceDeleter): void;

  // ---- xattrs ----
  getXattr(ctx: Context, ino: Ino, name: string): Promise<Buffer>;
  listXattr(ctx: Context, ino: Ino): Promise<string[]>;
  setXattr(ctx: Context, ino: Ino, name: string, value: Buffer, flags: number): Promise<void>;
  removeXattr(ctx: Context, ino: Ino, name: string): Promise<void>;

  // ---- locks ----
  /**
   * BSD flock: `type` R, W or U (unlock). Without `block`, a conflict fails with EAGAIN; with it,
   * the call waits until the lock is granted or `wait.signal` aborts (then EINTR, nothing taken).
   */
  flock(ctx: Context, ino: Ino, owner: bigint, type: 'R' | 'W' | 'U', block: boolean, wait?: LockWaitOptions): Promise<void>;
  /** fcntl F_GETLK: the first conflicting lock, or a record with type Unlock. */
  getlk(ctx: Context, ino: Ino, owner: bigint, lock: PosixLockRequest): Promise<PosixLockRecord>;
  /**
   * fcntl F_SETLK/F_SETLKW: a conflict fails with EAGAIN unless `block`; a blocking call waits
   * until granted or `wait.signal` aborts (then EINTR, and the owner's locks are as before).
   */
  setlk(ctx: Context, ino: Ino, owner: bigint, block: boolean, lock: PosixLockRequest, wait?: LockWaitOptions): Promise<void>;

  // ---- background work ----
  /** Delete data of removed files and slices whose references dropped; returns counts. */
  cleanupDeleted(): Promise<{ files: number; slices: number }>;
  /** Remove trash sub-directories older than TrashDays; returns how many entries were purged. */
  cleanupTrash(now?: number): Promise<number>;
}
