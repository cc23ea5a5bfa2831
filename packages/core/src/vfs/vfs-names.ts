import { fsError, hasCode } from '../errors/fs-error.js';
import { AttrFlag, NodeType, setidToKill, typeFromMode, type Attr, type SetAttrRequest } from '../types/attr.js';
import type { Context } from '../types/context.js';
import { TRASH_INODE, type Ino } from '../types/inode.js';
import { internalNodeByIno, isVirtualInode } from './internal-nodes.js';
import type { AttrReply, EntryReply } from './options.js';
import { VfsBase, MAX_SYMLINK, type Name, toName, checkName, checkSize, attrText, entryText } from './vfs-base.js';

/** Name operations: lookup, attributes, creating, linking, renaming and removing nodes. */
export abstract class VfsNames extends VfsBase {
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
      try {
        return { attr: await this.attrOf(ctx, ino), attrTimeout: this.options.attrCache };
      } catch (err) {
        // A directory replaced by rename(2) is gone from the engine, but an open handle still
        // fstat()s it: Linux answers its last attributes with nlink 0.
        const kept = hasCode(err, 'ENOENT') ? this.handles.openDirAttr(ino) : undefined;
        if (!kept) throw err;
        return { attr: { ...kept, nlink: 0 }, attrTimeout: 0 };
      }
    }, (r) => attrText(r.attr));
  }

  /** chmod/chown/utimens/truncate. `fh` is the open handle when the kernel has one (ftruncate). */
  async setattr(ctx: Context, ino: Ino, set: SetAttrRequest, fh?: number): Promise<AttrReply> {
    return this.op(ctx, 'setattr', () => `${ino},${JSON.stringify(set)}`, async () => {
      // Virtual nodes ignore changes and answer their attributes, as upstream (`touch .stats` works).
      if (internalNodeByIno(ino)) return { attr: this.internalAttrOf(ino), attrTimeout: this.options.attrCache };
      if (isVirtualInode(ino)) throw fsError('EPERM', `inode ${ino} is a virtual file; it cannot be changed`);
      this.writable();
      let attr: Attr | undefined;
      const { size, killSetid, ...change } = set;
      // Clearing setuid/setgid (a write or truncate without CAP_FSETID) only where there is some
      // to clear, so the usual truncate or write by a user costs no extra transaction.
      let kill = killSetid === true && size === undefined && this.hasSetidFile(ctx, ino);
      if (size !== undefined) {
        checkSize(size);
        const before = await this.meta.getAttr(ctx, ino);
        // chattr +i/+a forbid truncation (Linux do_truncate); checked here too so every Meta obeys it.
        if (before.flags & (AttrFlag.Immutable | AttrFlag.Append)) {
          throw fsError('EPERM', `inode ${ino} is immutable or append-only (chattr +i/+a): it cannot be truncated`);
        }
        kill = killSetid === true && setidToKill(before, ctx.gids) !== 0;
        const h = fh === undefined ? undefined : this.handles.get(fh);
        const viaHandle = h?.kind === 'file' && h.writable && h.ino === ino;
        attr = await this.data.change(ctx, ino, () => this.meta.truncate(ctx, ino, size, viaHandle));
      }
      const rest: SetAttrRequest = kill ? { ...change, killSetid: true } : change;
      if (rest.mtime !== undefined) {
        // Commit buffered writes first, or their commit would later overwrite the mtime set here.
        attr = await this.data.change(ctx, ino, () => this.meta.setAttr(ctx, ino, rest));
      } else if (Object.keys(rest).length > 0) {
        attr = await this.meta.setAttr(ctx, ino, rest);
      }
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
      const since = this.cache.mark();
      const r = await this.meta.mknod(ctx, parent, bname, type, mode & 0o7777, cumask, rdev);
      return this.created(ctx, parent, bname, r, since);
    }, entryText);
  }

  async mkdir(ctx: Context, parent: Ino, name: Name, mode: number, cumask: number): Promise<EntryReply> {
    const bname = toName(name);
    return this.op(ctx, 'mkdir', () => `${parent},${bname},0${mode.toString(8)}`, async () => {
      this.checkNewName(parent, bname);
      const since = this.cache.mark();
      const r = await this.meta.mkdir(ctx, parent, bname, mode & 0o7777, cumask);
      return this.created(ctx, parent, bname, r, since);
    }, entryText);
  }

  async symlink(ctx: Context, parent: Ino, name: Name, target: Name): Promise<EntryReply> {
    const bname = toName(name);
    const btarget = toName(target);
    return this.op(ctx, 'symlink', () => `${parent},${bname},${btarget}`, async () => {
      this.checkNewName(parent, bname);
      if (btarget.length >= MAX_SYMLINK) throw fsError('ENAMETOOLONG', `symlink target is ${btarget.length} bytes; the limit is ${MAX_SYMLINK - 1}`);
      if (btarget.length === 0) throw fsError('ENOENT', 'symlink target is empty');
      const since = this.cache.mark();
      const r = await this.meta.symlink(ctx, parent, bname, btarget);
      return this.created(ctx, parent, bname, r, since);
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

}
