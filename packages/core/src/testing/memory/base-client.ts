import { fsError } from '../../errors/fs-error.js';
import type { SliceDeleter } from '../../meta/meta.js';
import type { Attr, Timespec } from '../../types/attr.js';
import { AttrFlag, nowTimespec, NodeType } from '../../types/attr.js';
import type { Context } from '../../types/context.js';
import type { Ino } from '../../types/inode.js';
import { isTrash, ROOT_INODE, TRASH_INODE } from '../../types/inode.js';
import type { Slice } from '../../types/slice.js';
import { checkAccess, checkName, MAX_NAME } from './rules.js';
import { chargedSpace, MemoryVolume, nameKey } from './volume.js';

/**
 * State and helpers shared by the in-memory client's operation groups: node lookup, node
 * creation, removal (to the trash, kept open, or deleted), slice references and quotas.
 * Every operation runs synchronously between its first and last line, so it is atomic with
 * respect to other clients of the same volume, which is what a database transaction gives.
 */
export class MemoryClientBase {
  readonly name: string = 'memory';
  protected sessionId = 0;
  /** Opens per inode in this client (a file unlinked while open here is kept until the last close). */
  protected readonly opens = new Map<Ino, number>();
  protected deleter: SliceDeleter | undefined;

  constructor(readonly volume: MemoryVolume) {}

  get sid(): number {
    return this.sessionId;
  }

  protected now(): Timespec {
    return nowTimespec();
  }

  protected node(ino: Ino): Attr {
    const attr = this.volume.nodes.get(ino);
    if (!attr) throw fsError('ENOENT', `inode ${ino} does not exist`);
    return attr;
  }

  protected dirEntries(ino: Ino): Map<string, Ino> {
    const attr = this.node(ino);
    const entries = this.volume.dirs.get(ino);
    if (attr.type !== NodeType.Directory || !entries) throw fsError('ENOTDIR', `inode ${ino} is not a directory`);
    return entries;
  }

  protected touch(attr: Attr, mtime: boolean, t: Timespec = this.now()): void {
    attr.ctime = t.sec;
    attr.ctimensec = t.nsec;
    if (mtime) {
      attr.mtime = t.sec;
      attr.mtimensec = t.nsec;
    }
  }

  /** ENOSPC when adding `space` bytes and `inodes` nodes would pass the volume's Capacity/Inodes. */
  protected checkQuota(space: number, inodes: number): void {
    const fmt = this.volume.format;
    if (!fmt) return;
    const used = this.volume.usage();
    if (space > 0 && fmt.Capacity && used.space + space > fmt.Capacity) {
      throw fsError('ENOSPC', `volume capacity ${fmt.Capacity} bytes would be exceeded (used ${used.space}); raise it with juicefs config --capacity`);
    }
    if (inodes > 0 && fmt.Inodes && used.inodes + inodes > fmt.Inodes) {
      throw fsError('ENOSPC', `volume inode quota ${fmt.Inodes} would be exceeded; raise it with juicefs config --inodes`);
    }
  }

  /** Validate and create a node under `parent` (shared by mknod, mkdir, create, symlink). */
  protected makeNode(
    ctx: Context,
    parent: Ino,
    name: Buffer,
    type: Attr['type'],
    mode: number,
    cumask: number,
    rdev: number,
    target?: Buffer,
  ): { ino: Ino; attr: Attr } {
    checkName(name, 'EEXIST');
    const entries = this.dirEntries(parent);
    const pattr = this.node(parent);
    if (isTrash(parent)) throw fsError('EPERM', 'cannot create entries inside the trash');
    if (parent === ROOT_INODE && name.toString() === '.trash') throw fsError('EPERM', '".trash" is reserved for the trash');
    // Linux order: search (x) on the parent, EEXIST, then write on the parent.
    checkAccess(ctx, pattr, 1, `directory ${parent}`);
    if (entries.has(nameKey(name))) throw fsError('EEXIST', `"${name.toString()}" already exists in directory ${parent}`);
    checkAccess(ctx, pattr, 2, `directory ${parent}`);
    if (pattr.nlink === 0) throw fsError('ENOENT', `directory ${parent} was removed`);
    const length = type === NodeType.Directory ? 4096 : type === NodeType.Symlink ? (target?.length ?? 0) : 0;
    this.checkQuota(chargedSpace({ type, length }), 1);
    const ino = ++this.volume.nextInode;
    const t = this.now();
    let perm = mode & ~cumask & 0o7777;
    let gid = ctx.gid;
    if (pattr.mode & 0o2000) {
      gid = pattr.gid;
      if (type === NodeType.Directory) perm |= 0o2000;
    }
    const attr: Attr = {
      flags: 0, type, mode: perm, uid: ctx.uid, gid,
      atime: t.sec, atimensec: t.nsec, mtime: t.sec, mtimensec: t.nsec, ctime: t.sec, ctimensec: t.nsec,
      nlink: type === NodeType.Directory ? 2 : 1, length,
      rdev: type === NodeType.BlockDev || type === NodeType.CharDev ? rdev : 0,
      parent, accessACL: 0, defaultACL: 0, tier: pattr.tier,
    };
    this.volume.nodes.set(ino, attr);
    if (type === NodeType.Directory) this.volume.dirs.set(ino, new Map());
    if (type === NodeType.Symlink && target) this.volume.symlinks.set(ino, Buffer.from(target));
    entries.set(nameKey(name), ino);
    if (type === NodeType.Directory) pattr.nlink++;
    this.touch(pattr, true, t);
    return { ino, attr };
  }

