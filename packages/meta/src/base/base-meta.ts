import {
  ATIME_MODES,
  DEFAULT_META_CLIENT_OPTIONS,
  fsError,
  NodeType,
  type Attr,
  type Context,
  type DirStat,
  type Format,
  type Ino,
  type LockWaitOptions,
  type Meta,
  type OwnerQuotaAdmin,
  type MetaClientOptions,
  type NewSessionOptions,
  type NodeResult,
  type PosixLockRecord,
  type PosixLockRequest,
  type ReaddirOptions,
  type ReaddirPage,
  type RemoveOptions,
  type SetAttrRequest,
  type Session,
  type Slice,
  type SliceDeleter,
  type StatFS,
  type TimedCount,
} from '@juicefs/core';
import { IdAllocator, INODE_BATCH, SLICE_BATCH } from './alloc.js';
import * as attrOps from './attr.js';
import { readOnly } from './tx-util.js';
import { touchAtime } from './atime.js';
import * as background from './background.js';
import type { ChangeLogEntry, ChangeLogStore } from './changelog.js';
import * as cleanup from './cleanup.js';
import * as data from './data.js';
import { lockWaiterCount, stopLockWaits } from './lock-wait.js';
import * as locks from './locks.js';
import { nameBuffer } from './names.js';
import * as nodes from './nodes.js';
import * as openClose from './open-close.js';
import { OpenFileCache } from './open-cache.js';
import { OpenFiles } from './open-files.js';
import * as quota from './quota.js';
import type { DirQuota, OwnerKind } from './quota-store.js';
import * as ownerAdmin from './owner-quota-admin.js';
import { readdir } from './readdir.js';
import * as remove from './remove.js';
import { rename } from './rename.js';
import * as session from './session.js';
import type { MetaState } from './state.js';
import * as stats from './stats.js';
import type { EngineStore } from './store.js';
import { fallocate, truncate } from './truncate.js';
import * as volume from './volume.js';
import * as xattr from './xattr.js';

/**
 * The POSIX layer of every metadata engine: names, permissions, link counts, quotas, trash,
 * statistics, sessions and locks are decided here, once; an `EngineStore` only stores the
 * records (FORMAT.md layouts) inside transactions. Engines therefore cannot disagree.
 */
export class BaseMeta implements Meta {
  private readonly m: MetaState;

  constructor(readonly store: EngineStore) {
    this.m = {
      store,
      format: undefined,
      sid: 0,
      sessionInfo: undefined,
      heartbeat: session.DEFAULT_HEARTBEAT,
      readOnly: false,
      openFiles: new OpenFiles(),
      sustained: new Set(),
      inodes: new IdAllocator<bigint>((n) => store.allocInodes(n), INODE_BATCH, 1n),
      slices: new IdAllocator<number>((n) => store.allocSlices(n), SLICE_BATCH, 0),
      sliceDeleter: undefined,
      trashDir: undefined,
      quotas: new quota.QuotaState(),
      heartbeatTimer: undefined,
      jobsTimer: undefined,
      client: { ...DEFAULT_META_CLIENT_OPTIONS },
      openCache: new OpenFileCache(),
      usage: undefined,
    };
  }

  /** How this client behaves now (mount flags). */
  get client(): Readonly<MetaClientOptions> {
    return this.m.client;
  }

  configure(options: Partial<MetaClientOptions>): void {
    const next = { ...this.m.client, ...definedOnly(options) };
    if (!ATIME_MODES.includes(next.atimeMode)) {
      throw fsError('EINVAL', `atime mode "${String(next.atimeMode)}": use ${ATIME_MODES.join(', ')}`);
    }
    for (const key of ['skipDirMtime', 'openCache'] as const) {
      if (!Number.isFinite(next[key]) || next[key] < 0) throw fsError('EINVAL', `${key} must be a number of at least 0, got ${next[key]}`);
    }
    if (!Number.isInteger(next.openCacheLimit) || next.openCacheLimit < 1) {
      throw fsError('EINVAL', `openCacheLimit must be a whole number of at least 1, got ${next.openCacheLimit}`);
    }
    this.m.client = next;
    this.m.openCache.configure(next.openCache, next.openCacheLimit);
  }

  get name(): string {
    return this.store.name;
  }
  get txRestarts(): number {
    return this.store.txRestarts ?? 0;
  }
  get txDurations(): TimedCount | undefined {
    return this.store.txDurations;
  }
  get sid(): number {
    return this.m.sid;
  }
  /** The format read by load() or written by init(), if any. */
  get format(): Format | undefined {
    return this.m.format;
  }

