import type { Attr, DirStat, Format, Ino, NodeType, PosixLockRecord, Slice, TimedCount } from '@juicefs/core';
import type { ChangeLogStore } from './changelog.js';
import type { DirQuotaStore, UserGroupQuotaStore } from './quota-store.js';

/**
 * The storage primitives an engine supplies. Every POSIX rule (names, permissions, sticky bit,
 * link counts, quotas, trash, statistics) lives once in `BaseMeta`, which calls these; Redis and
 * SQL only say how a primitive is stored, in the JuiceFS 1.x layout of FORMAT.md.
 *
 * Transactions: `EngineStore.txn(fn)` runs `fn` with a `TxStore`. Reads inside it are
 * consistent with what the transaction later writes (Redis: WATCH + MULTI/EXEC; SQL: one
 * database transaction), reads see the transaction's own earlier writes, and writes take effect
 * all together or not at all. On a conflict the engine re-runs `fn` from the start (so `fn` must
 * have no side effects outside the transaction). Write methods may buffer until commit.
 */
export interface TxStore {
  // nodes
  getAttr(ino: Ino): Promise<Attr | undefined>;
  /** Several at once (readdirplus); missing ones are undefined. */
  getAttrs(inos: readonly Ino[]): Promise<Array<Attr | undefined>>;
  setAttr(ino: Ino, attr: Attr): void;
  deleteAttr(ino: Ino): void;

  // directory entries
  getEntry(parent: Ino, name: Buffer): Promise<{ ino: Ino; type: NodeType } | undefined>;
  setEntry(parent: Ino, name: Buffer, ino: Ino, type: NodeType): void;
  deleteEntry(parent: Ino, name: Buffer): void;
  /**
   * Optional fast path: a directory's attributes, one of its entries and that entry's attributes
   * in one round trip (SQL: node LEFT JOIN edge LEFT JOIN node). Engines without it get the same
   * answer from getAttr + getEntry + getAttr (see `readEntry` in tx-util.ts).
   */
  lookupEntry?(
    parent: Ino,
    name: Buffer,
  ): Promise<{ pattr: Attr | undefined; entry: { ino: Ino; type: NodeType } | undefined; attr: Attr | undefined }>;
  /** True when the directory has at least one entry. */
  hasEntries(parent: Ino): Promise<boolean>;
  /** One page of entries in a stable order; `cursor` is opaque and engine-defined. */
  listEntries(
    parent: Ino,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ entries: Array<{ name: Buffer; ino: Ino; type: NodeType }>; cursor?: string }>;

  /** Optional: listEntries with each entry's attributes (absent when its node is missing) in one read. */
  listEntriesPlus?(
    parent: Ino,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ entries: Array<{ name: Buffer; ino: Ino; type: NodeType; attr?: Attr }>; cursor?: string }>;

  // hard-link parents (Redis `p<ino>`; SQL derives them from jfs_edge, so it may no-op the writes)
  getParents(ino: Ino): Promise<Map<Ino, number>>;
  addParent(ino: Ino, parent: Ino, delta: number): void;
  deleteParents(ino: Ino): void;

  // symlinks
  getSymlink(ino: Ino): Promise<Buffer | undefined>;
  setSymlink(ino: Ino, target: Buffer): void;
  deleteSymlink(ino: Ino): void;

  // chunks and slice references
  getChunk(ino: Ino, indx: number): Promise<Slice[]>;
  appendSlice(ino: Ino, indx: number, slice: Slice): void;
  /** Replace the whole slice list of a chunk (compaction, truncate rewrites). */
  setChunk(ino: Ino, indx: number, slices: readonly Slice[]): void;
  deleteChunk(ino: Ino, indx: number): void;
  /** Chunk indexes that have a slice list. */
  listChunks(ino: Ino): Promise<number[]>;
  /** A newly written slice gets its first reference (SQL inserts refs=1; Redis stores nothing). */
  newSliceRef(id: number, size: number): void;
  /**
   * Change a slice's actual reference count by `delta` and return the new count (engines map it
   * to their own encoding: Redis keeps count-1 in `sliceRef`). Reads inside the transaction.
   */
  addSliceRef(id: number, size: number, delta: number): Promise<number>;

  // xattrs
  getXattr(ino: Ino, name: string): Promise<Buffer | undefined>;
  listXattr(ino: Ino): Promise<string[]>;
  setXattr(ino: Ino, name: string, value: Buffer): void;
  removeXattr(ino: Ino, name: string): void;
  deleteXattrs(ino: Ino): void;

  // counters and statistics
  getCounter(name: string): Promise<number>;
  /** Add to a counter (usedSpace, totalInodes, nextTrash…) when the transaction commits. */
  addCounter(name: string, delta: number): void;
  getDirStat(ino: Ino): Promise<DirStat | undefined>;
  /** Create the (zero) stats of a new directory. */
  initDirStat(ino: Ino): void;
  addDirStat(ino: Ino, delta: DirStat): void;
  deleteDirStat(ino: Ino): void;

