import { fsError, LockType, type Vfs } from '@juicefs/core';
import {
  F_RDLCK,
  F_UNLCK,
  F_WRLCK,
  FOPEN,
  FUSE_OPEN_KILL_SUIDGID,
  FUSE_RELEASE_FLOCK_UNLOCK,
  FUSE_WRITE_KILL_SUIDGID,
  InitFlag,
  setsAnything,
  type AttrOut,
  type CopyFileRangeIn,
  type CreateIn,
  type DirentBuffer,
  type EntryOut,
  type FallocateIn,
  type FileLock,
  type IoctlIn,
  type LkIn,
  type MknodIn,
  type OpenOut,
  type ReadIn,
  type ReleaseIn,
  type SetattrIn,
  type StatfsOut,
  type WriteIn,
} from '../protocol/index.js';
import type { ConnectionInfo, FuseHandler, FuseNotifier, RequestContext } from '../server/index.js';
import { context, hasCode, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, type Context, type OpenUse } from '@juicefs/core';
import { direntTypeOf, entryOut, fhNumber, fuseAttr, trustedContext } from './convert.js';
import { GroupCache } from './groups.js';

export interface VfsHandlerOptions {
  /**
   * Handle numbers below this were given out by an earlier server of the same connection (a
   * mount worker restarted by its supervisor; the VFS numbers its own handles from here). The
   * first request on such a handle opens the node again under the same number (Vfs.open's
   * takeOver), with the open flags the request carries (read and write do) or read-write, falling
   * back to read-only; so lock owners, which the VFS derives from handle numbers, stay the same.
   * Releasing one that was never used again only drops its flock. Default 0: every handle is this
   * server's own.
   */
  handlesFrom?: number;
  /** Commit buffered writes (vfs.close) when the kernel sends DESTROY. Default true. */
  closeOnDestroy?: boolean;
  /**
   * Whether the mount has default_permissions (must match the mount option; default true, as
   * both default). With it the kernel checks permissions and the VFS does not; without it the
   * VFS checks every request, with the caller's supplementary groups read from /proc.
   */
  defaultPermissions?: boolean;
  /**
   * Keep security.capability xattrs (JuiceFS --enable-cap). Default false, as JuiceFS: the
   * kernel asks for security.capability before every WRITE (to drop file capabilities), and
   * without the flag that is answered ENODATA here, with no metadata round trip; setting it
   * is EOPNOTSUPP.
   */
  enableCap?: boolean;
  /**
   * Keep security.selinux labels (JuiceFS --enable-selinux). Default false, as JuiceFS: getting
   * the label is ENODATA with no metadata round trip (the kernel asks for it on every lookup on
   * an SELinux host), setting it EOPNOTSUPP, so the host labels the mount as a whole.
   */
  enableSelinux?: boolean;
  /**
   * JuiceFS's --root-squash: requests of root (uid 0) run as this user, whose permissions the VFS
   * then checks (the kernel let root through already).
   */
  rootSquash?: { uid: number; gid: number };
  /** JuiceFS's --all-squash: every request runs as this user, checked by the VFS. */
  allSquash?: { uid: number; gid: number };
  /**
   * JuiceFS's --negative-entry-cache, seconds: a name found missing is answered as a negative
   * entry (node id 0) the kernel keeps that long, so asking again costs no request. Changes made
   * through this mount update the kernel's entry at once; another client's create shows after
   * the timeout. Default 0: every lookup of a missing name reaches the VFS.
   */
  negativeEntryCache?: number;
  /**
   * JuiceFS's --umask: new files, directories and nodes get this umask instead of their creator's.
   * Mount with the session's `dontMask` so the kernel leaves the creator's umask off the mode;
   * without it (a kernel that refuses DONT_MASK) both apply.
   */
  umask?: number;
  /**
   * JuiceFS's --readdir-cache: directories are opened with FOPEN_CACHE_DIR, so the kernel keeps
   * their listings and serves the next ones itself. It drops a listing when this mount changes
   * the directory, and when the directory's mtime has changed once its attributes expire.
   */
  readdirCache?: boolean;
  /**
   * Serve ioctls (FS_IOC_GETFLAGS/SETFLAGS and their FSGETXATTR twins: chattr, lsattr). Default
   * true for a library user; `juicefs mount` turns it on only with --enable-ioctl, as JuiceFS
   * does; otherwise they are answered ENOTTY, which the kernel hands chattr and lsattr as
   * EOPNOTSUPP ("Operation not supported").
   */
  enableIoctl?: boolean;
}

