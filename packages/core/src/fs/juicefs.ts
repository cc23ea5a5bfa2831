import { fsError, hasCode } from '../errors/fs-error.js';
import { NodeType, type SetAttrRequest, type Timespec } from '../types/attr.js';
import { ROOT_INODE, type Ino } from '../types/inode.js';
import { O_CREAT, O_EXCL, O_WRONLY } from '../vfs/flags.js';
import type { StatfsReply } from '../vfs/options.js';
import { JuiceFSBase } from './juicefs-base.js';
import { splitPath } from './path-resolver.js';
import { JfsStats, type JfsDirent } from './stats.js';

export type TimeArg = number | Date | Timespec;

/**
 * A path-based file system over a VFS for Node services (no mount needed): the calls of
 * `fs/promises` by name, with numeric descriptors of its own. Every call runs as `ctx`.
 * Errors are FsErrors with POSIX codes, like Node's own.
 */
export class JuiceFS extends JuiceFSBase {
  // ---------------------------------------------------------------- nodes

  async stat(path: string): Promise<JfsStats> {
    const r = await this.resolver.resolve(path, true);
    return new JfsStats(r.ino, r.attr);
  }

  async lstat(path: string): Promise<JfsStats> {
    const r = await this.resolver.resolve(path, false);
    return new JfsStats(r.ino, r.attr);
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.resolver.resolve(path, true);
      return true;
    } catch (err) {
      if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) return false;
      throw err;
    }
  }

  async access(path: string, mode = 0): Promise<void> {
    const r = await this.resolver.resolve(path, true);
    await this.vfs.access(this.ctx, r.ino, mode);
  }

  /** Names in the directory (no "." or ".."), in the engine's order. */
  async readdir(path: string): Promise<string[]> {
    return (await this.readdirEntries(path)).map((e) => e.name);
  }

  async readdirEntries(path: string): Promise<JfsDirent[]> {
    const dir = await this.resolver.resolve(path, true);
    if (dir.attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `"${path}" is not a directory`);
    const { fh } = await this.vfs.opendir(this.ctx, dir.ino);
    try {
      const out: JfsDirent[] = [];
      let offset = 0;
      for (;;) {
        const page = await this.vfs.readdir(this.ctx, dir.ino, fh, offset, { limit: 1000 });
        if (page.length === 0) break;
        for (const e of page) {
          const name = e.name.toString();
          if (name !== '.' && name !== '..') out.push({ name, ino: e.ino, type: e.type });
        }
        offset = page[page.length - 1]!.offset;
      }
      return out;
    } finally {
      await this.vfs.releasedir(this.ctx, dir.ino, fh);
    }
  }

  /** mkdir(2); with `recursive`, every missing directory on the way, and no error if it exists. */
  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const mode = options.mode ?? 0o777;
    if (!options.recursive) {
      const { parent, name } = await this.resolver.resolveParent(path);
      if (name === undefined) throw fsError('EEXIST', `"${path}" already exists`);
      await this.vfs.mkdir(this.ctx, parent, name, mode, this.umask);
      return;
    }
    const parts = splitPath(path);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = '/' + parts.slice(0, i).join('/');
      try {
        const st = await this.resolver.resolve(prefix, true);
        if (st.attr.type !== NodeType.Directory) {
          if (i === parts.length) throw fsError('EEXIST', `"${prefix}" exists and is not a directory`);
          throw fsError('ENOTDIR', `"${prefix}" is not a directory`);
        }
      } catch (err) {
        if (!hasCode(err, 'ENOENT')) throw err;
        const { parent, name } = await this.resolver.resolveParent(prefix);
        if (name === undefined) continue;
        try {
          await this.vfs.mkdir(this.ctx, parent, name, mode, this.umask);
        } catch (e) {
          if (!hasCode(e, 'EEXIST')) throw e;
          // Created meanwhile by someone else, or a dangling symlink: fine only if it is a directory now.
          const again = await this.resolver.resolve(prefix, true).catch((r: unknown) => r);
          const isDir = !(again instanceof Error) && (again as { attr: { type: number } }).attr.type === NodeType.Directory;
          if (isDir) continue;
          if (i < parts.length) throw fsError('ENOTDIR', `"${prefix}" is not a directory`);
          throw again instanceof Error ? again : fsError('EEXIST', `"${prefix}" exists and is not a directory`);
        }
      }
    }
  }

  async rename(oldPath: string, newPath: string, flags = 0): Promise<void> {
    const src = await this.entryOf(oldPath);
    const dst = await this.entryOf(newPath);
    await this.vfs.lookup(this.ctx, src.parent, src.name); // a missing source is ENOENT before anything else
    await this.checkNotAncestor(src.parent, dst.parent, dst.name);
    await this.vfs.rename(this.ctx, src.parent, src.name, dst.parent, dst.name, flags);
  }

  async unlink(path: string): Promise<void> {
    const { parent, name, trailingSlash } = await this.entryOf(path);
    if (trailingSlash) throw fsError('ENOTDIR', `"${path}" ends with "/"; unlink removes only non-directories`);
    await this.vfs.unlink(this.ctx, parent, name);
  }

  async rmdir(path: string): Promise<void> {
    const { parent, name } = await this.entryOf(path);
    await this.vfs.rmdir(this.ctx, parent, name);
  }

  /** rm: a file, or with `recursive` a whole tree; `force` ignores a missing path. */
  async rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    let st: JfsStats;
    try {
      st = await this.lstat(path);
    } catch (err) {
      if (options.force && hasCode(err, 'ENOENT')) return;
      throw err;
    }
    if (!st.isDirectory()) return this.unlink(path);
    if (!options.recursive) throw fsError('EISDIR', `"${path}" is a directory; pass recursive to remove it`);
    const base = path.endsWith('/') ? path : path + '/';
    for (const e of await this.readdirEntries(path)) await this.rm(base + e.name, options);
    await this.rmdir(path);
  }

  /**
   * Copy a file's content by sharing its slices (copy_file_range: no data is read or written).
   * Steps and errors follow libuv's copyfile (what Node's fs.copyFile does): the destination
   * is opened (created) first, takes the source's permission bits, and is removed again when
   * the copy fails; copying a file onto itself does nothing.
   */
  async copyFile(src: string, dst: string, options: { exclusive?: boolean } = {}): Promise<void> {
    const inFd = await this.open(src, 'r');
    try {
      const st = await this.fstat(inFd);
      const outFd = await this.open(dst, O_WRONLY | O_CREAT | (options.exclusive ? O_EXCL : 0), st.mode & 0o7777);
      let failure: unknown;
      try {
        const fin = this.file(inFd);
        const fout = this.file(outFd);
        if (fin.ino === fout.ino) return;
        await this.vfs.setattr(this.ctx, fout.ino, { size: 0, mode: st.mode & 0o7777 }, fout.fh);
        if (st.isDirectory()) throw fsError('EISDIR', `"${src}" is a directory`);
        if (!st.isFile()) throw fsError('EINVAL', `"${src}" is not a regular file`);
        for (let done = 0; done < st.size; ) {
          const n = await this.vfs.copyFileRange(this.ctx, fin.ino, fin.fh, done, fout.ino, fout.fh, done, st.size - done);
          if (n === 0) break;
          done += n;
        }
      } catch (err) {
        failure = err;
      } finally {
        await this.close(outFd);
      }
      if (failure !== undefined) {
        await this.unlink(dst).catch(() => undefined);
        throw failure;
      }
    } finally {
      await this.close(inFd);
    }
  }

  async symlink(target: string, path: string): Promise<void> {
    const { parent, name } = await this.entryOf(path);
    await this.vfs.symlink(this.ctx, parent, name, target);
  }

  async readlink(path: string): Promise<string> {
    const r = await this.resolver.resolve(path, false);
    if (r.attr.type !== NodeType.Symlink) throw fsError('EINVAL', `"${path}" is not a symbolic link`);
    return (await this.vfs.readlink(this.ctx, r.ino)).toString();
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    const src = await this.resolver.resolve(existingPath, false);
    const { parent, name } = await this.entryOf(newPath);
    await this.vfs.link(this.ctx, src.ino, parent, name);
  }

  /** The canonical absolute path, every symlink resolved. */
  async realpath(path: string): Promise<string> {
    const out: string[] = [];
    let links = 0;
    const queue = splitPath(path);
    while (queue.length > 0) {
      const part = queue.shift()!;
      if (part === '..') {
        out.pop();
        continue;
      }
      const candidate = '/' + [...out, part].join('/');
      const st = await this.resolver.resolve(candidate, false);
      if (st.attr.type === NodeType.Symlink) {
        if (++links > 40) throw fsError('ELOOP', `too many symbolic links in "${path}"`);
        const target = (await this.vfs.readlink(this.ctx, st.ino)).toString();
        if (target.startsWith('/')) out.length = 0;
        queue.unshift(...splitPath(target));
        continue;
      }
      out.push(part);
    }
    return '/' + out.join('/');
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.setattr(path, true, { mode: mode & 0o7777 });
  }

  /** chown(2); -1 leaves the id unchanged, as in POSIX. */
  async chown(path: string, uid: number, gid: number): Promise<void> {
    await this.setattr(path, true, ownerChange(uid, gid));
  }

  async lchown(path: string, uid: number, gid: number): Promise<void> {
    await this.setattr(path, false, ownerChange(uid, gid));
  }

  /** utimes: numbers are seconds since the epoch (fractions kept), as in Node. */
  async utimes(path: string, atime: TimeArg, mtime: TimeArg): Promise<void> {
    await this.setattr(path, true, { atime: toTimespec(atime), mtime: toTimespec(mtime) });
  }

  async lutimes(path: string, atime: TimeArg, mtime: TimeArg): Promise<void> {
    await this.setattr(path, false, { atime: toTimespec(atime), mtime: toTimespec(mtime) });
  }

  async truncate(path: string, length = 0): Promise<void> {
    await this.setattr(path, true, { size: length });
  }

  /** The value of an extended attribute (ENODATA when it is not set). */
  async getxattr(path: string, name: string, options: { follow?: boolean } = {}): Promise<Buffer> {
    const r = await this.resolver.resolve(path, options.follow ?? true);
    return this.vfs.getxattr(this.ctx, r.ino, name, 0);
  }

  /** Set an extended attribute; `flags` XATTR_CREATE / XATTR_REPLACE. */
  async setxattr(path: string, name: string, value: Buffer | string, flags = 0, options: { follow?: boolean } = {}): Promise<void> {
    const r = await this.resolver.resolve(path, options.follow ?? true);
    await this.vfs.setxattr(this.ctx, r.ino, name, typeof value === 'string' ? Buffer.from(value) : value, flags);
  }

  async listxattr(path: string, options: { follow?: boolean } = {}): Promise<string[]> {
    const r = await this.resolver.resolve(path, options.follow ?? true);
    const data = await this.vfs.listxattr(this.ctx, r.ino, 0);
    return data.toString().split('\0').filter((n) => n.length > 0);
  }

  async removexattr(path: string, name: string, options: { follow?: boolean } = {}): Promise<void> {
    const r = await this.resolver.resolve(path, options.follow ?? true);
    await this.vfs.removexattr(this.ctx, r.ino, name);
  }

  /** statvfs of the volume (or of the directory's quota, when the engine keeps one for it). */
  async statfs(path = '/'): Promise<StatfsReply> {
    const r = await this.resolver.resolve(path, true);
    return this.vfs.statfs(this.ctx, r.ino);
  }

  /** Close every descriptor still open (commits their writes). */
  async closeAll(): Promise<void> {
    for (const fd of [...this.files.keys()]) await this.close(fd);
  }

  // ---------------------------------------------------------------- helpers

  /**
   * The check the kernel makes before any file system sees a rename: a target that is an
   * ancestor of the source is "not empty" (it holds the source).
   */
  private async checkNotAncestor(srcParent: Ino, dstParent: Ino, dstName: string): Promise<void> {
    const target = await this.vfs.lookup(this.ctx, dstParent, dstName).catch(() => undefined);
    if (target?.attr.type !== NodeType.Directory) return;
    for (let ino = srcParent, depth = 0; depth < 4096; depth++) {
      if (ino === target.ino) throw fsError('ENOTEMPTY', `rename target "${dstName}" is a directory above the source`);
      if (ino === ROOT_INODE) return;
      const parent = (await this.vfs.getattr(this.ctx, ino)).attr.parent;
      if (parent === 0n || parent === ino) return;
      ino = parent;
    }
  }
}

function ownerChange(uid: number, gid: number): SetAttrRequest {
  const set: SetAttrRequest = {};
  if (uid !== -1) set.uid = uid;
  if (gid !== -1) set.gid = gid;
  return set;
}

function toTimespec(t: TimeArg): Timespec {
  if (typeof t === 'object' && !(t instanceof Date)) return t;
  const ms = t instanceof Date ? t.getTime() : t * 1000;
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) };
}