  // ---- volume ----
  init(format: Format, force?: boolean): Promise<void> {
    return volume.init(this.m, format, force);
  }
  /**
   * Read the volume's format. The directory quotas are loaded too: every client, tools without a
   * session included, counts its own changes toward them (flushed by the session's timer, by
   * flushSession and at shutdown).
   */
  async load(checkVersion?: boolean): Promise<Format> {
    const format = await volume.load(this.m, checkVersion);
    await quota.loadQuotas(this.m);
    return format;
  }
  async reset(): Promise<void> {
    await this.store.reset();
    this.m.format = undefined;
    this.m.trashDir = undefined;
  }
  /** Stop the heartbeat and background jobs, and close the engine; the session stays (see closeSession). */
  async shutdown(): Promise<void> {
    session.stopHeartbeat(this.m);
    quota.stopQuotaSync(this.m);
    this.stopBackgroundJobs();
    await quota.flushQuotas(this.m).catch(() => undefined);
    await stopLockWaits(this.m, 'the metadata engine is shutting down');
    return this.store.close();
  }

  /**
   * Run the background work every `tickSeconds` (default 60): purge deleted files' data, and,
   * taking turns with other clients through the lastCleanup* counters, clean stale sessions and
   * expired trash. Not part of `Meta`: a mount (or any long-lived client) starts it. `onError`
   * receives failures of a pass (the next tick tries again).
   */
  startBackgroundJobs(options: background.BackgroundJobOptions = {}): void {
    background.startJobs(this.m, options);
  }

  stopBackgroundJobs(): void {
    background.stopJobs(this.m);
  }

  /** Whether startBackgroundJobs' timer is running. */
  get backgroundJobsRunning(): boolean {
    return this.m.jobsTimer !== undefined;
  }

  /** One pass of the background work now (what each tick of startBackgroundJobs runs). */
  runBackgroundJobs(now?: number): Promise<background.BackgroundPassResult> {
    return background.backgroundPass(this.m, now);
  }

  // ---- sessions ----
  newSession(options?: NewSessionOptions): Promise<number> {
    return session.newSession(this.m, options);
  }
  refreshSession(): Promise<void> {
    return session.refreshSession(this.m);
  }
  async closeSession(): Promise<void> {
    // Waiters first: one granted after the cleanup would leave a lock owned by a dead session.
    await stopLockWaits(this.m, 'the metadata session is closing');
    return session.closeSession(this.m);
  }
  async flushSession(): Promise<void> {
    await quota.flushQuotas(this.m);
    await this.m.store.flush?.();
  }

  // ---- user and group quotas (juicefs quota --uid/--gid, JuiceFS 1.4) ----
  /** The Meta contract's view of the methods below; absent on an engine keeping no such quotas. */
  get ownerQuotas(): OwnerQuotaAdmin | undefined {
    if (!this.store.userGroupQuotas) return undefined;
    return {
      set: (kind, id, limits) => this.setOwnerQuota(kind, id, limits),
      get: (kind, id) => this.getOwnerQuota(kind, id),
      delete: (kind, id) => this.deleteOwnerQuota(kind, id),
      list: (kind) => this.listOwnerQuotas(kind),
      check: (options) => this.checkOwnerQuotas(options),
    };
  }
  /**
   * Set a user's or group's limits (an omitted one keeps its value; 0 = unlimited). The first one
   * turns on the format's UserGroupQuota and counts every owner's usage from the tree.
   */
  setOwnerQuota(kind: OwnerKind, id: number, limits: { maxSpace?: number; maxInodes?: number }): Promise<{ created: boolean; quota: DirQuota }> {
    return ownerAdmin.setOwnerQuota(this.m, kind, id, limits);
  }
  /**
   * Turn on user and group usage tracking (`juicefs config --user-group-quota`): sets the format's
   * UserGroupQuota and counts every owner's usage from the tree, as the first owner quota does.
   */
  enableUserGroupQuota(): Promise<void> {
    return ownerAdmin.enableOwnerQuotas(this.m);
  }
  /** A user's or group's stored entry (limits -1/-1: usage tracked, no quota), if any. */
  getOwnerQuota(kind: OwnerKind, id: number): Promise<DirQuota | undefined> {
    return ownerAdmin.getOwnerQuota(this.m, kind, id);
  }
  /** Remove a user's or group's limits (usage stays tracked); false when it had none. */
  deleteOwnerQuota(kind: OwnerKind, id: number): Promise<boolean> {
    return ownerAdmin.deleteOwnerQuota(this.m, kind, id);
  }
  listOwnerQuotas(kind: OwnerKind): Promise<Map<number, DirQuota>> {
    return ownerAdmin.listOwnerQuotas(this.m, kind);
  }
  /** Recount every user's and group's usage from the tree and compare; `repair` stores the recount. */
  checkOwnerQuotas(options: { repair?: boolean } = {}): Promise<{ checks: ownerAdmin.OwnerCheck[]; repaired: boolean }> {
    return ownerAdmin.checkOwnerQuotas(this.m, options);
  }