/** The reply to LOOKUP for a missing name that the kernel may remember (node id 0). */
function negativeEntry(timeout: number): EntryOut {
  return {
    ino: 0n,
    entryTimeout: timeout,
    attrTimeout: 0,
    attr: { ino: 0n, size: 0, blocks: 0, atime: 0, atimensec: 0, mtime: 0, mtimensec: 0, ctime: 0, ctimensec: 0, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0 },
  };
}

const CAPABILITY_XATTR = 'security.capability';
const SELINUX_XATTR = 'security.selinux';

function openOut(r: { fh: number; directIo: boolean; keepCache: boolean }): OpenOut {
  return { fh: BigInt(r.fh), openFlags: (r.directIo ? FOPEN.DIRECT_IO : 0) | (r.keepCache ? FOPEN.KEEP_CACHE : 0) };
}

/** The end of a whole-file POSIX lock (the VFS's LOCK_TO_EOF). */
const LOCK_TO_EOF = 0xffffffffffffffffn;

const FLOCK_TYPE: Record<number, 'R' | 'W' | 'U'> = { [F_RDLCK]: 'R', [F_WRLCK]: 'W', [F_UNLCK]: 'U' };

function lockType(type: number): LockType {
  return type === F_RDLCK ? LockType.Read : type === F_WRLCK ? LockType.Write : LockType.Unlock;
}

/**
 * The FUSE handler of a JuiceFS mount: each kernel operation becomes the matching Vfs call
 * (JuiceFS's pkg/fuse onto pkg/vfs). Errors pass through untouched: they are FsErrors whose
 * code the server turns into the errno.
 */
export class VfsFuseHandler implements FuseHandler {
  /** Setuid/setgid are cleared by the VFS and the engine (FuseHandler.handleKillpriv). */
  readonly handleKillpriv = true;
  private readonly groups = new GroupCache();
  private readonly trusted: boolean;
  private readonly handlesFrom: number;
  /** Earlier servers' handles opened again here, by number (see VfsHandlerOptions.handlesFrom). */
  private readonly adopted = new Map<number, Promise<number>>();
  /**
   * How every file handle is used: with the kernel's writeback cache negotiated at INIT, the
   * kernel reads through write-only handles and places appends itself (OpenUse).
   */
  private use: OpenUse = {};
  /** Notifications to the kernel, from INIT on. */
  private notify: FuseNotifier | undefined;

  constructor(
    readonly vfs: Vfs,
    private readonly options: VfsHandlerOptions = {},
  ) {
    this.trusted = options.defaultPermissions ?? true;
    this.handlesFrom = options.handlesFrom ?? 0;
  }

  /** File handle `fh` as the VFS knows it: this server's own, or an earlier server's opened again. */
  private fileFh(c: Context, ino: bigint, fh: bigint, flags?: number): number | Promise<number> {
    const n = fhNumber(fh);
    if (n >= this.handlesFrom) return n;
    return this.adopt(n, async () => {
      if (flags !== undefined) return (await this.vfs.open(c, ino, flags & ~(O_CREAT | O_EXCL | O_TRUNC), n, this.use)).fh;
      try {
        return (await this.vfs.open(c, ino, O_RDWR, n, this.use)).fh;
      } catch (err) {
        if (!hasCode(err, 'EACCES') && !hasCode(err, 'EPERM') && !hasCode(err, 'EROFS') && !hasCode(err, 'EISDIR')) throw err;
        return (await this.vfs.open(c, ino, O_RDONLY, n, this.use)).fh;
      }
    });
  }

  /** The same for a directory handle. */
  private dirFh(c: Context, ino: bigint, fh: bigint): number | Promise<number> {
    const n = fhNumber(fh);
    if (n >= this.handlesFrom) return n;
    return this.adopt(n, async () => (await this.vfs.opendir(c, ino, n)).fh);
  }

  private adopt(old: number, open: () => Promise<number>): Promise<number> {
    let p = this.adopted.get(old);
    if (p === undefined) {
      p = open();
      this.adopted.set(old, p);
      p.catch(() => this.adopted.delete(old)); // a failed reopen is tried again next time
    }
    return p;
  }

