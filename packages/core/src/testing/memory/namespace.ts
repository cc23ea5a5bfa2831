import { fsError } from '../../errors/fs-error.js';
import type { NodeResult, ReaddirOptions, ReaddirPage, RemoveOptions } from '../../meta/meta.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../../meta/meta.js';
import type { Attr, Entry, SetAttrRequest, Timespec } from '../../types/attr.js';
import { NodeType, setidToKill, withoutSetid } from '../../types/attr.js';
import type { Context } from '../../types/context.js';
import type { Ino } from '../../types/inode.js';
import { isTrash, ROOT_INODE } from '../../types/inode.js';
import { MAX_TIER_ID } from '../../types/format.js';
import { MemoryClientBase } from './base-client.js';
import { checkAccess, checkName, checkSticky, isDot, isOwnerOrRoot, MAX_SYMLINK, toName } from './rules.js';
import { keyName, nameKey } from './volume.js';

const copy = (attr: Attr): Attr => ({ ...attr });

/** Namespace operations: lookup, attributes, creating, removing, renaming and listing nodes. */
export class MemoryNamespace extends MemoryClientBase {
  async access(ctx: Context, ino: Ino, mask: number, attr?: Attr): Promise<void> {
    checkAccess(ctx, attr ?? this.node(ino), mask & 7, `inode ${ino}`);
  }

  async lookup(ctx: Context, parent: Ino, rawName: Buffer | string, checkPermission = true): Promise<NodeResult> {
    const name = toName(rawName);
    const entries = this.dirEntries(parent);
    const pattr = this.node(parent);
    if (checkPermission) checkAccess(ctx, pattr, 1, `directory ${parent}`);
    if (name.length === 0) throw fsError('ENOENT', 'empty entry name');
    if (name.length > 255) throw fsError('ENAMETOOLONG', `entry name of ${name.length} bytes exceeds 255`);
    let ino: Ino | undefined;
    if (name.equals(Buffer.from('.'))) ino = parent;
    else if (name.equals(Buffer.from('..'))) ino = parent === ROOT_INODE ? ROOT_INODE : pattr.parent;
    else ino = entries.get(nameKey(name));
    if (ino === undefined) throw fsError('ENOENT', `no entry "${name.toString()}" in directory ${parent}`);
    return { ino, attr: copy(this.node(ino)) };
  }

  async getAttr(_ctx: Context, ino: Ino): Promise<Attr> {
    return copy(this.node(ino));
  }

  async setAttr(ctx: Context, ino: Ino, set: SetAttrRequest): Promise<Attr> {
    const attr = this.node(ino);
    const next = copy(attr);
    const root = ctx.uid === 0 || ctx.checkPermission === false;
    // Linux chown_ok/chgrp_ok: even a no-op chown needs the caller to own the node.
    if (set.uid !== undefined && !root && (ctx.uid !== attr.uid || set.uid !== attr.uid)) {
      throw fsError('EPERM', `only root may change the owner of inode ${ino}`);
    }
    if (set.gid !== undefined && !root) {
      if (ctx.uid !== attr.uid || (set.gid !== attr.gid && !ctx.gids.includes(set.gid))) {
        throw fsError('EPERM', `uid ${ctx.uid} may not give inode ${ino} to group ${set.gid}`);
      }
    }
    if (set.mode !== undefined && !isOwnerOrRoot(ctx, attr)) throw fsError('EPERM', `only the owner may chmod inode ${ino}`);
    const t = this.now();
    const resolve = (v: Timespec | 'now'): Timespec => (v === 'now' ? t : v);
    for (const v of [set.atime, set.mtime]) {
      if (v === undefined || isOwnerOrRoot(ctx, attr)) continue;
      if (v !== 'now') throw fsError('EPERM', `only the owner may set explicit times on inode ${ino}`);
      checkAccess(ctx, attr, 2, `inode ${ino}`);
    }
    if (set.uid !== undefined) next.uid = set.uid;
    if (set.gid !== undefined) next.gid = set.gid;
    if (set.mode !== undefined) {
      next.mode = set.mode & 0o7777;
      // chmod by a non-root caller outside the file's group drops setgid (Linux setattr_prepare).
      if (!root && next.gid !== ctx.gid && !ctx.gids.includes(next.gid)) next.mode &= ~0o2000;
    } else if ((set.uid !== undefined || set.gid !== undefined) && attr.type !== NodeType.Directory) {
      // chown clears setuid, and setgid when group-executable (Linux, even for root).
      next.mode = withoutSetid(next.mode);
    }
    const kill = set.killSetid === true ? setidToKill(next, ctx.gids) : 0;
    const killing = kill !== 0;
    next.mode &= ~kill;
    // Nothing else asked and nothing to clear: the node stays as it is, ctime too.
    if (!killing && Object.keys(set).every((k) => k === 'killSetid')) return copy(attr);
    if (set.flags !== undefined) next.flags = set.flags;
    if (set.tier !== undefined && set.tier !== attr.tier) {
      if (!Number.isInteger(set.tier) || set.tier < 0 || set.tier > MAX_TIER_ID) throw fsError('EINVAL', `storage tier ${set.tier}: a tier is 0 to ${MAX_TIER_ID}`);
      if (!root) throw fsError('EPERM', `only root may change the storage tier of inode ${ino}`);
      next.tier = set.tier;
    }
    if (set.atime !== undefined) ({ sec: next.atime, nsec: next.atimensec } = resolve(set.atime));
    if (set.mtime !== undefined) ({ sec: next.mtime, nsec: next.mtimensec } = resolve(set.mtime));
    Object.assign(attr, next);
    if (set.size !== undefined) await this.truncateNode(ctx, ino, set.size, false);
    if (set.ctime !== undefined) ({ sec: attr.ctime, nsec: attr.ctimensec } = set.ctime);
    else this.touch(attr, false, t);
    return copy(attr);
  }