  // ---- the change log (JuiceFS 1.4, juicefs changelog) ----
  /**
   * Lines of the change log after version `after`, oldest first, at most `limit`. Empty when
   * none follow; ENOTSUP on an engine without a change log.
   */
  readChangeLog(after: number, limit = 1000): Promise<ChangeLogEntry[]> {
    return this.changeLogStore().read(after, limit);
  }
  /** The version of the newest line ever appended (0 when none was). */
  lastChangeLogVersion(): Promise<number> {
    return this.changeLogStore().last();
  }
  private changeLogStore(): ChangeLogStore {
    const store = this.store.changeLog;
    if (!store) throw fsError('ENOTSUP', `the ${this.store.name} engine keeps no change log`);
    return store;
  }

  // ---- directory quotas (juicefs quota) ----
  /** A directory's quota with its stored usage (this client's increments flushed first). */
  getDirQuota(ino: Ino): Promise<DirQuota | undefined> {
    return quota.getDirQuota(this.m, ino);
  }
  /**
   * Set a directory's limits in bytes and inodes (0 = unlimited; an omitted one keeps its value).
   * A new quota starts with the usage of the tree below, counted now; directory statistics are
   * turned on in the format if they were off (quotas are kept with them).
   */
  setDirQuota(ino: Ino, limits: { maxSpace?: number; maxInodes?: number }): Promise<{ created: boolean; quota: DirQuota }> {
    return quota.setDirQuota(this.m, ino, limits, () => volume.enableDirStats(this.m));
  }
  /** Remove a directory's quota; false when it had none. */
  deleteDirQuota(ino: Ino): Promise<boolean> {
    return quota.deleteDirQuota(this.m, ino);
  }
  listDirQuotas(): Promise<Map<Ino, DirQuota>> {
    return quota.listDirQuotas(this.m);
  }
  /** Recount the tree below a quota directory and compare; `repair` stores the recount. */
  checkDirQuota(
    ino: Ino,
    options?: { repair?: boolean },
  ): Promise<{ quota: DirQuota; actual: { space: number; inodes: number }; consistent: boolean; repaired: boolean }> {
    return quota.checkDirQuota(this.m, ino, options);
  }
  listSessions(): Promise<Session[]> {
    return session.listSessions(this.m);
  }
  cleanStaleSessions(now?: number): Promise<number> {
    return session.cleanStaleSessions(this.m, now);
  }

  // ---- statistics ----
  statFS(ctx: Context, ino: Ino): Promise<StatFS> {
    return stats.statFS(this.m, ctx, ino);
  }
  getDirStat(ctx: Context, ino: Ino): Promise<DirStat> {
    return stats.getDirStat(this.m, ctx, ino);
  }