  /** An earlier server's file handle as opened here, or undefined when the node cannot be opened (gone). */
  private async adoptedOrNone(c: Context, ino: bigint, fh: bigint): Promise<number | undefined> {
    try {
      return await this.fileFh(c, ino, fh);
    } catch {
      return undefined;
    }
  }

  /** The VFS context of a request (see VfsHandlerOptions.defaultPermissions). */
  private async ctx(r: RequestContext): Promise<Context> {
    const squash = this.squashOf(r);
    if (squash) return context(squash.uid, squash.gid, [squash.gid], r.pid);
    if (this.trusted || r.uid === 0) return trustedContext(r);
    return context(r.uid, r.gid, await this.groups.get(r.pid, r.gid), r.pid);
  }

  /**
   * The context of a request that asks to clear setuid/setgid (the caller lacks CAP_FSETID): with
   * all the caller's groups even where the kernel checks permissions, because a write keeps a
   * setgid without group execute only for a member of the file's group (setidToKill).
   */
  private async killerCtx(r: RequestContext): Promise<Context> {
    const c = await this.ctx(r);
    if (c.checkPermission !== false || this.squashOf(r) !== undefined) return c;
    return { uid: c.uid, gid: c.gid, gids: await this.groups.get(r.pid, r.gid), pid: c.pid, checkPermission: false };
  }

  /** The identity --all-squash, or --root-squash for root, puts in place of the caller's. */
  private squashOf(r: RequestContext): { uid: number; gid: number } | undefined {
    return this.options.allSquash ?? (r.uid === 0 ? this.options.rootSquash : undefined);
  }

  init(conn: ConnectionInfo, notify: FuseNotifier): void {
    this.use = (conn.flags & InitFlag.WRITEBACK_CACHE) !== 0 ? { kernelWriteback: true } : {};
    this.notify = notify;
  }

  async destroy(): Promise<void> {
    if (this.options.closeOnDestroy ?? true) await this.vfs.close();
  }

