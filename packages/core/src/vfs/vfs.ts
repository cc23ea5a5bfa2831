import { fsError } from '../errors/fs-error.js';
import { F_OK, type LockWaitOptions } from '../meta/meta.js';
import { NodeType, type Attr } from '../types/attr.js';
import type { Context } from '../types/context.js';
import { ROOT_INODE, TRASH_INODE, type Ino } from '../types/inode.js';
import { LockType, type PosixLockRecord, type PosixLockRequest } from '../types/session.js';
import { flagsFromIoctl, ioctlReply, isSetIoctl, isSupportedIoctl, needsRoot } from './ioctl.js';
import { INTERNAL_NODES, internalName, internalNodeByIno, isVirtualInode } from './internal-nodes.js';
import type { DirEntryReply, ReaddirRequest, StatfsReply } from './options.js';
import { checkInternalAccess } from './special-files.js';
import { MAX_NAME, XATTR_MAX_SIZE, READDIR_PAGE, checkXattrName } from './vfs-base.js';
import { VfsFiles } from './vfs-files.js';

/**
 * The inode-based file system a FUSE adapter or a Node service drives: one method per FUSE
 * low-level operation (modelled on JuiceFS's pkg/vfs), turning them into Meta and ChunkStore
 * calls. Errors are FsErrors whose `code` is the errno to reply with.
 */
export class Vfs extends VfsFiles {
  // ---------------------------------------------------------------- directories

  /** Open a directory; `takeOver` as for open(). */
  async opendir(ctx: Context, ino: Ino, takeOver?: number): Promise<{ fh: number }> {
    return this.op(ctx, 'opendir', () => `${ino}`, async () => {
      const attr = await this.attrOf(ctx, ino);
      if (attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `inode ${ino} is not a directory`);
      const fh = this.handles.allocate(takeOver);
      this.handles.add({ kind: 'dir', fh, ino, attr });
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
      noLocksOnVirtual(ino);
      this.fileHandle(ino, fh);
      return this.meta.getlk(ctx, ino, owner, lock);
    });
  }

  /** `wait.signal` ends a blocking wait with EINTR (FUSE INTERRUPT of SETLKW). */
  async setlk(ctx: Context, ino: Ino, fh: number, owner: bigint, lock: PosixLockRequest, block: boolean, wait?: LockWaitOptions): Promise<void> {
    return this.op(ctx, block ? 'setlkw' : 'setlk', () => `${ino},${owner},${lock.type},${lock.start},${lock.end}`, async () => {
      noLocksOnVirtual(ino);
      const h = this.fileHandle(ino, fh);
      await this.meta.setlk(ctx, ino, owner, block, lock, wait);
      if (lock.type !== LockType.Unlock) h.plockOwners.add(owner);
    });
  }

  /**
   * BSD flock. The lock belongs to the open file, so the owner is combined with the handle
   * (as upstream does): two opens by one process conflict, as on a local file system.
   */
  async flock(ctx: Context, ino: Ino, fh: number, owner: bigint, type: 'R' | 'W' | 'U', block: boolean, wait?: LockWaitOptions): Promise<void> {
    return this.op(ctx, 'flock', () => `${ino},${owner},${type},${block}`, async () => {
      noLocksOnVirtual(ino);
      const h = this.fileHandle(ino, fh);
      // Upstream XORs the handle in; shifting it to the high half keeps small owners (tests, the
      // path API) from colliding, and kernel owners are pointers whose high halves are alike.
      const fileOwner = (owner ^ (BigInt(fh) << 32n)) & 0xffffffffffffffffn;
      await this.meta.flock(ctx, ino, fileOwner, type, block, wait);
      if (type === 'U') delete h.flockOwner;
      else h.flockOwner = fileOwner;
    });
  }

  /**
   * ioctl: chattr/lsattr flags (FS_IOC_GETFLAGS/SETFLAGS, FS_IOC_FSGETXATTR); ENOTTY otherwise.
   * `input` is the argument for a set, `outSize` the reply size for a get.
   */
  async ioctl(ctx: Context, ino: Ino, cmd: number, input: Buffer, outSize: number): Promise<Buffer> {
    return this.op(ctx, 'ioctl', () => `${ino},0x${(cmd >>> 0).toString(16)}`, async () => {
      if (!isSupportedIoctl(cmd)) throw fsError('ENOTTY', `ioctl 0x${(cmd >>> 0).toString(16)} is not supported`);
      if (isVirtualInode(ino)) throw fsError('EPERM', `inode ${ino} is a virtual file`);
      if (isSetIoctl(cmd)) {
        const flags = flagsFromIoctl(input);
        if (ctx.uid !== 0 && ctx.checkPermission !== false && needsRoot(input)) throw fsError('EPERM', 'only root may set the immutable, append-only or secure-deletion attributes');
        this.writable();
        const attr = await this.meta.setAttr(ctx, ino, { flags });
        this.cache.dropAttr(ino);
        this.remember(ino, attr);
        return Buffer.alloc(0);
      }
      const attr = await this.meta.getAttr(ctx, ino);
      return ioctlReply(cmd, attr.flags, outSize);
    });
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
        // READDIRPLUS needs attributes for every entry; fetch any the engine left out.
        const attr = e.attr ?? (plus ? await this.attrOf(ctx, e.ino).catch(() => undefined) : undefined);
        push(e.name, e.ino, e.type, attr);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    if (ino === ROOT_INODE && !this.options.hideInternal) {
      const listed = new Set(out.map((e) => e.name.toString()));
      for (const node of INTERNAL_NODES.slice(1)) {
        if (node.ino === TRASH_INODE ? this.options.hideTrash : !this.options.virtualFiles) continue;
        const name = internalName(node, this.options.prefixInternal);
        if (!listed.has(name)) push(Buffer.from(name), node.ino, node.type, this.internalAttrOf(node.ino));
      }
    }
    return this.options.sortDir ? sortedByName(out) : out;
  }
}

/**
 * --sort-dir: "." and ".." first, then the names in byte order (as `LC_ALL=C ls` sorts them), the
 * offsets renumbered so a listing read in parts continues where it stopped.
 */
function sortedByName(entries: DirEntryReply[]): DirEntryReply[] {
  const [dot, dotdot, ...rest] = entries;
  const sorted = [dot!, dotdot!, ...rest.sort((a, b) => Buffer.compare(a.name, b.name))];
  sorted.forEach((e, i) => {
    e.offset = i + 1;
  });
  return sorted;
}

function noLocksOnVirtual(ino: Ino): void {
  if (isVirtualInode(ino)) throw fsError('EPERM', `inode ${ino} is a virtual file; it cannot be locked`);
}