  // ---- nodes ----
  access(ctx: Context, ino: Ino, mask: number, attr?: Attr): Promise<void> {
    return openClose.access(this.m, ctx, ino, mask, attr);
  }
  lookup(ctx: Context, parent: Ino, name: Buffer | string, checkPermission = true): Promise<NodeResult> {
    return nodes.lookup(this.m, ctx, parent, nameBuffer(name), checkPermission);
  }
  async getParents(ctx: Context, ino: Ino): Promise<Map<Ino, number>> {
    const attr = await this.getAttr(ctx, ino);
    if (attr.parent > 0n) return new Map([[attr.parent, 1]]);
    const counts = await readOnly(this.m, (tx) => tx.getParents(ino));
    // A count can drop to 0 where links moved away (Redis keeps the field): no parent then.
    return new Map([...counts].filter(([, n]) => n > 0));
  }
  async getAttr(ctx: Context, ino: Ino): Promise<Attr> {
    const cached = this.m.openCache.attr(ino);
    if (cached) return cached;
    const attr = await attrOps.getAttr(this.m, ino);
    this.m.openCache.updated(ino, attr);
    return attr;
  }
  async setAttr(ctx: Context, ino: Ino, set: SetAttrRequest): Promise<Attr> {
    const attr = await attrOps.setAttr(this.m, ctx, ino, set);
    if (set.size !== undefined) this.m.openCache.changed(ino);
    this.m.openCache.updated(ino, attr);
    return attr;
  }
  mknod(
    ctx: Context,
    parent: Ino,
    name: Buffer | string,
    type: Attr['type'],
    mode: number,
    cumask: number,
    rdev?: number,
  ): Promise<NodeResult> {
    if (type === NodeType.Symlink) throw fsError('EINVAL', 'mknod cannot create a symlink: use symlink()');
    if (!Object.values(NodeType).includes(type)) throw fsError('EINVAL', `unknown node type ${String(type)}`);
    const node = rdev === undefined ? { type, mode, cumask } : { type, mode, cumask, rdev };
    return nodes.createNode(this.m, ctx, parent, nameBuffer(name), node);
  }
  mkdir(ctx: Context, parent: Ino, name: Buffer | string, mode: number, cumask: number): Promise<NodeResult> {
    return nodes.createNode(this.m, ctx, parent, nameBuffer(name), { type: NodeType.Directory, mode, cumask });
  }
  async create(
    ctx: Context,
    parent: Ino,
    name: Buffer | string,
    mode: number,
    cumask: number,
    flags: number,
  ): Promise<NodeResult> {
    const result = await nodes.createNode(this.m, ctx, parent, nameBuffer(name), { type: NodeType.File, mode, cumask });
    this.m.openFiles.open(result.ino);
    this.m.openCache.opened(result.ino, result.attr);
    return result;
  }
  symlink(ctx: Context, parent: Ino, name: Buffer | string, target: Buffer | string): Promise<NodeResult> {
    const node = { type: NodeType.Symlink, mode: 0o777, cumask: 0, target: nameBuffer(target) };
    return nodes.createNode(this.m, ctx, parent, nameBuffer(name), node);
  }
  readlink(ctx: Context, ino: Ino): Promise<Buffer> {
    return nodes.readlink(this.m, ino);
  }
  async unlink(ctx: Context, parent: Ino, name: Buffer | string, options?: RemoveOptions): Promise<void> {
    this.m.openCache.changed(await remove.unlink(this.m, ctx, parent, nameBuffer(name), options));
  }
  rmdir(ctx: Context, parent: Ino, name: Buffer | string, options?: RemoveOptions): Promise<void> {
    return remove.rmdir(this.m, ctx, parent, nameBuffer(name), options);
  }
  rename(
    ctx: Context,
    parentSrc: Ino,
    nameSrc: Buffer | string,
    parentDst: Ino,
    nameDst: Buffer | string,
    flags?: number,
  ): Promise<NodeResult> {
    return rename(this.m, ctx, parentSrc, nameBuffer(nameSrc), parentDst, nameBuffer(nameDst), flags).then((r) => {
      this.m.openCache.updated(r.ino, r.attr);
      return r;
    });
  }
  async link(ctx: Context, ino: Ino, parent: Ino, name: Buffer | string): Promise<Attr> {
    const attr = await nodes.link(this.m, ctx, ino, parent, nameBuffer(name));
    this.m.openCache.updated(ino, attr);
    return attr;
  }
  readdir(ctx: Context, ino: Ino, options?: ReaddirOptions): Promise<ReaddirPage> {
    return readdir(this.m, ctx, ino, options);
  }

  // ---- open files ----
  /**
   * With --open-cache, a file opened here within the cache's time is checked against the
   * attributes kept from then, without asking the engine. Counts as an access (atime).
   */
  async open(ctx: Context, ino: Ino, flags: number): Promise<Attr> {
    const attr = await openClose.open(this.m, ctx, ino, flags, this.m.openCache.attr(ino));
    this.m.openCache.opened(ino, attr);
    await touchAtime(this.m, ino, attr);
    return attr;
  }
  close(ctx: Context, ino: Ino): Promise<void> {
    this.m.openCache.closed(ino);
    return openClose.close(this.m, ino);
  }