  async lookup(ctx: RequestContext, parent: bigint, name: Buffer): Promise<EntryOut> {
    const negative = this.options.negativeEntryCache ?? 0;
    if (negative <= 0) return entryOut(await this.vfs.lookup(await this.ctx(ctx), parent, name));
    try {
      return entryOut(await this.vfs.lookup(await this.ctx(ctx), parent, name));
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) throw err;
      return negativeEntry(negative);
    }
  }

  forget(): void {
    // The VFS keeps no per-inode kernel lookup state.
  }

  async getattr(ctx: RequestContext, ino: bigint): Promise<AttrOut> {
    const r = await this.vfs.getattr(await this.ctx(ctx), ino);
    return { attr: fuseAttr(ino, r.attr), attrTimeout: r.attrTimeout };
  }

  async setattr(ctx: RequestContext, ino: bigint, set: SetattrIn): Promise<AttrOut> {
    const req: Parameters<Vfs['setattr']>[2] = {};
    // FATTR_KILL_SUIDGID (a truncate), or nothing to set at all: the kernel's remove-privileges
    // call, sent only for a caller without CAP_FSETID on a file it sees setid bits on.
    if (set.killSuidgid === true || !setsAnything(set)) req.killSetid = true;
    if (set.mode !== undefined) req.mode = set.mode & 0o7777;
    if (set.uid !== undefined) req.uid = set.uid;
    if (set.gid !== undefined) req.gid = set.gid;
    if (set.size !== undefined) req.size = set.size;
    if (set.atime !== undefined) req.atime = set.atime;
    if (set.mtime !== undefined) req.mtime = set.mtime;
    if (set.ctime !== undefined) req.ctime = set.ctime;
    const c = req.killSetid === true ? await this.killerCtx(ctx) : await this.ctx(ctx);
    const r = await this.vfs.setattr(c, ino, req, set.fh === undefined ? undefined : await this.fileFh(c, ino, set.fh));
    return { attr: fuseAttr(ino, r.attr), attrTimeout: r.attrTimeout };
  }

  async readlink(ctx: RequestContext, ino: bigint): Promise<Buffer> {
    return this.vfs.readlink(await this.ctx(ctx), ino);
  }

  async symlink(ctx: RequestContext, parent: bigint, name: Buffer, target: Buffer): Promise<EntryOut> {
    return entryOut(await this.vfs.symlink(await this.ctx(ctx), parent, name, target));
  }

  async mknod(ctx: RequestContext, parent: bigint, req: MknodIn): Promise<EntryOut> {
    return entryOut(await this.vfs.mknod(await this.ctx(ctx), parent, req.name, req.mode, this.options.umask ?? req.umask, req.rdev));
  }

  async mkdir(ctx: RequestContext, parent: bigint, name: Buffer, mode: number, umask: number): Promise<EntryOut> {
    return entryOut(await this.vfs.mkdir(await this.ctx(ctx), parent, name, mode, this.options.umask ?? umask));
  }

  async unlink(ctx: RequestContext, parent: bigint, name: Buffer): Promise<void> {
    await this.vfs.unlink(await this.ctx(ctx), parent, name);
  }

  async rmdir(ctx: RequestContext, parent: bigint, name: Buffer): Promise<void> {
    await this.vfs.rmdir(await this.ctx(ctx), parent, name);
  }

  async rename(ctx: RequestContext, parent: bigint, name: Buffer, newParent: bigint, newName: Buffer, flags: number): Promise<void> {
    await this.vfs.rename(await this.ctx(ctx), parent, name, newParent, newName, flags);
  }

  async link(ctx: RequestContext, ino: bigint, newParent: bigint, newName: Buffer): Promise<EntryOut> {
    return entryOut(await this.vfs.link(await this.ctx(ctx), ino, newParent, newName));
  }

  async open(ctx: RequestContext, ino: bigint, flags: number, openFlags = 0): Promise<OpenOut> {
    const kill = (openFlags & FUSE_OPEN_KILL_SUIDGID) !== 0;
    const c = kill ? await this.killerCtx(ctx) : await this.ctx(ctx);
    const r = await this.vfs.open(c, ino, flags, undefined, kill ? { ...this.use, killSetid: true } : this.use);
    // With its writeback cache the kernel trusts the mode it holds and asks for nothing after an
    // O_TRUNC open; told so, its next stat sees setuid/setgid gone.
    if (kill && this.use.kernelWriteback === true && (flags & O_TRUNC) !== 0) this.notify?.invalidateAttributes(ino);
    return openOut(r);
  }

  async read(ctx: RequestContext, ino: bigint, req: ReadIn): Promise<Buffer> {
    // shared: the reply is written (and copied by the kernel) before anyone could modify it.
    const c = await this.ctx(ctx);
    const fh = this.fileFh(c, ino, req.fh, req.flags); // a number, unless an earlier server's handle (no await on the hot path)
    return this.vfs.read(c, ino, typeof fh === 'number' ? fh : await fh, req.offset, req.size, true);
  }

  async write(ctx: RequestContext, ino: bigint, req: WriteIn): Promise<number> {
    const killSetid = (req.writeFlags & FUSE_WRITE_KILL_SUIDGID) !== 0;
    const c = killSetid ? await this.killerCtx(ctx) : await this.ctx(ctx);
    const fh = this.fileFh(c, ino, req.fh, req.flags);
    return this.vfs.write(c, ino, typeof fh === 'number' ? fh : await fh, req.offset, req.data, killSetid);
  }

  async flush(ctx: RequestContext, ino: bigint, fh: bigint, lockOwner: bigint): Promise<void> {
    const c = await this.ctx(ctx);
    const n = fhNumber(fh);
    if (n >= this.handlesFrom) {
      await this.vfs.flush(c, ino, n, lockOwner);
      return;
    }
    // An earlier server's handle: nothing of it is buffered here, but the POSIX locks its caller
    // took go at close, as the VFS drops its own handles' (the session, and so the locks, carried on).
    const own = await this.adoptedOrNone(c, ino, fh);
    if (own === undefined) return;
    await this.vfs.flush(c, ino, own, lockOwner);
    await this.vfs.setlk(c, ino, own, lockOwner, { type: LockType.Unlock, start: 0n, end: LOCK_TO_EOF, pid: ctx.pid }, false).catch(() => undefined);
  }

  async release(ctx: RequestContext, ino: bigint, req: ReleaseIn): Promise<void> {
    const c = await this.ctx(ctx);
    const n = fhNumber(req.fh);
    // The VFS drops its handle's flock itself, so FUSE_RELEASE_FLOCK_UNLOCK needs nothing extra...
    if (n >= this.handlesFrom) {
      await this.vfs.release(c, ino, n);
      return;
    }
    // ...but for an earlier server's handle the flock was taken there: drop it by its owner.
    const unlock = (req.releaseFlags & FUSE_RELEASE_FLOCK_UNLOCK) !== 0;
    const own = unlock ? await this.adoptedOrNone(c, ino, req.fh) : await this.adopted.get(n)?.catch(() => undefined);
    this.adopted.delete(n);
    if (own === undefined) return;
    if (unlock) await this.vfs.flock(c, ino, own, req.lockOwner, 'U', false).catch(() => undefined);
    await this.vfs.release(c, ino, own);
  }

  async fsync(ctx: RequestContext, ino: bigint, fh: bigint, datasync: boolean): Promise<void> {
    const c = await this.ctx(ctx);
    await this.vfs.fsync(c, ino, await this.fileFh(c, ino, fh), datasync);
  }

  async create(ctx: RequestContext, parent: bigint, req: CreateIn): Promise<{ entry: EntryOut; open: OpenOut }> {
    const r = await this.vfs.create(await this.ctx(ctx), parent, req.name, req.mode, this.options.umask ?? req.umask, req.flags, this.use);
    return { entry: entryOut(r), open: openOut(r) };
  }

  async fallocate(ctx: RequestContext, ino: bigint, req: FallocateIn): Promise<void> {
    const c = await this.ctx(ctx);
    await this.vfs.fallocate(c, ino, await this.fileFh(c, ino, req.fh), req.mode, req.offset, req.length);
  }

  async lseek(ctx: RequestContext, ino: bigint, fh: bigint, offset: number, whence: number): Promise<number> {
    const c = await this.ctx(ctx);
    return this.vfs.lseek(c, ino, await this.fileFh(c, ino, fh), offset, whence);
  }

  async copyFileRange(ctx: RequestContext, ino: bigint, r: CopyFileRangeIn): Promise<number> {
    const c = await this.ctx(ctx);
    const fhIn = await this.fileFh(c, ino, r.fhIn);
    return this.vfs.copyFileRange(c, ino, fhIn, r.offIn, r.nodeidOut, await this.fileFh(c, r.nodeidOut, r.fhOut), r.offOut, r.len, r.flags);
  }

  async statfs(ctx: RequestContext, ino: bigint): Promise<StatfsOut> {
    return this.vfs.statfs(await this.ctx(ctx), ino);
  }

  async access(ctx: RequestContext, ino: bigint, mask: number): Promise<void> {
    await this.vfs.access(await this.ctx(ctx), ino, mask);
  }

  async setxattr(ctx: RequestContext, ino: bigint, name: Buffer, value: Buffer, flags: number): Promise<void> {
    if (this.options.enableCap !== true && name.toString() === CAPABILITY_XATTR) {
      throw fsError('EOPNOTSUPP', `${CAPABILITY_XATTR} is kept only on mounts with --enable-cap`);
    }
    if (this.options.enableSelinux !== true && name.toString() === SELINUX_XATTR) {
      throw fsError('EOPNOTSUPP', `${SELINUX_XATTR} is kept only on mounts with --enable-selinux`);
    }
    await this.vfs.setxattr(await this.ctx(ctx), ino, name.toString(), value, flags);
  }

  async getxattr(ctx: RequestContext, ino: bigint, name: Buffer): Promise<Buffer> {
    const text = name.toString();
    if (this.options.enableCap !== true && text === CAPABILITY_XATTR) throw fsError('ENODATA', `no ${CAPABILITY_XATTR} without --enable-cap`);
    if (this.options.enableSelinux !== true && text === SELINUX_XATTR) throw fsError('ENODATA', `no ${SELINUX_XATTR} without --enable-selinux`);
    // Size 0: the whole value; the server answers size probes and ERANGE.
    return this.vfs.getxattr(await this.ctx(ctx), ino, text, 0);
  }

  async listxattr(ctx: RequestContext, ino: bigint): Promise<Buffer[]> {
    const packed = await this.vfs.listxattr(await this.ctx(ctx), ino, 0);
    const names: Buffer[] = [];
    let start = 0;
    for (let i = packed.indexOf(0); i >= 0; start = i + 1, i = packed.indexOf(0, start)) names.push(packed.subarray(start, i));
    return names;
  }

  async removexattr(ctx: RequestContext, ino: bigint, name: Buffer): Promise<void> {
    await this.vfs.removexattr(await this.ctx(ctx), ino, name.toString());
  }

  async opendir(ctx: RequestContext, ino: bigint): Promise<OpenOut> {
    const fh = BigInt((await this.vfs.opendir(await this.ctx(ctx), ino)).fh);
    return this.options.readdirCache ? { fh, openFlags: FOPEN.CACHE_DIR | FOPEN.KEEP_CACHE } : { fh };
  }

  async readdir(ctx: RequestContext, ino: bigint, fh: bigint, offset: number, out: DirentBuffer): Promise<void> {
    await this.fillDir(ctx, ino, fh, offset, out);
  }

  async readdirplus(ctx: RequestContext, ino: bigint, fh: bigint, offset: number, out: DirentBuffer): Promise<void> {
    await this.fillDir(ctx, ino, fh, offset, out);
  }

  private async fillDir(ctx: RequestContext, ino: bigint, fh: bigint, offset: number, out: DirentBuffer): Promise<void> {
    // Ask for about as many entries as the kernel's buffer can hold (records are >= 32 bytes).
    const limit = Math.max(1, Math.ceil(out.size / (out.plus ? 160 : 32)));
    const c = await this.ctx(ctx);
    const entries = await this.vfs.readdir(c, ino, await this.dirFh(c, ino, fh), offset, { plus: out.plus, limit });
    for (const e of entries) {
      const d = { name: e.name, ino: e.ino, type: direntTypeOf(e.type), offset: e.offset };
      // "." and ".." carry no entry: the kernel does not count lookups for them.
      const dots = e.name.length <= 2 && (e.name.toString() === '.' || e.name.toString() === '..');
      const added = out.plus && !dots && e.attr !== undefined ? out.add(d, entryOut({ ...e, attr: e.attr })) : out.add(d);
      if (!added) break;
    }
  }

  async releasedir(ctx: RequestContext, ino: bigint, fh: bigint): Promise<void> {
    const n = fhNumber(fh);
    if (n >= this.handlesFrom) {
      await this.vfs.releasedir(await this.ctx(ctx), ino, n);
      return;
    }
    const own = await this.adopted.get(n)?.catch(() => undefined);
    this.adopted.delete(n);
    if (own !== undefined) await this.vfs.releasedir(await this.ctx(ctx), ino, own);
  }

  async fsyncdir(): Promise<void> {
    // Directory changes are committed to the metadata engine as they happen.
  }

  async ioctl(ctx: RequestContext, ino: bigint, req: IoctlIn): Promise<Buffer> {
    if (this.options.enableIoctl === false) throw fsError('ENOTTY', 'ioctls are off on this mount (juicefs mount --enable-ioctl turns them on)');
    return this.vfs.ioctl(await this.ctx(ctx), ino, req.cmd, req.input, req.outSize);
  }

  async getlk(ctx: RequestContext, ino: bigint, req: LkIn): Promise<FileLock> {
    const l = req.lock;
    const c = await this.ctx(ctx);
    const r = await this.vfs.getlk(c, ino, await this.fileFh(c, ino, req.fh), req.owner, { type: lockType(l.type), start: l.start, end: l.end, pid: l.pid });
    const type = r.type === LockType.Read ? F_RDLCK : r.type === LockType.Write ? F_WRLCK : F_UNLCK;
    return { start: r.start, end: r.end, type, pid: r.pid };
  }

  async setlk(ctx: RequestContext, ino: bigint, req: LkIn, block: boolean): Promise<void> {
    const l = req.lock;
    // A blocking wait (SETLKW, also flock without LOCK_NB) ends with EINTR when the kernel
    // interrupts it or the session ends; the session leaves that answer to us (see session.ts).
    const wait = block ? { signal: ctx.signal } : {};
    const c = await this.ctx(ctx);
    const fh = await this.fileFh(c, ino, req.fh);
    if (req.flock) {
      await this.vfs.flock(c, ino, fh, req.owner, FLOCK_TYPE[l.type] ?? 'U', block, wait);
      return;
    }
    await this.vfs.setlk(c, ino, fh, req.owner, { type: lockType(l.type), start: l.start, end: l.end, pid: l.pid }, block, wait);
  }
}