  /** Overridden by the data layer; here only so setAttr can resize. */
  protected async truncateNode(_ctx: Context, _ino: Ino, _length: number, _skipPerm: boolean): Promise<Attr> {
    throw fsError('ENOSYS', 'truncate is implemented by the data layer');
  }

  async mknod(
    ctx: Context, parent: Ino, name: Buffer | string, type: Attr['type'], mode: number, cumask: number, rdev = 0,
  ): Promise<NodeResult> {
    if (type === NodeType.Symlink) throw fsError('EINVAL', 'use symlink to create symbolic links');
    const r = this.makeNode(ctx, parent, toName(name), type, mode, cumask, rdev);
    return { ino: r.ino, attr: copy(r.attr), parentAttr: copy(this.node(parent)) };
  }

  async mkdir(ctx: Context, parent: Ino, name: Buffer | string, mode: number, cumask: number): Promise<NodeResult> {
    return this.mknod(ctx, parent, name, NodeType.Directory, mode, cumask);
  }

  async create(ctx: Context, parent: Ino, name: Buffer | string, mode: number, cumask: number, _flags: number): Promise<NodeResult> {
    const r = this.makeNode(ctx, parent, toName(name), NodeType.File, mode, cumask, 0);
    this.opens.set(r.ino, (this.opens.get(r.ino) ?? 0) + 1);
    return { ino: r.ino, attr: copy(r.attr), parentAttr: copy(this.node(parent)) };
  }

  async symlink(ctx: Context, parent: Ino, name: Buffer | string, rawTarget: Buffer | string): Promise<NodeResult> {
    const target = toName(rawTarget);
    if (target.length === 0) throw fsError('ENOENT', 'empty symlink target');
    if (target.length > MAX_SYMLINK) throw fsError('ENAMETOOLONG', `symlink target of ${target.length} bytes exceeds ${MAX_SYMLINK}`);
    if (target.includes(0)) throw fsError('EINVAL', 'symlink target contains NUL');
    const r = this.makeNode(ctx, parent, toName(name), NodeType.Symlink, 0o777, 0, 0, target);
    return { ino: r.ino, attr: copy(r.attr), parentAttr: copy(this.node(parent)) };
  }

  async readlink(_ctx: Context, ino: Ino): Promise<Buffer> {
    const attr = this.node(ino);
    const target = this.volume.symlinks.get(ino);
    if (attr.type !== NodeType.Symlink || !target) throw fsError('EINVAL', `inode ${ino} is not a symlink`);
    return Buffer.from(target);
  }

  /** Validate a removal: parent writable, entry present, sticky rules; returns the child. */
  private removable(ctx: Context, parent: Ino, name: Buffer): { ino: Ino; attr: Attr } {
    const entries = this.dirEntries(parent);
    const pattr = this.node(parent);
    checkAccess(ctx, pattr, 3, `directory ${parent}`);
    const ino = entries.get(nameKey(name));
    if (ino === undefined) throw fsError('ENOENT', `no entry "${name.toString()}" in directory ${parent}`);
    const attr = this.node(ino);
    checkSticky(ctx, pattr, attr, name);
    return { ino, attr };
  }

  async unlink(ctx: Context, parent: Ino, rawName: Buffer | string, options: RemoveOptions = {}): Promise<void> {
    const name = toName(rawName);
    checkSkipTrash(ctx, options);
    checkName(name, 'EISDIR');
    const { ino, attr } = this.removable(ctx, parent, name);
    if (attr.type === NodeType.Directory) throw fsError('EISDIR', `"${name.toString()}" is a directory: use rmdir`);
    this.removeEntry(parent, name, ino, options.skipTrash);
  }