  // deleted and sustained files
  /** Queue a removed file's data for deletion (`delfiles`, `jfs_delfile`). */
  addDelFile(ino: Ino, length: number, now: number): void;
  addSustained(sid: number, ino: Ino): void;
  removeSustained(sid: number, ino: Ino): void;

  // locks (kept per inode; owners are `<sid>_<owner>` on Redis, columns on SQL)
  getFlocks(ino: Ino): Promise<Array<{ sid: number; owner: bigint; type: 'R' | 'W' }>>;
  setFlock(ino: Ino, sid: number, owner: bigint, type: 'R' | 'W' | undefined): void;
  getPlocks(ino: Ino): Promise<Array<{ sid: number; owner: bigint; records: PosixLockRecord[] }>>;
  setPlock(ino: Ino, sid: number, owner: bigint, records: readonly PosixLockRecord[]): void;

  /** Append a line to the change log when the transaction commits (engines with `changeLog`). */
  appendChangeLog?(entry: string): void;
}

export interface SessionRow {
  sid: number;
  expire: number;
  /** Session info JSON as stored. */
  info: string | undefined;
}

/** Engine-level operations outside single transactions. */
export interface EngineStore {
  /** "sqlite3", "postgres", "mysql" or "redis". */
  readonly name: string;
  txn<T>(fn: (tx: TxStore) => Promise<T>): Promise<T>;
  /** Transactions this engine ran again after a conflict so far (Meta.txRestarts). */
  readonly txRestarts?: number;
  /** Transactions run so far and the seconds they took, retries included (Meta.txDurations). */
  readonly txDurations?: TimedCount;
  /**
   * Optional: run read-only `fn` outside a transaction (no BEGIN/COMMIT, no WATCH). Each read
   * sees committed data only; reads are not one snapshot, so use it for a single read (getattr,
   * a lookupEntry). `fn` must not write. Engines without it are used through `txn`.
   */
  read?<T>(fn: (tx: TxStore) => Promise<T>): Promise<T>;

  /** Create tables (SQL) or nothing (Redis); idempotent. */
  initSchema(): Promise<void>;
  /** The raw format record, or undefined on an unformatted database. */
  getFormat(): Promise<string | undefined>;
  setFormat(json: string): Promise<void>;
  /** Drop everything of the volume. */
  reset(): Promise<void>;
  /** Directory quotas, where the engine keeps them (every engine here does). */
  readonly dirQuotas?: DirQuotaStore;
  /** JuiceFS 1.4's metadata change log, where the engine keeps it (changelog.ts). */
  readonly changeLog?: ChangeLogStore;
  /** User and group quotas (JuiceFS 1.4), where the engine keeps them. */
  readonly userGroupQuotas?: UserGroupQuotaStore;
  /** Optional: write what the engine holds back (deferred counters and dir stats) now. */
  flush?(): Promise<void>;
  close(): Promise<void>;

  /**
   * Atomically add `delta` to a counter and return the new value in the engine's native
   * semantics (Redis `nextinode` = last reserved; SQL `nextInode` = next unreserved).
   */
  incrCounter(name: string, delta: number): Promise<number>;
  /** Reserve `count` inode numbers; returns the first. Counter semantics are per engine (FORMAT 2). */
  allocInodes(count: number): Promise<bigint>;
  /** Reserve `count` slice ids; returns the first (≥ 1). */
  allocSlices(count: number): Promise<number>;
  /** Write the initial counters and root (and trash root) nodes of a new volume. */
  initVolume(root: Attr, trash: Attr | undefined): Promise<void>;

  // sessions
  newSessionId(): Promise<number>;
  setSession(sid: number, expire: number, info: string | undefined): Promise<void>;
  deleteSession(sid: number): Promise<void>;
  listSessions(): Promise<SessionRow[]>;
  listSustained(sid: number): Promise<Ino[]>;
  /** Inodes on which `sid` holds flocks / plocks. */
  listLockedInodes(sid: number): Promise<{ flock: Ino[]; plock: Ino[] }>;

  // background work
  /** Files queued for data deletion. */
  listDelFiles(limit: number): Promise<Array<{ ino: Ino; length: number; expire: number }>>;
  removeDelFile(ino: Ino): Promise<void>;
  /** Slices whose reference count dropped to zero or below and are pending deletion. */
  listPendingSlices(limit: number): Promise<Array<{ id: number; size: number }>>;
  removeSliceRef(id: number): Promise<void>;
}

/** Engine factory signature used by `openMeta`. */
export type EngineFactory = (url: URL, raw: string) => Promise<EngineStore>;

/** Re-exported for engines that need the type while building records. */
export type { Format };
