import type { ChunkStore } from '../chunk/store.js';
import { errnoOf, fsError } from '../errors/fs-error.js';
import type { Meta, NodeResult } from '../meta/meta.js';
import { hasSetid, NodeType, setidToKill, type Attr } from '../types/attr.js';
import type { Context } from '../types/context.js';
import type { Format } from '../types/format.js';
import { ROOT_INODE, TRASH_INODE, type Ino } from '../types/inode.js';
import { CHUNK_SIZE } from '../types/slice.js';
import { AccessLog } from './access-log.js';
import { ControlChannel, type ControlHandler } from './control-channel.js';
import { compactChunk } from './compaction.js';
import { FileData } from './file-data.js';
import { canRead, canWrite, O_APPEND, O_TRUNC } from './flags.js';
import { HandleTable, type FileHandle, type Handle, type SpecialHandle } from './handles.js';
import { ACCESSLOG_INODE, CONFIG_INODE, CONTROL_INODE, STATS_INODE, internalAttr, internalNodeByIno, internalNodeByName, type InternalNode } from './internal-nodes.js';
import { MetaCache } from './meta-cache.js';
import { instrumentMeta, VfsMetrics } from './metrics.js';
import { DEFAULT_VFS_OPTIONS, type EntryReply, type OpenReply, type OpenUse, type VfsInit, type VfsOptions } from './options.js';
import { configJson } from './special-files.js';
import { KeepCachePolicy } from './keep-cache.js';

export const MAX_NAME = 255;
export const MAX_SYMLINK = 4096;
/** Largest file offset: 2^31 chunks of 64 MiB. */
export const MAX_FILE_SIZE = CHUNK_SIZE * 2 ** 31;
export const XATTR_MAX_NAME = 255;
export const XATTR_MAX_SIZE = 65536;
export const READDIR_PAGE = 1000;
export const LOCK_TO_EOF = 0xffffffffffffffffn;

export type Name = Buffer | string;

/** State and helpers shared by the VFS operation groups (names, files, directories…). */
export abstract class VfsBase {
  readonly meta: Meta;
  readonly store: ChunkStore;
  readonly format: Format;
  readonly options: VfsOptions;
  readonly metrics = new VfsMetrics();
  protected readonly accessLog = new AccessLog();
  protected readonly handles: HandleTable;
  protected readonly cache: MetaCache;
  protected readonly data: FileData;
  /** Which opens may keep the kernel's page cache (FOPEN_KEEP_CACHE). */
  protected readonly keepCache = new KeepCachePolicy();
  /**
   * Regular files last seen here with setuid or setgid, with their mode and group: the only ones
   * a write by a caller without CAP_FSETID may have to change (killSetidOnWrite). Kept from every
   * attribute this client sees, so it is as fresh as the kernel's own view; few files have these bits.
   */
  private readonly setidFiles = new Map<Ino, Pick<Attr, 'type' | 'mode' | 'gid'>>();
  protected readonly startSec = Math.floor(Date.now() / 1000);
  protected readonly config: Buffer;
  protected readonly extraStats: (() => string) | undefined;
  protected readonly controlHandler: ControlHandler | undefined;
  protected flushTimer: NodeJS.Timeout | undefined;

  /**
   * Every operation's access-log line (the `.accesslog` format, which `juicefs profile` reads)
   * goes to `sink` until the returned function is called: a server's `--access-log` file.
   */
  logAccessTo(sink: (line: Buffer) => void): () => void {
    return this.accessLog.subscribe(sink);
  }

  constructor(init: VfsInit) {
    this.options = { ...DEFAULT_VFS_OPTIONS, ...init.options };
    this.handles = new HandleTable(this.options.firstHandle);
    this.meta = instrumentMeta(init.meta, this.metrics);
    const engine = init.meta;
    this.metrics.txRestarts = () => engine.txRestarts ?? 0;
    this.metrics.txDurations = () => engine.txDurations ?? this.metrics.metaOps;
    this.store = init.store;
    this.format = init.format;
    this.extraStats = init.extraStats;
    this.controlHandler = init.control;
    this.cache = new MetaCache(this.options.attrCache, this.options.entryCache, this.options.dirEntryCache);
    this.data = new FileData(
      this.meta,
      this.store,
      this.options.bufferSize,
      (ino) => this.cache.dropAttr(ino),
      (ino, indx, records) => {
        if (this.options.compactThreshold > 0 && records >= this.options.compactThreshold) this.compactInBackground(ino, indx);
      },
    );
    this.config = configJson(this.format, this.options, this.store.blockSize);
    const delayMs = this.options.flushDelay * 1000;
    if (delayMs > 0) {
      this.flushTimer = setInterval(() => this.data.flushIdle(delayMs), Math.min(1000, delayMs));
      this.flushTimer.unref(); // never what keeps a process alive
    }
  }

  // ---------------------------------------------------------------- internals

  /** Chunks being compacted ("ino:indx"), so each is worked on once at a time. */
  protected readonly compacting = new Map<string, Promise<void>>();

