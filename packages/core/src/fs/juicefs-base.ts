import { fsError, hasCode } from '../errors/fs-error.js';
import { NodeType, type SetAttrRequest } from '../types/attr.js';
import { ROOT_CONTEXT, type Context } from '../types/context.js';
import type { Ino } from '../types/inode.js';
import { canWrite, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW } from '../vfs/flags.js';
import type { Vfs } from '../vfs/vfs.js';
import { parseOpenFlags, type OpenFlags } from './open-flags.js';
import { MAX_SYMLINKS, PathResolver } from './path-resolver.js';
import { JfsStats } from './stats.js';

/** Bytes per VFS call when reading or writing whole files. */
export const IO_SIZE = 1 << 20;

export interface JuiceFSOptions {
  /** Applied to the mode of every node created (default 0o022). */
  umask?: number;
}

export interface OpenFile {
  ino: Ino;
  fh: number;
  position: number;
  append: boolean;
  writable: boolean;
}

/** Descriptors and whole-file I/O of the path API; `JuiceFS` adds the node and directory calls. */
export abstract class JuiceFSBase {
  protected readonly resolver: PathResolver;
  protected readonly files = new Map<number, OpenFile>();
  protected nextFd = 3;
  protected readonly umask: number;

  constructor(
    readonly vfs: Vfs,
    readonly ctx: Context = ROOT_CONTEXT,
    options: JuiceFSOptions = {},
  ) {
    this.resolver = new PathResolver(vfs, ctx);
    this.umask = options.umask ?? 0o022;
  }

  // ---------------------------------------------------------------- descriptors

  /** open(2): returns a descriptor. O_CREAT creates with `mode` less the umask. */
  async open(path: string, flags: OpenFlags = 'r', mode = 0o666): Promise<number> {
    const f = parseOpenFlags(flags);
    let ino: Ino;
    let fh: number;
    if ((f & O_CREAT) !== 0) {
      const opened = await this.openOrCreate(path, f, mode);
      ino = opened.ino;
      fh = opened.fh;
    } else {
      const node = await this.resolver.resolve(path, (f & O_NOFOLLOW) === 0);
      if (node.attr.type === NodeType.Symlink) throw fsError('ELOOP', `"${path}" is a symbolic link and O_NOFOLLOW was given`);
      if ((f & O_DIRECTORY) !== 0 && node.attr.type !== NodeType.Directory) throw fsError('ENOTDIR', `"${path}" is not a directory`);
      ino = node.ino;
      fh = (await this.vfs.open(this.ctx, ino, f)).fh;
    }
    const fd = this.nextFd++;
    this.files.set(fd, { ino, fh, position: 0, append: (f & O_APPEND) !== 0, writable: canWrite(f) });
    return fd;
  }

  /** Read up to `length` bytes at `position`, or at the descriptor's position (which then advances). */
  async read(fd: number, length: number, position?: number | null): Promise<Buffer> {
    const file = this.file(fd);
    const at = position ?? file.position;
    const data = await this.vfs.read(this.ctx, file.ino, file.fh, at, length);
    if (position === undefined || position === null) file.position = at + data.length;
    return data;
  }

  /** Write all of `data` at `position`, or at the descriptor's position (the end for O_APPEND). */
  async write(fd: number, data: Buffer | string, position?: number | null): Promise<number> {
    const file = this.file(fd);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const at = position ?? file.position;
    for (let done = 0; done < bytes.length; done += IO_SIZE) {
      await this.vfs.write(this.ctx, file.ino, file.fh, at + done, bytes.subarray(done, done + IO_SIZE));
    }
    if (position === undefined || position === null) {
      file.position = file.append ? (await this.vfs.getattr(this.ctx, file.ino)).attr.length : at + bytes.length;
    }
    return bytes.length;
  }

  /** Commit what was written through `fd` and close it. */
  async close(fd: number): Promise<void> {
    const file = this.file(fd);
    this.files.delete(fd);
    try {
      await this.vfs.flush(this.ctx, file.ino, file.fh, BigInt(fd));
    } finally {
      await this.vfs.release(this.ctx, file.ino, file.fh);
    }
  }

  async fsync(fd: number): Promise<void> {
    const file = this.file(fd);
    await this.vfs.fsync(this.ctx, file.ino, file.fh);
  }

  async fstat(fd: number): Promise<JfsStats> {
    const file = this.file(fd);
    return new JfsStats(file.ino, (await this.vfs.getattr(this.ctx, file.ino)).attr);
  }