  /** Trash on, the parent not in the trash and the node not marked skip-trash. */
  protected goesToTrash(parent: Ino, attr: Attr): boolean {
    const days = this.volume.format?.TrashDays ?? 0;
    return days > 0 && !isTrash(parent) && (attr.flags & AttrFlag.SkipTrash) === 0;
  }

  /** The trash sub-directory of the current UTC hour, created on first use. */
  protected trashDir(): Ino {
    const hour = new Date().toISOString().slice(0, 13).replace('T', '-');
    const root = this.volume.dirs.get(TRASH_INODE);
    if (!root) throw fsError('EIO', 'the trash root is missing although TrashDays > 0');
    const existing = root.get(hour);
    if (existing !== undefined) return existing;
    const ino = TRASH_INODE + BigInt(++this.volume.nextTrash);
    const t = this.now();
    this.volume.nodes.set(ino, {
      flags: 0, type: NodeType.Directory, mode: 0o555, uid: 0, gid: 0,
      atime: t.sec, atimensec: t.nsec, mtime: t.sec, mtimensec: t.nsec, ctime: t.sec, ctimensec: t.nsec,
      nlink: 2, length: 4096, rdev: 0, parent: TRASH_INODE, accessACL: 0, defaultACL: 0, tier: 0,
    });
    this.volume.dirs.set(ino, new Map());
    root.set(hour, ino);
    return ino;
  }

  /**
   * Drop the entry `name` of `parent` pointing at `ino` (unlink, rmdir, rename-over): into the
   * trash when it is on, else one link less; a file losing its last link is kept while this
   * client has it open (sustained) and deleted otherwise.
   */
  protected removeEntry(parent: Ino, name: Buffer, ino: Ino, skipTrash = false): void {
    const attr = this.node(ino);
    const pattr = this.node(parent);
    const t = this.now();
    this.dirEntries(parent).delete(nameKey(name));
    const isDir = attr.type === NodeType.Directory;
    if (isDir) pattr.nlink--;
    this.touch(pattr, true, t);
    const trash = !skipTrash && this.goesToTrash(parent, attr) ? this.trashDir() : undefined;
    let trashName = Buffer.concat([Buffer.from(`${parent}-${ino}-`), name]);
    if (trashName.length > MAX_NAME) trashName = trashName.subarray(0, MAX_NAME);
    // As the Go client: another link of a node already trashed under the same name is really removed.
    const alreadyTrashed = trash !== undefined && !isDir && attr.nlink > 1 && this.dirEntries(trash).has(nameKey(trashName));
    if (trash !== undefined && !alreadyTrashed) {
      this.dirEntries(trash).set(nameKey(trashName), ino);
      // As the Go client: the trash directory's nlink is not bumped by directories moved in.
      if (attr.parent > 0n) attr.parent = trash;
      this.touch(attr, false, t);
      return;
    }
    this.touch(attr, false, t);
    attr.nlink = isDir ? 0 : attr.nlink - 1;
    if (attr.nlink > 0) return;
    if (attr.type === NodeType.File && (this.opens.get(ino) ?? 0) > 0 && this.sessionId > 0) {
      this.volume.sessions.get(this.sessionId)?.sustained.add(ino);
      return;
    }
    this.deleteNode(ino);
  }

  /** Remove a node for good; a file's chunk lists wait in deletedFiles for cleanupDeleted. */
  protected deleteNode(ino: Ino): void {
    const v = this.volume;
    v.nodes.delete(ino);
    v.dirs.delete(ino);
    v.symlinks.delete(ino);
    v.xattrs.delete(ino);
    v.flocks.delete(ino);
    v.plocks.delete(ino);
    const chunks = v.chunks.get(ino);
    v.chunks.delete(ino);
    if (chunks && chunks.size > 0) v.deletedFiles.push({ ino, chunks });
  }

  protected addSliceRef(slice: Slice): void {
    if (slice.id === 0) return;
    const ref = this.volume.sliceRefs.get(slice.id);
    if (ref) ref.refs++;
    else this.volume.sliceRefs.set(slice.id, { size: slice.size, refs: 1 });
  }

  protected dropSliceRef(id: number): void {
    if (id === 0) return;
    const ref = this.volume.sliceRefs.get(id);
    if (!ref) return;
    ref.refs--;
    if (ref.refs <= 0) {
      this.volume.sliceRefs.delete(id);
      this.volume.unreferencedSlices.push({ id, size: ref.size });
    }
  }

  /** True when `ino` is `ancestor` or lies below it (walks directory parents up to the root). */
  protected isWithin(ino: Ino, ancestor: Ino): boolean {
    let cur = ino;
    for (let guard = 0; guard < 100000; guard++) {
      if (cur === ancestor) return true;
      if (cur === ROOT_INODE || cur === 0n) return false;
      const attr = this.volume.nodes.get(cur);
      if (!attr) return false;
      cur = attr.parent;
    }
    return false;
  }
}