  /** Compact one chunk without holding up the caller; failures only mean it stays fragmented. */
  protected compactInBackground(ino: Ino, indx: number): Promise<void> {
    const key = `${ino}:${indx}`;
    const running = this.compacting.get(key);
    if (running) return running;
    const work = compactChunk(this.meta, this.store, ino, indx)
      .then(
        (done) => {
          if (done) this.data.invalidate(ino);
        },
        () => undefined,
      )
      .finally(() => this.compacting.delete(key));
    this.compacting.set(key, work);
    return work;
  }

  protected async op<T>(
    ctx: Context,
    name: string,
    args: () => string,
    fn: () => Promise<T>,
    show?: (r: T) => string,
    log = true,
  ): Promise<T> {
    const start = process.hrtime.bigint();
    let status = 'OK';
    let suffix = '';
    try {
      const r = await fn();
      if (show && log && this.accessLog.active) suffix = show(r);
      return r;
    } catch (err) {
      status = errnoOf(err);
      throw err;
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.metrics.fuseOp(name, seconds);
      if (log && this.accessLog.active) this.accessLog.log(ctx, name, args(), status, seconds, suffix);
    }
  }

  protected writable(): void {
    if (this.options.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  }

  protected entry(ino: Ino, attr: Attr): EntryReply {
    const entryTimeout = attr.type === NodeType.Directory ? this.options.dirEntryCache : this.options.entryCache;
    return { ino, attr: this.withPending(ino, attr), attrTimeout: this.options.attrCache, entryTimeout };
  }

  /** Cache attributes fresh from the engine; `changeCount` is FileData's count before asking. */
  protected remember(ino: Ino, attr: Attr, changeCount = this.data.changeCount): Attr {
    if (hasSetid(attr)) this.setidFiles.set(ino, { type: attr.type, mode: attr.mode, gid: attr.gid });
    else if (this.setidFiles.size > 0) this.setidFiles.delete(ino);
    this.data.observe(ino, attr, changeCount);
    if (changeCount === this.data.changeCount) this.cache.putAttr(ino, attr);
    return attr;
  }

  /** True when `ino` was last seen here as a regular file with setid bits a write by `ctx` would clear. */
  protected hasSetidFile(ctx: Context, ino: Ino): boolean {
    const seen = this.setidFiles.get(ino);
    return seen !== undefined && setidToKill(seen, ctx.gids) !== 0;
  }

  /**
   * A write by a caller without CAP_FSETID (FUSE_WRITE_KILL_SUIDGID) to a file hasSetidFile names:
   * clears setuid/setgid in the engine's copy, so a stale view here costs one request, never a
   * wrong mode.
   */
  protected async killSetidOnWrite(ctx: Context, ino: Ino): Promise<void> {
    const attr = await this.meta.setAttr(ctx, ino, { killSetid: true });
    this.cache.dropAttr(ino);
    this.remember(ino, attr);
  }

  /** Attributes with the length this client has written but not yet committed. */
  protected withPending(ino: Ino, attr: Attr): Attr {
    const pending = attr.type === NodeType.File ? this.data.pendingLength(ino) : undefined;
    return pending !== undefined && pending > attr.length ? { ...attr, length: pending } : attr;
  }

  protected async attrOf(ctx: Context, ino: Ino): Promise<Attr> {
    if (internalNodeByIno(ino)) return this.internalAttrOf(ino);
    const cached = this.cache.getAttr(ino);
    if (cached) return this.withPending(ino, cached);
    const before = this.data.changeCount;
    return this.withPending(ino, this.remember(ino, await this.meta.getAttr(ctx, ino), before));
  }

  protected internalAttrOf(ino: Ino): Attr {
    const node = internalNodeByIno(ino);
    if (!node) throw fsError('ENOENT', `virtual inode ${ino} does not exist`);
    return internalAttr(node, ino === CONFIG_INODE ? this.config.length : 0, this.startSec);
  }

  /** The internal node a root name stands for, if this VFS serves it (hideTrash, virtualFiles). */
  protected servedInternalNode(name: string): InternalNode | undefined {
    const node = internalNodeByName(name, this.options.prefixInternal);
    if (!node) return undefined;
    if (node.ino === TRASH_INODE ? this.options.hideTrash : !this.options.virtualFiles) return undefined;
    return node;
  }

  protected internalByName(parent: Ino, name: Buffer): EntryReply | undefined {
    const text = name.toString();
    if (parent !== ROOT_INODE && !text.endsWith('.control')) return undefined;
    const node = this.servedInternalNode(text);
    if (!node) return undefined;
    const attr = this.internalAttrOf(node.ino);
    return { ino: node.ino, attr, attrTimeout: this.options.attrCache, entryTimeout: this.options.entryCache };
  }

  protected checkSpecialName(parent: Ino, name: Buffer, code: 'EPERM' | 'EEXIST'): void {
    const node = parent === ROOT_INODE ? this.servedInternalNode(name.toString()) : undefined;
    if (node) {
      throw fsError(code, `"${name.toString()}" is reserved for a virtual file in the root of the volume`);
    }
  }

  protected checkNewName(parent: Ino, name: Buffer): void {
    this.checkSpecialName(parent, name, 'EEXIST');
    checkName(name);
    this.writable();
  }

  /**
   * After a new name: the directory's attributes as the engine left them are cached (the kernel
   * asks for them right after each new name, with `default_permissions`), unless another local
   * change to the directory finished since `since` (`cache.mark()` before the engine was asked);
   * otherwise they are forgotten.
   */
  protected created(ctx: Context, parent: Ino, name: Buffer, r: NodeResult, since: number): EntryReply {
    this.cache.putAttrSince(parent, r.parentAttr, since);
    this.cache.putEntry(ctx, parent, name, r.ino, r.attr.type);
    return this.entry(r.ino, this.remember(r.ino, r.attr));
  }

  /** After a name went away or moved: its entry and every cached attribute (link counts, ctimes). */
  protected forgetName(parent: Ino, name: Buffer): void {
    this.cache.dropEntry(parent, name);
    this.cache.dropAllAttrs();
  }

  protected handle(ino: Ino, fh: number): Handle {
    const h = this.handles.get(fh);
    if (!h || h.ino !== ino) throw fsError('EBADF', `no open handle ${fh} for inode ${ino}`);
    return h;
  }

  protected fileHandle(ino: Ino, fh: number): FileHandle {
    const h = this.handle(ino, fh);
    if (h.kind !== 'file') throw fsError('EBADF', `handle ${fh} of inode ${ino} is not a regular file handle`);
    return h;
  }

  protected newFileHandle(ino: Ino, flags: number, type: NodeType, takeOver?: number, use: OpenUse = {}): number {
    const kernelWriteback = use.kernelWriteback === true;
    const fh = this.handles.allocate(takeOver);
    this.handles.add({
      kind: 'file',
      fh,
      ino,
      type,
      flags,
      readable: canRead(flags) || kernelWriteback,
      writable: canWrite(flags),
      append: (flags & O_APPEND) !== 0 && !kernelWriteback,
      plockOwners: new Set(),
    });
    this.metrics.openHandles = this.handles.size;
    return fh;
  }

  protected dropHandle(fh: number): void {
    this.handles.remove(fh);
    this.metrics.openHandles = this.handles.size;
  }

  protected openInternal(ino: Ino, flags: number, takeOver?: number): OpenReply {
    const attr = this.internalAttrOf(ino);
    if (ino !== CONTROL_INODE && (canWrite(flags) || (flags & O_TRUNC) !== 0)) throw fsError('EACCES', `"${internalNodeByIno(ino)?.name}" is read-only`);
    const fh = this.handles.allocate(takeOver);
    const h: SpecialHandle = { kind: 'special', fh, ino, data: Buffer.alloc(0) };
    this.handles.add(h);
    this.metrics.openHandles = this.handles.size;
    // Snapshot after registering the handle, so `.stats` counts the reader itself as upstream does.
    if (ino === STATS_INODE) h.data = Buffer.from(this.metrics.render(this.store, this.extraStats));
    else if (ino === CONFIG_INODE) h.data = this.config;
    else if (ino === ACCESSLOG_INODE) this.accessLog.open(fh);
    else if (ino === CONTROL_INODE) h.control = new ControlChannel(this.controlHandler);
    return { fh, attr: { ...attr, length: h.data.length }, attrTimeout: this.options.attrCache, directIo: true, keepCache: false };
  }

  protected async readInternal(h: SpecialHandle, offset: number, size: number): Promise<Buffer> {
    if (h.ino === ACCESSLOG_INODE) return this.accessLog.read(h.fh, size);
    if (h.control) return h.control.read(size);
    if (offset >= h.data.length) return Buffer.alloc(0);
    return Buffer.from(h.data.subarray(offset, Math.min(h.data.length, offset + size)));
  }

}

export function toName(name: Name): Buffer {
  return typeof name === 'string' ? Buffer.from(name) : name;
}

export function checkName(name: Buffer): void {
  if (name.length > MAX_NAME) throw fsError('ENAMETOOLONG', `name is ${name.length} bytes; the limit is ${MAX_NAME}`);
}

export function checkSize(size: number): void {
  if (size < 0) throw fsError('EINVAL', `negative file size ${size}`);
  if (size >= MAX_FILE_SIZE) throw fsError('EFBIG', `size ${size} is past the largest file size`);
}

export function checkXattrName(name: string): void {
  const len = Buffer.byteLength(name);
  if (len === 0) throw fsError('EINVAL', 'empty xattr name');
  if (len > XATTR_MAX_NAME) throw fsError('ERANGE', `xattr name is ${len} bytes; the limit is ${XATTR_MAX_NAME}`);
  if (name === 'system.posix_acl_access' || name === 'system.posix_acl_default') {
    throw fsError('EOPNOTSUPP', 'POSIX ACLs are read and written through the ACL interface, not as raw xattrs');
  }
}

export function attrText(attr: Attr): string {
  return ` (${attr.type},0${attr.mode.toString(8)},${attr.uid},${attr.gid},${attr.length})`;
}

export function entryText(r: EntryReply): string {
  return ` (${r.ino},[${attrText(r.attr).trim()}])`;
}