  async ftruncate(fd: number, length = 0): Promise<void> {
    const file = this.file(fd);
    if (!file.writable) throw fsError('EINVAL', `descriptor ${fd} is not open for writing; ftruncate needs a writable descriptor`);
    await this.vfs.setattr(this.ctx, file.ino, { size: length }, file.fh);
  }

  // ---------------------------------------------------------------- whole files

  async readFile(path: string): Promise<Buffer> {
    const fd = await this.open(path, 'r');
    try {
      const parts: Buffer[] = [];
      for (;;) {
        const chunk = await this.read(fd, IO_SIZE);
        if (chunk.length === 0) break;
        parts.push(chunk);
      }
      return Buffer.concat(parts);
    } finally {
      await this.close(fd);
    }
  }

  async writeFile(path: string, data: Buffer | string, options: { mode?: number; flag?: OpenFlags } = {}): Promise<void> {
    const fd = await this.open(path, options.flag ?? 'w', options.mode ?? 0o666);
    let failure: unknown;
    try {
      await this.write(fd, data);
    } catch (err) {
      failure = err;
    }
    try {
      await this.close(fd);
    } catch (err) {
      failure ??= err;
    }
    if (failure !== undefined) throw failure;
  }

  async appendFile(path: string, data: Buffer | string, options: { mode?: number } = {}): Promise<void> {
    await this.writeFile(path, data, { flag: 'a', ...options });
  }

  // ---------------------------------------------------------------- helpers

  protected file(fd: number): OpenFile {
    const f = this.files.get(fd);
    if (!f) throw fsError('EBADF', `descriptor ${fd} is not open`);
    return f;
  }

  protected async entryOf(path: string): Promise<{ parent: Ino; name: string; trailingSlash: boolean }> {
    const r = await this.resolver.resolveParent(path);
    if (r.name === undefined) throw fsError('EBUSY', `"${path}" names the root or a parent directory, not an entry`);
    return { parent: r.parent, name: r.name, trailingSlash: r.trailingSlash };
  }

  protected async setattr(path: string, follow: boolean, set: SetAttrRequest): Promise<void> {
    const r = await this.resolver.resolve(path, follow);
    await this.vfs.setattr(this.ctx, r.ino, set);
  }

  protected async openOrCreate(path: string, flags: number, mode: number, links = 0): Promise<{ ino: Ino; fh: number }> {
    const { parent, name, trailingSlash } = await this.resolver.resolveParent(path);
    if (name === undefined || trailingSlash) throw fsError('EISDIR', `"${path}" names a directory; O_CREAT makes regular files`);
    for (let attempt = 0; attempt < 3; attempt++) {
      // Open an existing file first: creating needs write permission on the directory, opening does not.
      if ((flags & O_EXCL) === 0) {
        try {
          const node = await this.resolver.resolve(path, (flags & O_NOFOLLOW) === 0);
          if (node.attr.type === NodeType.Symlink) throw fsError('ELOOP', `"${path}" is a symbolic link and O_NOFOLLOW was given`);
          if (node.attr.type === NodeType.Directory) throw fsError('EISDIR', `"${path}" is a directory`);
          const open = await this.vfs.open(this.ctx, node.ino, flags & ~O_CREAT);
          return { ino: node.ino, fh: open.fh };
        } catch (err) {
          if (!hasCode(err, 'ENOENT')) throw err;
        }
      }
      try {
        const r = await this.vfs.create(this.ctx, parent, name, mode, this.umask, flags);
        return { ino: r.ino, fh: r.fh };
      } catch (err) {
        if (!hasCode(err, 'EEXIST') || (flags & O_EXCL) !== 0) throw err; // created meanwhile: open it
      }
      // A dangling symlink: O_CREAT creates its target, as Linux does.
      const entry = await this.vfs.lookup(this.ctx, parent, name).catch(() => undefined);
      if (entry?.attr.type === NodeType.Symlink && (flags & O_NOFOLLOW) === 0) {
        if (links >= MAX_SYMLINKS) throw fsError('ELOOP', `more than ${MAX_SYMLINKS} symbolic links while creating "${path}"`);
        const target = (await this.vfs.readlink(this.ctx, entry.ino)).toString();
        const dir = path.slice(0, path.lastIndexOf('/') + 1) || '/';
        return this.openOrCreate(target.startsWith('/') ? target : dir + target, flags, mode, links + 1);
      }
    }
    throw fsError('EAGAIN', `"${path}" kept appearing and disappearing while opening it; retry`);
  }
}
