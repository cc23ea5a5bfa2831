import type { ChunkStore } from '../chunk/store.js';
import { errnoOf, fsError } from '../errors/fs-error.js';
import { F_OK, type Meta } from '../meta/meta.js';
import { NodeType, typeFromMode, type Attr, type SetAttrRequest } from '../types/attr.js';
import type { Context } from '../types/context.js';
import type { Format } from '../types/format.js';
import { ROOT_INODE, TRASH_INODE, type Ino } from '../types/inode.js';
import { LockType, type PosixLockRecord, type PosixLockRequest } from '../types/session.js';
import { CHUNK_SIZE } from '../types/slice.js';
import { AccessLog } from './access-log.js';
import { ControlChannel, type ControlHandler } from './control-channel.js';
import { FileData } from './file-data.js';
import { canRead, canWrite, O_APPEND, O_TRUNC, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from './flags.js';
import { HandleTable, type DirHandle, type FileHandle, type Handle, type SpecialHandle } from './handles.js';
import {
  ACCESSLOG_INODE,
  CONFIG_INODE,
  CONTROL_INODE,
  INTERNAL_NODES,
  STATS_INODE,
  internalAttr,
  internalNodeByIno,
  internalNodeByName,
  isVirtualInode,
} from './internal-nodes.js';
import { MetaCache } from './meta-cache.js';
import { instrumentMeta, VfsMetrics } from './metrics.js';
import {
  DEFAULT_VFS_OPTIONS,
  type AttrReply,
  type CreateReply,
  type DirEntryReply,
  type EntryReply,
  type OpenReply,
  type ReaddirRequest,
  type StatfsReply,
  type VfsInit,
  type VfsOptions,
} from './options.js';
import { checkInternalAccess, configJson } from './special-files.js';

const MAX_NAME = 255;
const MAX_SYMLINK = 4096;
/** Largest file offset: 2^31 chunks of 64 MiB. */
const MAX_FILE_SIZE = CHUNK_SIZE * 2 ** 31;
const XATTR_MAX_NAME = 255;
const XATTR_MAX_SIZE = 65536;
const READDIR_PAGE = 1000;
const LOCK_TO_EOF = 0xffffffffffffffffn;

type Name = Buffer | string;

/**
 * The inode-based file system a FUSE adapter or a Node service drives: one method per FUSE
 * low-level operation (modelled on JuiceFS's pkg/vfs), turning them into Meta and ChunkStore
 * calls. Errors are FsErrors whose `code` is the errno to reply with.
 */
export class Vfs {
  readonly meta: Meta;
  readonly store: ChunkStore;
  readonly format: Format;
  readonly options: VfsOptions;
  readonly metrics = new VfsMetrics();
  private readonly accessLog = new AccessLog();
  private readonly handles = new HandleTable();
  private readonly cache: MetaCache;
  private readonly data: FileData;
  private readonly startSec = Math.floor(Date.now() / 1000);
  private readonly config: Buffer;
  private readonly extraStats: (() => string) | undefined;
  private readonly controlHandler: ControlHandler | undefined;

  constructor(init: VfsInit) {
    this.options = { ...DEFAULT_VFS_OPTIONS, ...init.options };
    this.meta = instrumentMeta(init.meta, this.metrics);
    this.store = init.store;
    this.format = init.format;
    this.extraStats = init.extraStats;
    this.controlHandler = init.control;
    this.cache = new MetaCache(this.options.attrCache, this.options.entryCache, this.options.dirEntryCache);
    this.data = new FileData(this.meta, this.store, this.options.bufferSize, (ino) => this.cache.dropAttr(ino));
    this.config = configJson(this.format, this.options, this.store.blockSize);
  }

  // ---------------------------------------------------------------- names

  async lookup(ctx: Context, parent: Ino, name: Name): Promise<EntryReply> {
    const bname = toName(name);
    return this.op(ctx, 'lookup', () => `${parent},${bname}`, async () => {
      const special = this.internalByName(parent, bname);
      if (special) return special;
      checkName(bname);
      const hit = this.cache.getEntry(ctx, parent, bname);
      if (hit) {
        const attr = await this.attrOf(ctx, hit.ino).catch(() => undefined);
        if (attr) return this.entry(hit.ino, attr);
      }
      const before = this.data.changeCount;
      const { ino, attr } = await this.meta.lookup(ctx, parent, bname);
      this.cache.putEntry(ctx, parent, bname, ino, attr.type);
      return this.entry(ino, this.remember(ino, attr, before));
    }, entryText);
  }

  async getattr(ctx: Context, ino: Ino): Promise<AttrReply> {
    return this.op(ctx, 'getattr', () => `${ino}`, async () => {
      return { attr: await this.attrOf(ctx, ino), attrTimeout: this.options.attrCache };
    }, (r) => attrText(r.attr));
  }

  /** chmod/chown/utimens/truncate. `fh` is the open handle when the kernel has one (ftruncate). */
  async setattr(ctx: Context, ino: Ino, set: SetAttrRequest, fh?: number): Promise<AttrReply> {
    return this.op(ctx, 'setattr', () => `${ino},${JSON.stringify(set)}`, async () => {
      if (isVirtualInode(ino) || ino === TRASH_INODE) throw fsError('EPERM', `inode ${ino} is a virtual file; it cannot be changed`);
      this.writable();
      let attr: Attr | undefined;
      const { size, ...rest } = set;
      if (size !== undefined) {
        checkSize(size);
        const h = fh === undefined ? undefined : this.handles.get(fh);
        const viaHandle = h?.kind === 'file' && h.writable && h.ino === ino;
        attr = await this.data.change(ctx, ino, () => this.meta.truncate(ctx, ino, size, viaHandle));
      }
      if (Object.keys(rest).length > 0) attr = await this.meta.setAttr(ctx, ino, rest);
      attr ??= await this.meta.getAttr(ctx, ino);
      this.cache.dropAttr(ino);
      return { attr: this.withPending(ino, this.remember(ino, attr)), attrTimeout: this.options.attrCache };
    }, (r) => attrText(r.attr));
  }

  /** `mode` is the full st_mode (type bits select the node type; none means a regular file). */
  async mknod(ctx: Context, parent: Ino, name: Name, mode: number, cumask: number, rdev = 0): Promise<EntryReply> {
    const bname = toName(name);
    return this.op(ctx, 'mknod', () => `${parent},${bname},0${mode.toString(8)},${rdev}`, async () => {
      this.checkNewName(parent, bname);
      const type = typeFromMode(mode) ?? NodeType.File;
      const r = await this.meta.mknod(ctx, parent, bname, type, mode & 0o7777, cumask, rdev);
      return this.created(ctx, parent, bname, r.ino, r.attr);
    }, entryText);
  }

  async mkdir(ctx: Context, parent: Ino, name: Name, mode: number, cumask: number): Promise<EntryReply> {
    const bname = toName(name);
    return this.op(ctx, 'mkdir', () => `${parent},${bname},0${mode.toString(8)}`, async () => {
      this.checkNewName(parent, bname);
      const r = await this.meta.mkdir(ctx, parent, bname, mode & 0o7777, cumask);
      return this.created(ctx, parent, bname, r.ino, r.attr);
    }, entryText);
  }

  async symlink(ctx: Context, parent: Ino, name: Name, target: Name): Promise<EntryReply> {
    const bname = toName(name);
    const btarget = toName(target);
    return this.op(ctx, 'symlink', () => `${parent},${bname},${btarget}`, async () => {
      this.checkNewName(parent, bname);
      if (btarget.length >= MAX_SYMLINK) throw fsError('ENAMETOOLONG', `symlink target is ${btarget.length} bytes; the limit is ${MAX_SYMLINK - 1}`);
      if (btarget.length === 0) throw fsError('ENOENT', 'symlink target is empty');
      const r = await this.meta.symlink(ctx, parent, bname, btarget);
      return this.created(ctx, parent, bname, r.ino, r.attr);
    }, entryText);
  }

  async readlink(ctx: Context, ino: Ino): Promise<Buffer> {
    return this.op(ctx, 'readlink', () => `${ino}`, async () => {
      if (isVirtualInode(ino)) throw fsError('EINVAL', `inode ${ino} is a virtual file, not a symlink`);
      return this.meta.readlink(ctx, ino);
    }, (r) => ` (${r.toString()})`);
  }

  async unlink(ctx: Context, parent: Ino, name: Name): Promise<void> {
    const bname = toName(name);
    return this.op(ctx, 'unlink', () => `${parent},${bname}`, async () => {
      this.checkSpecialName(parent, bname, 'EPERM');
      checkName(bname);
      this.writable();
      try {
        await this.meta.unlink(ctx, parent, bname);
      } finally {
        this.forgetName(parent, bname);
      }
    });
  }

  async rmdir(ctx: Context, parent: Ino, name: Name): Promise<void> {
    const bname = toName(name);
    return this.op(ctx, 'rmdir', () => `${parent},${bname}`, async () => {
      this.checkSpecialName(parent, bname, 'EPERM');
      checkName(bname);
      this.writable();
      try {
        await this.meta.rmdir(ctx, parent, bname);
      } finally {
        this.forgetName(parent, bname);
      }
    });
  }

  /** rename(2)/renameat2(2); `flags` RENAME_NOREPLACE / RENAME_EXCHANGE. */
  async rename(ctx: Context, parent: Ino, name: Name, newParent: Ino, newName: Name, flags = 0): Promise<void> {
    const src = toName(name);
    const dst = toName(newName);
    return this.op(ctx, 'rename', () => `${parent},${src},${newParent},${dst},${flags}`, async () => {
      this.checkSpecialName(parent, src, 'EPERM');
      this.checkSpecialName(newParent, dst, 'EPERM');
      checkName(src);
      checkName(dst);
      this.writable();
      try {
        await this.meta.rename(ctx, parent, src, newParent, dst, flags);
      } finally {
        this.forgetName(parent, src);
        this.forgetName(newParent, dst);
      }
    });
  }

  async link(ctx: Context, ino: Ino, newParent: Ino, newName: Name): Promise<EntryReply> {
    const bname = toName(newName);
    return this.op(ctx, 'link', () => `${ino},${newParent},${bname}`, async () => {
      if (isVirtualInode(ino) || ino === TRASH_INODE) throw fsError('EPERM', `inode ${ino} is a virtual file; it cannot be linked`);
      this.checkSpecialName(newParent, bname, 'EPERM');
      checkName(bname);
      this.writable();
      const attr = await this.meta.link(ctx, ino, newParent, bname);
      this.cache.dropAttr(newParent);
      this.cache.dropEntry(newParent, bname);
      return this.entry(ino, this.remember(ino, attr));
    }, entryText);
  }

  // ---------------------------------------------------------------- files

  async open(ctx: Context, ino: Ino, flags: number): Promise<OpenReply> {
    return this.op(ctx, 'open', () => `${ino},0x${flags.toString(16)}`, async () => {
      const node = isVirtualInode(ino) ? internalNodeByIno(ino) : undefined;
      if (node) return this.openInternal(ino, flags);
      if (isVirtualInode(ino)) throw fsError('ENOENT', `virtual inode ${ino} does not exist`);
      if (this.options.readOnly && (canWrite(flags) || (flags & O_TRUNC) !== 0)) throw fsError('EROFS', 'the volume is mounted read-only');
      let attr = await this.meta.open(ctx, ino, flags);
      try {
        if (attr.type === NodeType.Directory && canWrite(flags)) throw fsError('EISDIR', `inode ${ino} is a directory; it cannot be opened for writing`);
        this.data.opened(ino, attr.length);
        if ((flags & O_TRUNC) !== 0 && canWrite(flags) && attr.type === NodeType.File) {
          attr = (await this.data.change(ctx, ino, () => this.meta.truncate(ctx, ino, 0, true))) ?? attr;
          this.cache.dropAttr(ino);
        }
      } catch (err) {
        this.data.closed(ino);
        await this.meta.close(ctx, ino).catch(() => undefined);
        throw err;
      }
      const fh = this.newFileHandle(ino, flags);
      return { fh, attr: this.withPending(ino, this.remember(ino, attr)), attrTimeout: this.options.attrCache, directIo: false, keepCache: false };
    }, (r) => ` [fh:${r.fh}]`);
  }

  /** Create a regular file and open it (O_CREAT|O_EXCL semantics: EEXIST when the name exists). */
  async create(ctx: Context, parent: Ino, name: Name, mode: number, cumask: number, flags: number): Promise<CreateReply> {
    const bname = toName(name);
    return this.op(ctx, 'create', () => `${parent},${bname},0${mode.toString(8)}`, async () => {
      this.checkNewName(parent, bname);
      const r = await this.meta.create(ctx, parent, bname, mode & 0o7777, cumask, flags);
      this.data.opened(r.ino, r.attr.length);
      const entry = this.created(ctx, parent, bname, r.ino, r.attr);
      const fh = this.newFileHandle(r.ino, flags);
      return { ...entry, fh, directIo: false, keepCache: false };
    }, (r) => `${entryText(r)} [fh:${r.fh}]`);
  }

  async read(ctx: Context, ino: Ino, fh: number, offset: number, size: number): Promise<Buffer> {
    return this.op(ctx, 'read', () => `${ino},${size},${offset},${fh}`, async () => {
      const h = this.handle(ino, fh);
      if (offset < 0 || size < 0) throw fsError('EINVAL', `negative offset ${offset} or size ${size}`);
      if (h.kind === 'special') return this.readInternal(h, offset, size);
      if (h.kind !== 'file' || !h.readable) throw fsError('EBADF', `handle ${fh} of inode ${ino} is not open for reading`);
      if (offset >= MAX_FILE_SIZE) throw fsError('EFBIG', `offset ${offset} is past the largest file size`);
      if (size === 0) return Buffer.alloc(0);
      const buf = await this.data.read(ctx, ino, offset, size);
      this.metrics.readSize.observe(buf.length);
      this.metrics.readBytes += buf.length;
      return buf;
    }, (r) => ` (${r.length})`, ino !== ACCESSLOG_INODE);
  }

  /** Write `data` at `offset` (at the end of the file for an O_APPEND handle); returns bytes written. */
  async write(ctx: Context, ino: Ino, fh: number, offset: number, data: Buffer): Promise<number> {
    return this.op(ctx, 'write', () => `${ino},${data.length},${offset},${fh}`, async () => {
      const h = this.handle(ino, fh);
      if (h.kind === 'special' && h.control) {
        h.control.write(ctx, data);
        return data.length;
      }
      if (h.kind !== 'file' || !h.writable) throw fsError('EBADF', `handle ${fh} of inode ${ino} is not open for writing`);
      this.writable();
      if (offset < 0) throw fsError('EINVAL', `negative offset ${offset}`);
      if (offset + data.length >= MAX_FILE_SIZE) throw fsError('EFBIG', `writing to ${offset + data.length} is past the largest file size`);
      if (data.length === 0) return 0;
      await this.data.write(ctx, ino, offset, data, h.append);
      this.cache.dropAttr(ino);
      this.metrics.writtenSize.observe(data.length);
      this.metrics.writtenBytes += data.length;
      this.metrics.usedBuffer = this.data.usedBuffer;
      return data.length;
    });
  }

  /** close(2) of one descriptor: commit pending writes, drop the POSIX locks of `lockOwner`. */
  async flush(ctx: Context, ino: Ino, fh: number, lockOwner?: bigint): Promise<void> {
    return this.op(ctx, 'flush', () => `${ino},${fh}`, async () => {
      const h = this.handle(ino, fh);
      if (h.kind !== 'file') return;
      try {
        if (h.writable) await this.data.flush(ctx, ino);
      } finally {
        this.metrics.usedBuffer = this.data.usedBuffer;
        if (lockOwner !== undefined && h.plockOwners.delete(lockOwner)) {
          await this.meta
            .setlk(ctx, ino, lockOwner, false, { type: LockType.Unlock, start: 0n, end: LOCK_TO_EOF, pid: ctx.pid })
            .catch(() => undefined);
        }
      }
    });
  }

  async fsync(ctx: Context, ino: Ino, fh: number, datasync = false): Promise<void> {
    return this.op(ctx, 'fsync', () => `${ino},${datasync ? 1 : 0}`, async () => {
      const h = this.handle(ino, fh);
      if (h.kind === 'file' && h.writable) await this.data.flush(ctx, ino);
    });
  }

  /** The last close of a handle: commit, drop its flock and the open count (unlinked files go now). */
  async release(ctx: Context, ino: Ino, fh: number): Promise<void> {
    return this.op(ctx, 'release', () => `${ino},${fh}`, async () => {
      const h = this.handles.get(fh);
      if (!h || h.ino !== ino) throw fsError('EBADF', `no open handle ${fh} for inode ${ino}`);
      if (h.kind === 'special') {
        if (ino === ACCESSLOG_INODE) this.accessLog.close(fh);
        this.dropHandle(fh);
        return;
      }
      if (h.kind !== 'file') throw fsError('EBADF', `handle ${fh} is a directory handle; use releasedir`);
      let failure: unknown;
      try {
        if (h.writable) await this.data.flush(ctx, ino);
      } catch (err) {
        failure = err;
      }
      if (h.flockOwner !== undefined) await this.meta.flock(ctx, ino, h.flockOwner, 'U', false).catch(() => undefined);
      this.dropHandle(fh);
      this.data.closed(ino);
      this.cache.dropAttr(ino);
      await this.meta.close(ctx, ino);
      if (failure !== undefined) throw failure;
    });
  }

  // ---------------------------------------------------------------- directories

  async opendir(ctx: Context, ino: Ino): Promise<{ fh: number }> {
    return this.op(ctx, 'opendir', () => `${ino}`, async () => {
      const attr = await this.attrOf(ctx, ino);
      if (attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `inode ${ino} is not a directory`);
      const fh = this.handles.allocate();
      this.handles.add({ kind: 'dir', fh, ino });
      this.metrics.openHandles = this.handles.size;
      return { fh };
    }, (r) => ` [fh:${r.fh}]`);
  }

  /**
   * Entries from `offset` on ("." and ".." first). The listing is read from the engine when
   * `offset` is 0 and served from the handle afterwards, so offsets stay stable.
   */
  async readdir(ctx: Context, ino: Ino, fh: number, offset: number, request: ReaddirRequest = {}): Promise<DirEntryReply[]> {
    return this.op(ctx, 'readdir', () => `${ino},${offset}`, async () => {
      const h = this.handle(ino, fh);
      if (h.kind !== 'dir') throw fsError('EBADF', `handle ${fh} is not a directory handle`);
      if (!h.entries || offset === 0) h.entries = await this.listDir(ctx, ino, request.plus === true);
      const limit = request.limit ?? h.entries.length;
      return h.entries.slice(offset, offset + limit);
    }, (r) => ` (${r.length})`);
  }

  async releasedir(ctx: Context, ino: Ino, fh: number): Promise<void> {
    return this.op(ctx, 'releasedir', () => `${ino}`, async () => {
      const h = this.handles.get(fh);
      if (!h || h.kind !== 'dir' || h.ino !== ino) throw fsError('EBADF', `no open directory handle ${fh} for inode ${ino}`);
      this.dropHandle(fh);
    });
  }

  // ---------------------------------------------------------------- volume

  async statfs(ctx: Context, ino: Ino = ROOT_INODE): Promise<StatfsReply> {
    return this.op(ctx, 'statfs', () => `${ino}`, async () => {
      const s = await this.meta.statFS(ctx, isVirtualInode(ino) || ino === TRASH_INODE ? ROOT_INODE : ino);
      const bsize = 4096;
      const blocks = Math.floor(s.totalSpace / bsize);
      const bavail = Math.floor(s.availSpace / bsize);
      return { blocks, bfree: bavail, bavail, files: s.usedInodes + s.availInodes, ffree: s.availInodes, bsize, frsize: bsize, namelen: MAX_NAME };
    });
  }

  async access(ctx: Context, ino: Ino, mask: number): Promise<void> {
    return this.op(ctx, 'access', () => `${ino},${mask}`, async () => {
      const node = internalNodeByIno(ino);
      if (node) return checkInternalAccess(ctx, this.internalAttrOf(ino), mask);
      if (mask === F_OK) {
        await this.attrOf(ctx, ino);
        return;
      }
      await this.meta.access(ctx, ino, mask);
    });
  }

  // ---------------------------------------------------------------- xattrs

  async setxattr(ctx: Context, ino: Ino, name: string, value: Buffer, flags: number): Promise<void> {
    return this.op(ctx, 'setxattr', () => `${ino},${name},${value.length},${flags}`, async () => {
      if (isVirtualInode(ino)) throw fsError('EPERM', `inode ${ino} is a virtual file; it has no extended attributes`);
      checkXattrName(name);
      if (value.length > XATTR_MAX_SIZE) throw fsError('ERANGE', `xattr value is ${value.length} bytes; the limit is ${XATTR_MAX_SIZE}`);
      this.writable();
      await this.meta.setXattr(ctx, ino, name, value, flags);
      this.cache.dropAttr(ino);
    });
  }

  /** The value; ERANGE when `size` (the caller's buffer, 0 = just asking the size) is too small. */
  async getxattr(ctx: Context, ino: Ino, name: string, size = 0): Promise<Buffer> {
    return this.op(ctx, 'getxattr', () => `${ino},${name},${size}`, async () => {
      if (isVirtualInode(ino)) throw fsError('ENODATA', `inode ${ino} is a virtual file; it has no extended attributes`);
      checkXattrName(name);
      const value = await this.meta.getXattr(ctx, ino, name);
      if (size > 0 && value.length > size) throw fsError('ERANGE', `xattr "${name}" is ${value.length} bytes; the buffer holds ${size}`);
      return value;
    }, (r) => ` (${r.length})`);
  }

  /** NUL-terminated names; ERANGE when `size` (0 = just asking the size) is too small. */
  async listxattr(ctx: Context, ino: Ino, size = 0): Promise<Buffer> {
    return this.op(ctx, 'listxattr', () => `${ino},${size}`, async () => {
      if (isVirtualInode(ino)) return Buffer.alloc(0);
      const names = await this.meta.listXattr(ctx, ino);
      const data = Buffer.concat(names.map((n) => Buffer.from(`${n}\0`)));
      if (size > 0 && data.length > size) throw fsError('ERANGE', `the xattr list is ${data.length} bytes; the buffer holds ${size}`);
      return data;
    }, (r) => ` (${r.length})`);
  }

  async removexattr(ctx: Context, ino: Ino, name: string): Promise<void> {
    return this.op(ctx, 'removexattr', () => `${ino},${name}`, async () => {
      if (isVirtualInode(ino)) throw fsError('EPERM', `inode ${ino} is a virtual file; it has no extended attributes`);
      checkXattrName(name);
      this.writable();
      await this.meta.removeXattr(ctx, ino, name);
      this.cache.dropAttr(ino);
    });
  }

  // ---------------------------------------------------------------- locks

  async getlk(ctx: Context, ino: Ino, fh: number, owner: bigint, lock: PosixLockRequest): Promise<PosixLockRecord> {
    return this.op(ctx, 'getlk', () => `${ino},${owner},${lock.type},${lock.start},${lock.end}`, async () => {
      this.fileHandle(ino, fh);
      return this.meta.getlk(ctx, ino, owner, lock);
    });
  }

  async setlk(ctx: Context, ino: Ino, fh: number, owner: bigint, lock: PosixLockRequest, block: boolean): Promise<void> {
    return this.op(ctx, block ? 'setlkw' : 'setlk', () => `${ino},${owner},${lock.type},${lock.start},${lock.end}`, async () => {
      const h = this.fileHandle(ino, fh);
      await this.meta.setlk(ctx, ino, owner, block, lock);
      if (lock.type !== LockType.Unlock) h.plockOwners.add(owner);
    });
  }

  async flock(ctx: Context, ino: Ino, fh: number, owner: bigint, type: 'R' | 'W' | 'U', block: boolean): Promise<void> {
    return this.op(ctx, 'flock', () => `${ino},${owner},${type},${block}`, async () => {
      const h = this.fileHandle(ino, fh);
      await this.meta.flock(ctx, ino, owner, type, block);
      if (type === 'U') delete h.flockOwner;
      else h.flockOwner = owner;
    });
  }

  // ---------------------------------------------------------------- ranges

  async fallocate(ctx: Context, ino: Ino, fh: number, mode: number, offset: number, length: number): Promise<void> {
    return this.op(ctx, 'fallocate', () => `${ino},${mode},${offset},${length}`, async () => {
      if (offset < 0 || length <= 0) throw fsError('EINVAL', `fallocate needs offset >= 0 and length > 0 (got ${offset}, ${length})`);
      if (isVirtualInode(ino)) throw fsError('EPERM', `inode ${ino} is a virtual file`);
      const h = this.fileHandle(ino, fh);
      if (!h.writable) throw fsError('EBADF', `handle ${fh} is not open for writing`);
      this.writable();
      if (offset + length >= MAX_FILE_SIZE) throw fsError('EFBIG', `fallocate to ${offset + length} is past the largest file size`);
      await this.data.change(ctx, ino, () => this.meta.fallocate(ctx, ino, mode, offset, length));
      this.cache.dropAttr(ino);
    });
  }

  /** copy_file_range(2) as a metadata-level slice copy; returns bytes copied. */
  async copyFileRange(
    ctx: Context,
    inoIn: Ino,
    fhIn: number,
    offIn: number,
    inoOut: Ino,
    fhOut: number,
    offOut: number,
    size: number,
    flags = 0,
  ): Promise<number> {
    return this.op(ctx, 'copy_file_range', () => `${inoIn},${offIn},${inoOut},${offOut},${size},${flags}`, async () => {
      if (isVirtualInode(inoIn)) throw fsError('EOPNOTSUPP', `inode ${inoIn} is a virtual file`);
      if (isVirtualInode(inoOut)) throw fsError('EPERM', `inode ${inoOut} is a virtual file`);
      const hi = this.fileHandle(inoIn, fhIn);
      const ho = this.fileHandle(inoOut, fhOut);
      if (!hi.readable) throw fsError('EBADF', `handle ${fhIn} is not open for reading`);
      if (!ho.writable) throw fsError('EBADF', `handle ${fhOut} is not open for writing`);
      if (ho.append) throw fsError('EBADF', `handle ${fhOut} is open with O_APPEND`);
      this.writable();
      if (flags !== 0) throw fsError('EINVAL', `copy_file_range flags must be 0 (got ${flags})`);
      if (offIn < 0 || offOut < 0 || size < 0) throw fsError('EINVAL', 'negative offset or size');
      if (offIn + size >= MAX_FILE_SIZE || offOut + size >= MAX_FILE_SIZE) throw fsError('EFBIG', 'range past the largest file size');
      if (inoIn === inoOut && offIn < offOut + size && offOut < offIn + size) throw fsError('EINVAL', 'source and destination ranges overlap');
      if (inoIn !== inoOut) await this.data.flush(ctx, inoIn);
      let copied = 0;
      await this.data.change(ctx, inoOut, async () => {
        copied = await this.meta.copyFileRange(ctx, inoIn, offIn, inoOut, offOut, size, flags);
        return this.meta.getAttr(ctx, inoOut);
      });
      this.cache.dropAttr(inoOut);
      return copied;
    }, (r) => ` (${r})`);
  }

  /** lseek(2); the kernel asks only for SEEK_DATA/SEEK_HOLE (data is assumed everywhere below EOF). */
  async lseek(ctx: Context, ino: Ino, fh: number, offset: number, whence: number): Promise<number> {
    return this.op(ctx, 'lseek', () => `${ino},${offset},${whence}`, async () => {
      this.fileHandle(ino, fh);
      const length = (await this.attrOf(ctx, ino)).length;
      switch (whence) {
        case SEEK_SET:
          if (offset < 0) throw fsError('EINVAL', `negative offset ${offset}`);
          return offset;
        case SEEK_END:
          if (length + offset < 0) throw fsError('EINVAL', `resulting offset ${length + offset} is negative`);
          return length + offset;
        case SEEK_DATA:
        case SEEK_HOLE:
          if (offset < 0) throw fsError('EINVAL', `negative offset ${offset}`);
          if (offset >= length) throw fsError('ENXIO', `offset ${offset} is at or past the end of the file (${length})`);
          return whence === SEEK_DATA ? offset : length;
        case SEEK_CUR:
        default:
          throw fsError('EINVAL', `lseek whence ${whence} is handled by the caller, not the file system`);
      }
    });
  }

  /** Commit every pending write (unmount); handles stay valid. */
  async flushAll(ctx: Context): Promise<void> {
    await this.data.flushAll(ctx);
  }

  // ---------------------------------------------------------------- internals

  private async op<T>(
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

  private writable(): void {
    if (this.options.readOnly) throw fsError('EROFS', 'the volume is mounted read-only');
  }

  private entry(ino: Ino, attr: Attr): EntryReply {
    const entryTimeout = attr.type === NodeType.Directory ? this.options.dirEntryCache : this.options.entryCache;
    return { ino, attr: this.withPending(ino, attr), attrTimeout: this.options.attrCache, entryTimeout };
  }

  /** Cache attributes fresh from the engine; `changeCount` is FileData's count before asking. */
  private remember(ino: Ino, attr: Attr, changeCount = this.data.changeCount): Attr {
    this.data.observe(ino, attr, changeCount);
    if (changeCount === this.data.changeCount) this.cache.putAttr(ino, attr);
    return attr;
  }

  /** Attributes with the length this client has written but not yet committed. */
  private withPending(ino: Ino, attr: Attr): Attr {
    const pending = attr.type === NodeType.File ? this.data.pendingLength(ino) : undefined;
    return pending !== undefined && pending > attr.length ? { ...attr, length: pending } : attr;
  }

  private async attrOf(ctx: Context, ino: Ino): Promise<Attr> {
    if (internalNodeByIno(ino)) return this.internalAttrOf(ino);
    const cached = this.cache.getAttr(ino);
    if (cached) return this.withPending(ino, cached);
    const before = this.data.changeCount;
    return this.withPending(ino, this.remember(ino, await this.meta.getAttr(ctx, ino), before));
  }

  private internalAttrOf(ino: Ino): Attr {
    const node = internalNodeByIno(ino);
    if (!node) throw fsError('ENOENT', `virtual inode ${ino} does not exist`);
    return internalAttr(node, ino === CONFIG_INODE ? this.config.length : 0, this.startSec);
  }

  private internalByName(parent: Ino, name: Buffer): EntryReply | undefined {
    const text = name.toString();
    if (parent !== ROOT_INODE && text !== '.control') return undefined;
    const node = internalNodeByName(text);
    if (!node) return undefined;
    const attr = this.internalAttrOf(node.ino);
    return { ino: node.ino, attr, attrTimeout: this.options.attrCache, entryTimeout: this.options.entryCache };
  }

  private checkSpecialName(parent: Ino, name: Buffer, code: 'EPERM' | 'EEXIST'): void {
    if (parent === ROOT_INODE && internalNodeByName(name.toString())) {
      throw fsError(code, `"${name.toString()}" is reserved for a virtual file in the root of the volume`);
    }
  }

  private checkNewName(parent: Ino, name: Buffer): void {
    this.checkSpecialName(parent, name, 'EEXIST');
    checkName(name);
    this.writable();
  }

  private created(ctx: Context, parent: Ino, name: Buffer, ino: Ino, attr: Attr): EntryReply {
    this.cache.dropAttr(parent);
    this.cache.putEntry(ctx, parent, name, ino, attr.type);
    return this.entry(ino, this.remember(ino, attr));
  }

  /** After a name went away or moved: its entry and every cached attribute (link counts, ctimes). */
  private forgetName(parent: Ino, name: Buffer): void {
    this.cache.dropEntry(parent, name);
    this.cache.dropAllAttrs();
  }

  private handle(ino: Ino, fh: number): Handle {
    const h = this.handles.get(fh);
    if (!h || h.ino !== ino) throw fsError('EBADF', `no open handle ${fh} for inode ${ino}`);
    return h;
  }

  private fileHandle(ino: Ino, fh: number): FileHandle {
    const h = this.handle(ino, fh);
    if (h.kind !== 'file') throw fsError('EBADF', `handle ${fh} of inode ${ino} is not a regular file handle`);
    return h;
  }

  private newFileHandle(ino: Ino, flags: number): number {
    const fh = this.handles.allocate();
    this.handles.add({
      kind: 'file',
      fh,
      ino,
      flags,
      readable: canRead(flags),
      writable: canWrite(flags),
      append: (flags & O_APPEND) !== 0,
      plockOwners: new Set(),
    });
    this.metrics.openHandles = this.handles.size;
    return fh;
  }

  private dropHandle(fh: number): void {
    this.handles.remove(fh);
    this.metrics.openHandles = this.handles.size;
  }

  private openInternal(ino: Ino, flags: number): OpenReply {
    const attr = this.internalAttrOf(ino);
    if (ino !== CONTROL_INODE && (canWrite(flags) || (flags & O_TRUNC) !== 0)) throw fsError('EACCES', `"${internalNodeByIno(ino)?.name}" is read-only`);
    const fh = this.handles.allocate();
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

  private async readInternal(h: SpecialHandle, offset: number, size: number): Promise<Buffer> {
    if (h.ino === ACCESSLOG_INODE) return this.accessLog.read(h.fh, size);
    if (h.control) return h.control.read(size);
    if (offset >= h.data.length) return Buffer.alloc(0);
    return Buffer.from(h.data.subarray(offset, Math.min(h.data.length, offset + size)));
  }

  private async listDir(ctx: Context, ino: Ino, plus: boolean): Promise<DirEntryReply[]> {
    const self = await this.attrOf(ctx, ino);
    const parentIno = ino === ROOT_INODE || self.parent === 0n ? ino : self.parent;
    const out: DirEntryReply[] = [];
    const push = (name: Buffer, child: Ino, type: NodeType, attr?: Attr) => {
      const entryTimeout = type === NodeType.Directory ? this.options.dirEntryCache : this.options.entryCache;
      const e: DirEntryReply = { name, ino: child, type, offset: out.length + 1, attrTimeout: this.options.attrCache, entryTimeout };
      if (plus && attr) e.attr = this.withPending(child, attr);
      out.push(e);
    };
    push(Buffer.from('.'), ino, NodeType.Directory, self);
    const parentAttr = plus && parentIno !== ino ? await this.attrOf(ctx, parentIno).catch(() => undefined) : self;
    push(Buffer.from('..'), parentIno, NodeType.Directory, parentAttr);
    let cursor: string | undefined;
    const before = this.data.changeCount;
    do {
      const page = await this.meta.readdir(ctx, ino, cursor === undefined ? { plus, limit: READDIR_PAGE } : { plus, limit: READDIR_PAGE, cursor });
      for (const e of page.entries) {
        if (e.attr) this.remember(e.ino, e.attr, before);
        push(e.name, e.ino, e.type, e.attr);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    if (ino === ROOT_INODE && !this.options.hideInternal) {
      const listed = new Set(out.map((e) => e.name.toString()));
      for (const node of INTERNAL_NODES.slice(1)) {
        if (!listed.has(node.name)) push(Buffer.from(node.name), node.ino, node.type, this.internalAttrOf(node.ino));
      }
    }
    return out;
  }
}

function toName(name: Name): Buffer {
  return typeof name === 'string' ? Buffer.from(name) : name;
}

function checkName(name: Buffer): void {
  if (name.length > MAX_NAME) throw fsError('ENAMETOOLONG', `name is ${name.length} bytes; the limit is ${MAX_NAME}`);
}

function checkSize(size: number): void {
  if (size < 0) throw fsError('EINVAL', `negative file size ${size}`);
  if (size >= MAX_FILE_SIZE) throw fsError('EFBIG', `size ${size} is past the largest file size`);
}

function checkXattrName(name: string): void {
  const len = Buffer.byteLength(name);
  if (len === 0) throw fsError('EINVAL', 'empty xattr name');
  if (len > XATTR_MAX_NAME) throw fsError('ERANGE', `xattr name is ${len} bytes; the limit is ${XATTR_MAX_NAME}`);
  if (name === 'system.posix_acl_access' || name === 'system.posix_acl_default') {
    throw fsError('EOPNOTSUPP', 'POSIX ACLs are read and written through the ACL interface, not as raw xattrs');
  }
}

function attrText(attr: Attr): string {
  return ` (${attr.type},0${attr.mode.toString(8)},${attr.uid},${attr.gid},${attr.length})`;
}

function entryText(r: EntryReply): string {
  return ` (${r.ino},[${attrText(r.attr).trim()}])`;
}

