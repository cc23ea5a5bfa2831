import { fsError } from '../errors/fs-error.js';
import { NodeType, type Attr, type SetAttrRequest } from '../types/attr.js';
import type { Context } from '../types/context.js';
import type { Format } from '../types/format.js';
import { ROOT_INODE, type Ino } from '../types/inode.js';
import type { DirStat, PosixLockRecord, PosixLockRequest, Session, StatFS } from '../types/session.js';
import type { Slice } from '../types/slice.js';
import type { OwnerQuotaAdmin } from './owner-quota.js';
import type {
  LockWaitOptions,
  Meta,
  MetaClientOptions,
  NewSessionOptions,
  NodeResult,
  ReaddirOptions,
  ReaddirPage,
  RemoveOptions,
  SliceDeleter,
} from './meta.js';

// `juicefs mount --subdir`: the volume seen from one of its directories, as JuiceFS's chroot does
// it. Inode 1, the only root the kernel knows, stands for that directory in every call; in what
// comes back, the directory's own parent and the parent of its entries read 1 again, so the mount
// is one consistent tree whose top has no way out (its ".." is itself).

/** A Meta whose root (inode 1) is the directory `root` of `inner`. */
export class RootedMeta implements Meta {
  constructor(
    private readonly inner: Meta,
    /** The real inode of the directory shown as the root. */
    readonly root: Ino,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get sid(): number {
    return this.inner.sid;
  }

  /** Owners are volume-wide: a subdirectory mount administers the same quotas. */
  get ownerQuotas(): OwnerQuotaAdmin | undefined {
    return this.inner.ownerQuotas;
  }

  /** The engine's inode for one the kernel names. */
  private in(ino: Ino): Ino {
    return ino === ROOT_INODE ? this.root : ino;
  }

  /** Attributes as the kernel should see them: the root and its entries have parent 1. */
  private out(attr: Attr, ino?: Ino): Attr {
    if (ino === this.root) return attr.parent === ROOT_INODE ? attr : { ...attr, parent: ROOT_INODE };
    return attr.parent === this.root ? { ...attr, parent: ROOT_INODE } : attr;
  }

  /** `parent`: the real directory a new name went into, for its attributes (`parentAttr`). */
  private async node(p: Promise<NodeResult>, parent?: Ino): Promise<NodeResult> {
    const r = await p;
    const out: NodeResult = { ino: r.ino === this.root ? ROOT_INODE : r.ino, attr: this.out(r.attr, r.ino) };
    if (r.parentAttr && parent !== undefined) out.parentAttr = this.out(r.parentAttr, parent);
    return out;
  }

  init(format: Format, force?: boolean): Promise<void> {
    return this.inner.init(format, force);
  }
  load(checkVersion?: boolean): Promise<Format> {
    return this.inner.load(checkVersion);
  }
  reset(): Promise<void> {
    return this.inner.reset();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  configure(options: Partial<MetaClientOptions>): void {
    this.inner.configure(options);
  }
  get client(): Readonly<MetaClientOptions> {
    return this.inner.client;
  }
  newSession(options?: NewSessionOptions): Promise<number> {
    return this.inner.newSession(options);
  }
  refreshSession(): Promise<void> {
    return this.inner.refreshSession();
  }
  closeSession(): Promise<void> {
    return this.inner.closeSession();
  }
  flushSession(): Promise<void> {
    return this.inner.flushSession();
  }
  listSessions(): Promise<Session[]> {
    return this.inner.listSessions();
  }
  cleanStaleSessions(now?: number): Promise<number> {
    return this.inner.cleanStaleSessions(now);
  }

  statFS(ctx: Context, ino: Ino): Promise<StatFS> {
    return this.inner.statFS(ctx, this.in(ino));
  }
  getDirStat(ctx: Context, ino: Ino): Promise<DirStat> {
    return this.inner.getDirStat(ctx, this.in(ino));
  }

  access(ctx: Context, ino: Ino, mask: number, attr?: Attr): Promise<void> {
    return this.inner.access(ctx, this.in(ino), mask, attr);
  }
  lookup(ctx: Context, parent: Ino, name: Buffer | string, checkPermission?: boolean): Promise<NodeResult> {
    const real = this.in(parent);
    // The top of the tree: ".." stays in it.
    if (real === this.root && name.toString() === '..') {
      return this.inner.getAttr(ctx, real).then((attr) => ({ ino: ROOT_INODE, attr: this.out(attr, real) }));
    }
    return this.node(this.inner.lookup(ctx, real, name, checkPermission));
  }
  async getParents(ctx: Context, ino: Ino): Promise<Map<Ino, number>> {
    if (!this.inner.getParents) return new Map();
    const real = this.in(ino);
    const parents = await this.inner.getParents(ctx, real);
    // As in what getAttr returns: the directory shown as the root is inode 1.
    return new Map([...parents].map(([p, n]) => [p === this.root ? ROOT_INODE : p, n]));
  }
  async getAttr(ctx: Context, ino: Ino): Promise<Attr> {
    const real = this.in(ino);
    return this.out(await this.inner.getAttr(ctx, real), real);
  }
  async setAttr(ctx: Context, ino: Ino, set: SetAttrRequest): Promise<Attr> {
    const real = this.in(ino);
    return this.out(await this.inner.setAttr(ctx, real, set), real);
  }
  mknod(ctx: Context, parent: Ino, name: Buffer | string, type: Attr['type'], mode: number, cumask: number, rdev?: number): Promise<NodeResult> {
    return this.node(this.inner.mknod(ctx, this.in(parent), name, type, mode, cumask, rdev), this.in(parent));
  }
  mkdir(ctx: Context, parent: Ino, name: Buffer | string, mode: number, cumask: number): Promise<NodeResult> {
    return this.node(this.inner.mkdir(ctx, this.in(parent), name, mode, cumask), this.in(parent));
  }
  create(ctx: Context, parent: Ino, name: Buffer | string, mode: number, cumask: number, flags: number): Promise<NodeResult> {
    return this.node(this.inner.create(ctx, this.in(parent), name, mode, cumask, flags), this.in(parent));
  }
  symlink(ctx: Context, parent: Ino, name: Buffer | string, target: Buffer | string): Promise<NodeResult> {
    return this.node(this.inner.symlink(ctx, this.in(parent), name, target), this.in(parent));
  }
  readlink(ctx: Context, ino: Ino): Promise<Buffer> {
    return this.inner.readlink(ctx, this.in(ino));
  }
  unlink(ctx: Context, parent: Ino, name: Buffer | string, options?: RemoveOptions): Promise<void> {
    return this.inner.unlink(ctx, this.in(parent), name, options);
  }
  rmdir(ctx: Context, parent: Ino, name: Buffer | string, options?: RemoveOptions): Promise<void> {
    return this.inner.rmdir(ctx, this.in(parent), name, options);
  }
  rename(ctx: Context, parentSrc: Ino, nameSrc: Buffer | string, parentDst: Ino, nameDst: Buffer | string, flags?: number): Promise<NodeResult> {
    return this.node(this.inner.rename(ctx, this.in(parentSrc), nameSrc, this.in(parentDst), nameDst, flags));
  }
  async link(ctx: Context, ino: Ino, parent: Ino, name: Buffer | string): Promise<Attr> {
    return this.out(await this.inner.link(ctx, this.in(ino), this.in(parent), name));
  }
  async readdir(ctx: Context, ino: Ino, options?: ReaddirOptions): Promise<ReaddirPage> {
    const page = await this.inner.readdir(ctx, this.in(ino), options);
    const entries = page.entries.map((e) => (e.attr ? { ...e, attr: this.out(e.attr, e.ino) } : e));
    return page.cursor === undefined ? { entries } : { entries, cursor: page.cursor };
  }
  async open(ctx: Context, ino: Ino, flags: number): Promise<Attr> {
    const real = this.in(ino);
    return this.out(await this.inner.open(ctx, real, flags), real);
  }
  close(ctx: Context, ino: Ino): Promise<void> {
    return this.inner.close(ctx, this.in(ino));
  }
  newSlice(): Promise<number> {
    return this.inner.newSlice();
  }
  readChunk(ctx: Context, ino: Ino, indx: number): Promise<Slice[]> {
    return this.inner.readChunk(ctx, this.in(ino), indx);
  }
  async write(ctx: Context, ino: Ino, indx: number, slice: Slice, mtime?: { sec: number; nsec: number }): Promise<Attr> {
    return this.out(await this.inner.write(ctx, this.in(ino), indx, slice, mtime));
  }
  async truncate(ctx: Context, ino: Ino, length: number, skipPermCheck?: boolean): Promise<Attr> {
    return this.out(await this.inner.truncate(ctx, this.in(ino), length, skipPermCheck));
  }
  async fallocate(ctx: Context, ino: Ino, mode: number, offset: number, size: number): Promise<Attr> {
    return this.out(await this.inner.fallocate(ctx, this.in(ino), mode, offset, size));
  }
  copyFileRange(ctx: Context, fin: Ino, offIn: number, fout: Ino, offOut: number, size: number, flags: number): Promise<number> {
    return this.inner.copyFileRange(ctx, this.in(fin), offIn, this.in(fout), offOut, size, flags);
  }
  compactChunk(ino: Ino, indx: number, head: readonly Slice[], replacement: Slice): Promise<void> {
    return this.inner.compactChunk(this.in(ino), indx, head, replacement);
  }
  onSliceDelete(deleter: SliceDeleter): void {
    this.inner.onSliceDelete(deleter);
  }

  getXattr(ctx: Context, ino: Ino, name: string): Promise<Buffer> {
    return this.inner.getXattr(ctx, this.in(ino), name);
  }
  listXattr(ctx: Context, ino: Ino): Promise<string[]> {
    return this.inner.listXattr(ctx, this.in(ino));
  }
  setXattr(ctx: Context, ino: Ino, name: string, value: Buffer, flags: number): Promise<void> {
    return this.inner.setXattr(ctx, this.in(ino), name, value, flags);
  }
  removeXattr(ctx: Context, ino: Ino, name: string): Promise<void> {
    return this.inner.removeXattr(ctx, this.in(ino), name);
  }

  flock(ctx: Context, ino: Ino, owner: bigint, type: 'R' | 'W' | 'U', block: boolean, wait?: LockWaitOptions): Promise<void> {
    return this.inner.flock(ctx, this.in(ino), owner, type, block, wait);
  }
  getlk(ctx: Context, ino: Ino, owner: bigint, lock: PosixLockRequest): Promise<PosixLockRecord> {
    return this.inner.getlk(ctx, this.in(ino), owner, lock);
  }
  setlk(ctx: Context, ino: Ino, owner: bigint, block: boolean, lock: PosixLockRequest, wait?: LockWaitOptions): Promise<void> {
    return this.inner.setlk(ctx, this.in(ino), owner, block, lock, wait);
  }

  cleanupDeleted(): Promise<{ files: number; slices: number }> {
    return this.inner.cleanupDeleted();
  }
  cleanupTrash(now?: number): Promise<number> {
    return this.inner.cleanupTrash(now);
  }
}

/**
 * The directory `subdir` (a path from the volume root) as the root of a RootedMeta, made with
 * mode 0777 where missing, as JuiceFS's Chroot does; ENOTDIR when a component is not a directory.
 */
export async function chroot(meta: Meta, ctx: Context, subdir: string): Promise<RootedMeta> {
  let ino = ROOT_INODE;
  for (const part of subdir.split('/').filter((p) => p !== '' && p !== '.')) {
    if (part === '..') throw fsError('EINVAL', `--subdir ${subdir}: ".." is not allowed; give the path from the volume root`);
    let found: NodeResult;
    try {
      found = await meta.lookup(ctx, ino, part);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      found = await meta.mkdir(ctx, ino, part, 0o777, 0);
    }
    if (found.attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `--subdir ${subdir}: "${part}" is not a directory`);
    ino = found.ino;
  }
  return new RootedMeta(meta, ino);
}