  async rmdir(ctx: Context, parent: Ino, rawName: Buffer | string, options: RemoveOptions = {}): Promise<void> {
    const name = toName(rawName);
    checkSkipTrash(ctx, options);
    if (name.equals(Buffer.from('.'))) throw fsError('EINVAL', 'cannot rmdir "."');
    if (name.equals(Buffer.from('..'))) throw fsError('ENOTEMPTY', 'cannot rmdir ".."');
    checkName(name, 'EINVAL');
    const { ino, attr } = this.removable(ctx, parent, name);
    if (attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `"${name.toString()}" is not a directory`);
    if ((this.volume.dirs.get(ino)?.size ?? 0) > 0) throw fsError('ENOTEMPTY', `directory "${name.toString()}" is not empty`);
    this.removeEntry(parent, name, ino, options.skipTrash);
  }

  /**
   * rename(2)/renameat2(2) in the order Linux checks things (do_renameat2, vfs_rename): search
   * permission on both parents, ENOENT for the source, NOREPLACE/EXCHANGE target rules, loops
   * (EINVAL / ENOTEMPTY), same inode (a no-op), removal rights on the source and target (write
   * permission, sticky bit, file/directory mismatch), write permission on a directory whose ".."
   * changes, and last a non-empty target directory.
   */
  async rename(
    ctx: Context, parentSrc: Ino, rawSrc: Buffer | string, parentDst: Ino, rawDst: Buffer | string, flags = 0,
  ): Promise<NodeResult> {
    const nameSrc = toName(rawSrc);
    const nameDst = toName(rawDst);
    const exchange = (flags & RENAME_EXCHANGE) !== 0;
    if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) !== 0 || flags === (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
      throw fsError('EINVAL', `unsupported rename flags ${flags}`);
    }
    if (isDot(nameSrc) || isDot(nameDst)) throw fsError('EBUSY', 'cannot rename "." or ".."');
    checkName(nameSrc, 'EBUSY');
    checkName(nameDst, 'EBUSY');
    const srcEntries = this.dirEntries(parentSrc);
    const dstEntries = this.dirEntries(parentDst);
    const psAttr = this.node(parentSrc);
    const pdAttr = this.node(parentDst);
    // As JuiceFS: before any permission check, the trash (read-only to everyone) gives entries
    // back to root only (juicefs restore).
    if (isTrash(parentSrc) && ctx.uid !== 0 && ctx.checkPermission !== false) throw fsError('EPERM', 'only root may move entries out of the trash');
    checkAccess(ctx, psAttr, 1, `directory ${parentSrc}`);
    checkAccess(ctx, pdAttr, 1, `directory ${parentDst}`);
    const ino = srcEntries.get(nameKey(nameSrc));
    if (ino === undefined) throw fsError('ENOENT', `no entry "${nameSrc.toString()}" in directory ${parentSrc}`);
    const attr = this.node(ino);
    const isDir = attr.type === NodeType.Directory;
    const dino = dstEntries.get(nameKey(nameDst));
    const dattr = dino === undefined ? undefined : this.node(dino);
    if (dino !== undefined && flags & RENAME_NOREPLACE) throw fsError('EEXIST', `"${nameDst.toString()}" exists (RENAME_NOREPLACE)`);
    if (exchange && dino === undefined) throw fsError('ENOENT', `no entry "${nameDst.toString()}" to exchange with`);
    if (isTrash(parentDst)) throw fsError('EPERM', 'cannot rename into the trash');
    if (isDir && this.isWithin(parentDst, ino)) throw fsError('EINVAL', 'cannot move a directory into itself or its own descendant');
    if (dino !== undefined && dattr?.type === NodeType.Directory && this.isWithin(parentSrc, dino)) {
      if (exchange) throw fsError('EINVAL', 'cannot move a directory into its own descendant');
      throw fsError('ENOTEMPTY', `"${nameDst.toString()}" is an ancestor of the source`);
    }
    if (dino === ino) return { ino, attr: copy(attr) };
    checkAccess(ctx, psAttr, 2, `directory ${parentSrc}`);
    checkSticky(ctx, psAttr, attr, nameSrc);
    checkAccess(ctx, pdAttr, 2, `directory ${parentDst}`);
    if (dattr) {
      checkSticky(ctx, pdAttr, dattr, nameDst);
      if (!exchange && dattr.type === NodeType.Directory && !isDir) {
        throw fsError('EISDIR', `cannot replace directory "${nameDst.toString()}" by a non-directory`);
      }
      if (!exchange && dattr.type !== NodeType.Directory && isDir) {
        throw fsError('ENOTDIR', `cannot replace non-directory "${nameDst.toString()}" by a directory`);
      }
    }
    if (parentSrc !== parentDst) {
      if (isDir) checkAccess(ctx, attr, 2, `directory ${ino} (its ".." changes)`);
      if (exchange && dattr?.type === NodeType.Directory) checkAccess(ctx, dattr, 2, `directory ${dino} (its ".." changes)`);
    }
    if (!exchange && dino !== undefined && (this.volume.dirs.get(dino)?.size ?? 0) > 0) {
      throw fsError('ENOTEMPTY', `directory "${nameDst.toString()}" is not empty`);
    }
    const t = this.now();
    if (exchange && dino !== undefined && dattr) {
      srcEntries.set(nameKey(nameSrc), dino);
      dstEntries.set(nameKey(nameDst), ino);
      if (parentSrc !== parentDst) {
        const dIsDir = dattr.type === NodeType.Directory;
        if (isDir !== dIsDir) {
          psAttr.nlink += isDir ? -1 : 1;
          pdAttr.nlink += isDir ? 1 : -1;
        }
        if (attr.parent > 0n) attr.parent = parentDst;
        if (dattr.parent > 0n) dattr.parent = parentSrc;
      }
      this.touch(dattr, false, t);
    } else {
      if (dino !== undefined) this.removeEntry(parentDst, nameDst, dino);
      srcEntries.delete(nameKey(nameSrc));
      dstEntries.set(nameKey(nameDst), ino);
      if (isDir && parentSrc !== parentDst) {
        psAttr.nlink--;
        pdAttr.nlink++;
      }
      if (attr.parent > 0n) attr.parent = parentDst;
    }
    this.touch(attr, false, t);
    this.touch(psAttr, true, t);
    this.touch(pdAttr, true, t);
    return { ino, attr: copy(attr) };
  }

  async link(ctx: Context, ino: Ino, parent: Ino, rawName: Buffer | string): Promise<Attr> {
    const name = toName(rawName);
    checkName(name, 'EEXIST');
    const attr = this.node(ino);
    const entries = this.dirEntries(parent);
    const pattr = this.node(parent);
    if (isTrash(parent)) throw fsError('EPERM', 'cannot link into the trash');
    // Linux order: search (x) on the parent, EEXIST, write on the parent, then the directory check.
    checkAccess(ctx, pattr, 1, `directory ${parent}`);
    if (entries.has(nameKey(name))) throw fsError('EEXIST', `"${name.toString()}" already exists in directory ${parent}`);
    checkAccess(ctx, pattr, 2, `directory ${parent}`);
    if (attr.type === NodeType.Directory) throw fsError('EPERM', 'hard links to directories are not allowed');
    const t = this.now();
    entries.set(nameKey(name), ino);
    attr.nlink++;
    attr.parent = 0n;
    this.touch(attr, false, t);
    this.touch(pattr, true, t);
    return copy(attr);
  }

  async readdir(ctx: Context, ino: Ino, options: ReaddirOptions = {}): Promise<ReaddirPage> {
    const entries = this.dirEntries(ino);
    checkAccess(ctx, this.node(ino), options.plus ? 5 : 4, `directory ${ino}`);
    const keys = [...entries.keys()].filter((k) => options.cursor === undefined || k > options.cursor).sort();
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    const page = keys.slice(0, limit);
    const out: Entry[] = page.map((k) => {
      const child = entries.get(k) as Ino;
      const attr = this.node(child);
      const entry: Entry = { name: keyName(k), ino: child, type: attr.type };
      if (options.plus) entry.attr = copy(attr);
      return entry;
    });
    const last = page[page.length - 1];
    return keys.length > limit && last !== undefined ? { entries: out, cursor: last } : { entries: out };
  }

  async open(ctx: Context, ino: Ino, flags: number): Promise<Attr> {
    const attr = this.node(ino);
    const acc = flags & 3;
    if (attr.type === NodeType.Directory && acc !== 0) throw fsError('EISDIR', `inode ${ino} is a directory: it cannot be opened for writing`);
    const mask = acc === 0 ? 4 : acc === 1 ? 2 : 6;
    checkAccess(ctx, attr, mask, `inode ${ino}`);
    this.opens.set(ino, (this.opens.get(ino) ?? 0) + 1);
    return copy(attr);
  }

  async close(_ctx: Context, ino: Ino): Promise<void> {
    const n = (this.opens.get(ino) ?? 0) - 1;
    if (n > 0) {
      this.opens.set(ino, n);
      return;
    }
    this.opens.delete(ino);
    const attr = this.volume.nodes.get(ino);
    const session = this.volume.sessions.get(this.sessionId);
    if (attr && attr.nlink === 0 && session?.sustained.has(ino)) {
      session.sustained.delete(ino);
      this.deleteNode(ino);
    }
  }
}

/** Removing past the trash is root's alone (rmr --skip-trash). */
function checkSkipTrash(ctx: Context, options: RemoveOptions): void {
  if (options.skipTrash && ctx.uid !== 0) throw fsError('EPERM', 'only root may remove bypassing the trash (--skip-trash)');
}