  // ---- data ----
  newSlice(): Promise<number> {
    return this.m.slices.allocate();
  }
  /** A read of one chunk: an access (atime); with --open-cache, answered from it while trusted. */
  async readChunk(ctx: Context, ino: Ino, indx: number): Promise<Slice[]> {
    const cached = this.m.openCache.chunk(ino, indx);
    if (cached) {
      await touchAtime(this.m, ino, this.m.openCache.attr(ino));
      return cached;
    }
    // Attributes only where an access may write the atime (see touchAtime).
    const { attr, slices } = await data.readChunk(this.m, ino, indx, this.m.client.atimeMode !== 'noatime' && !this.m.readOnly);
    this.m.openCache.putChunk(ino, indx, slices);
    if (attr) await touchAtime(this.m, ino, attr);
    return slices;
  }
  async write(ctx: Context, ino: Ino, indx: number, slice: Slice, mtime?: { sec: number; nsec: number }): Promise<Attr> {
    const attr = await data.write(this.m, ino, indx, slice, mtime);
    this.m.openCache.changed(ino, indx);
    this.m.openCache.updated(ino, attr);
    return attr;
  }
  async truncate(ctx: Context, ino: Ino, length: number, skipPermCheck = false): Promise<Attr> {
    const attr = await truncate(this.m, ctx, ino, length, skipPermCheck);
    this.m.openCache.changed(ino);
    this.m.openCache.updated(ino, attr);
    return attr;
  }
  async fallocate(ctx: Context, ino: Ino, mode: number, offset: number, size: number): Promise<Attr> {
    const attr = await fallocate(this.m, ctx, ino, mode, offset, size);
    this.m.openCache.changed(ino);
    this.m.openCache.updated(ino, attr);
    return attr;
  }
  copyFileRange(
    ctx: Context,
    fin: Ino,
    offIn: number,
    fout: Ino,
    offOut: number,
    size: number,
    flags: number,
  ): Promise<number> {
    return data.copyFileRange(this.m, ctx, fin, offIn, fout, offOut, size, flags).finally(() => this.m.openCache.changed(fout));
  }
  async compactChunk(ino: Ino, indx: number, head: readonly Slice[], replacement: Slice): Promise<void> {
    const released = await data.compactChunk(this.m, ino, indx, head, replacement);
    this.m.openCache.changed(ino, indx);
    await cleanup.deleteSlices(this.m, released);
  }
  onSliceDelete(deleter: SliceDeleter): void {
    this.m.sliceDeleter = deleter;
  }

  // ---- xattrs ----
  getXattr(ctx: Context, ino: Ino, name: string): Promise<Buffer> {
    return xattr.getXattr(this.m, ino, name);
  }
  listXattr(ctx: Context, ino: Ino): Promise<string[]> {
    return xattr.listXattr(this.m, ino);
  }
  setXattr(ctx: Context, ino: Ino, name: string, value: Buffer, flags: number): Promise<void> {
    return xattr.setXattr(this.m, ino, name, value, flags);
  }
  removeXattr(ctx: Context, ino: Ino, name: string): Promise<void> {
    return xattr.removeXattr(this.m, ino, name);
  }

  // ---- locks ----
  flock(ctx: Context, ino: Ino, owner: bigint, type: 'R' | 'W' | 'U', block: boolean, wait?: LockWaitOptions): Promise<void> {
    return locks.flock(this.m, ctx, ino, owner, type, block, wait);
  }
  getlk(ctx: Context, ino: Ino, owner: bigint, lock: PosixLockRequest): Promise<PosixLockRecord> {
    return locks.getlk(this.m, ino, owner, lock);
  }
  setlk(ctx: Context, ino: Ino, owner: bigint, block: boolean, lock: PosixLockRequest, wait?: LockWaitOptions): Promise<void> {
    return locks.setlk(this.m, ino, owner, block, lock, wait);
  }
  /** Blocking lock calls of this client still waiting. */
  get lockWaiters(): number {
    return lockWaiterCount(this.m);
  }

  // ---- background work ----
  cleanupDeleted(): Promise<{ files: number; slices: number }> {
    return cleanup.cleanupDeleted(this.m);
  }
  cleanupTrash(now?: number): Promise<number> {
    return cleanup.cleanupTrash(this.m, now);
  }
}

/** The options actually given: `undefined` keeps the current value. */
function definedOnly(options: Partial<MetaClientOptions>): Partial<MetaClientOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<MetaClientOptions>;
}
