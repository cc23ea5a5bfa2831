import { fsError, hasCode } from '../errors/fs-error.js';
import { NodeType, setidToKill } from '../types/attr.js';
import { ROOT_CONTEXT, type Context } from '../types/context.js';
import type { Ino } from '../types/inode.js';
import { LockType } from '../types/session.js';
import { CHUNK_SIZE } from '../types/slice.js';
import { canRead, canWrite, checkOpenFlags, O_APPEND, O_TRUNC, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from './flags.js';
import { compactChunk } from './compaction.js';
import { ACCESSLOG_INODE, internalNodeByIno, isVirtualInode } from './internal-nodes.js';
import type { CreateReply, OpenReply, OpenUse } from './options.js';
import { MAX_FILE_SIZE, LOCK_TO_EOF, type Name, toName, entryText } from './vfs-base.js';
import { VfsNames } from './vfs-names.js';

/** Open files: handles, reads, buffered writes, flush/fsync/release, ranges (fallocate, copy, lseek). */
export abstract class VfsFiles extends VfsNames {
  // ---------------------------------------------------------------- files

  /**
   * Open a file. `takeOver`: register the handle under this number, an earlier server's handle
   * (below VfsOptions.firstHandle) that the kernel still uses for a file opened before a restart.
   * `use`: how the handle will be used beyond `flags` (see OpenUse).
   */
  async open(ctx: Context, ino: Ino, flags: number, takeOver?: number, use: OpenUse = {}): Promise<OpenReply> {
    return this.op(ctx, 'open', () => `${ino},0x${flags.toString(16)}`, async () => {
      if (takeOver !== undefined) this.handles.allocate(takeOver); // checked before anything is opened
      const node = isVirtualInode(ino) ? internalNodeByIno(ino) : undefined;
      if (node) return this.openInternal(ino, flags, takeOver);
      if (isVirtualInode(ino)) throw fsError('ENOENT', `virtual inode ${ino} does not exist`);
      if (this.options.readOnly && (canWrite(flags) || (flags & O_TRUNC) !== 0)) throw fsError('EROFS', 'the volume is mounted read-only');
      let attr = await this.meta.open(ctx, ino, flags);
      try {
        if (attr.type === NodeType.Directory && canWrite(flags)) throw fsError('EISDIR', `inode ${ino} is a directory; it cannot be opened for writing`);
        checkOpenFlags(attr.flags, flags, `inode ${ino}`);
        this.data.opened(ino, attr.length, attr.tier);
        if ((flags & O_TRUNC) !== 0 && canWrite(flags) && attr.type === NodeType.File) {
          attr = (await this.data.change(ctx, ino, () => this.meta.truncate(ctx, ino, 0, true))) ?? attr;
          // Truncated by a caller without CAP_FSETID: setuid/setgid go, as Linux's open does.
          if (use.killSetid === true && setidToKill(attr, ctx.gids) !== 0) attr = await this.meta.setAttr(ctx, ino, { killSetid: true });
          this.cache.dropAttr(ino);
        }
      } catch (err) {
        this.data.closed(ino);
        await this.meta.close(ctx, ino).catch(() => undefined);
        throw err;
      }
      const fh = this.newFileHandle(ino, flags, attr.type, takeOver, use);
      const keepCache = (flags & O_TRUNC) === 0 && this.keepCache.opened(ino, attr);
      // A small file opened for reading: its bytes start loading now (the kernel still has the
      // page-cache copy when keepCache, and asks us for nothing).
      // After this turn of the event loop: the OPEN reply goes out first, and the store's first
      // steps (finding the cached file may touch the disk) do not delay it.
      if (!keepCache && attr.type === NodeType.File && canRead(flags)) setImmediate(() => void this.data.warm(ctx, ino));
      return { fh, attr: this.withPending(ino, this.remember(ino, attr)), attrTimeout: this.options.attrCache, directIo: false, keepCache };
    }, (r) => ` [fh:${r.fh}]`);
  }

  /** Create a regular file and open it (O_CREAT|O_EXCL semantics: EEXIST when the name exists). */
  async create(ctx: Context, parent: Ino, name: Name, mode: number, cumask: number, flags: number, use: OpenUse = {}): Promise<CreateReply> {
    const bname = toName(name);
    return this.op(ctx, 'create', () => `${parent},${bname},0${mode.toString(8)}`, async () => {
      this.checkNewName(parent, bname);
      const since = this.cache.mark();
      const r = await this.meta.create(ctx, parent, bname, mode & 0o7777, cumask, flags);
      this.data.opened(r.ino, r.attr.length, r.attr.tier);
      const entry = this.created(ctx, parent, bname, r, since);
      const fh = this.newFileHandle(r.ino, flags, r.attr.type, undefined, use);
      return { ...entry, fh, directIo: false, keepCache: false };
    }, (r) => `${entryText(r)} [fh:${r.fh}]`);
  }

  /**
   * Read up to `size` bytes at `offset`. `shared`: the caller will not modify the result (a FUSE
   * reply, copied by the kernel), so bytes of the block cache may come back uncopied.
   */
  async read(ctx: Context, ino: Ino, fh: number, offset: number, size: number, shared = false): Promise<Buffer> {
    return this.op(ctx, 'read', () => `${ino},${size},${offset},${fh}`, async () => {
      const h = this.handle(ino, fh);
      if (offset < 0 || size < 0) throw fsError('EINVAL', `negative offset ${offset} or size ${size}`);
      if (h.kind === 'special') return this.readInternal(h, offset, size);
      if (h.kind !== 'file' || !h.readable) throw fsError('EBADF', `handle ${fh} of inode ${ino} is not open for reading`);
      if (h.type === NodeType.Directory) throw fsError('EISDIR', `inode ${ino} is a directory; list it with readdir`);
      if (offset >= MAX_FILE_SIZE) throw fsError('EFBIG', `offset ${offset} is past the largest file size`);
      if (size === 0) return Buffer.alloc(0);
      const buf = await this.data.read(ctx, ino, offset, size, shared).catch((err: unknown) => {
        // The inode went away under an open handle (another client deleted it): as upstream, EBADF.
        if (hasCode(err, 'ENOENT')) throw fsError('EBADF', `inode ${ino} was deleted while open here (by another client)`, err);
        throw err;
      });
      this.metrics.readSize.observe(buf.length);
      this.metrics.readBytes += buf.length;
      return buf;
    }, (r) => ` (${r.length})`, ino !== ACCESSLOG_INODE);
  }

  /**
   * Write `data` at `offset` (at the end of the file for an O_APPEND handle); returns bytes written.
   * `killSetid`: the caller lacks CAP_FSETID (FUSE_WRITE_KILL_SUIDGID), so setuid/setgid go.
   */
  async write(ctx: Context, ino: Ino, fh: number, offset: number, data: Buffer, killSetid = false): Promise<number> {
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
      // Checked here, not awaited for nothing: most writes of a user come with the flag.
      if (killSetid && this.hasSetidFile(ctx, ino)) await this.killSetidOnWrite(ctx, ino);
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
      // As JuiceFS's Release: only a handle that wrote leaves the attributes changed. Reads change
      // them only where atimes are kept, in the engine and out of this cache's sight; and the
      // last close of an unlinked file removes the node. Otherwise the cached attributes stay
      // good for their timeout, and a stat after a read is answered without asking the engine.
      if (h.writable || this.meta.client.atimeMode !== 'noatime' || this.cache.getAttr(ino)?.nlink === 0) this.cache.dropAttr(ino);
      await this.meta.close(ctx, ino);
      if (failure !== undefined) throw failure;
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
      // Overlap within one file is the engine's to judge: it clamps the range to EOF first, as Linux does.
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

  /** Commit every pending write; handles stay valid. */
  async flushAll(ctx: Context): Promise<void> {
    await this.data.flushAll(ctx);
  }

  /**
   * Merge the slices of every chunk of a file (`juicefs compact`, `gc --compact`): pending
   * writes are committed first. Returns how many chunks were compacted.
   */
  async compact(ctx: Context, ino: Ino): Promise<number> {
    return this.op(ctx, 'compact', () => `${ino}`, async () => {
      if (isVirtualInode(ino)) throw fsError('EPERM', `inode ${ino} is a virtual file`);
      await this.data.flush(ctx, ino);
      const attr = await this.meta.getAttr(ctx, ino);
      if (attr.type !== NodeType.File) throw fsError('EINVAL', `inode ${ino} is not a regular file; compact its files one by one`);
      let compacted = 0;
      for (let indx = 0; indx * CHUNK_SIZE < attr.length; indx++) {
        await this.compacting.get(`${ino}:${indx}`);
        if (await compactChunk(this.meta, this.store, ino, indx)) compacted++;
      }
      this.data.invalidate(ino);
      return compacted;
    });
  }

  /**
   * Unmount: stop background flushing and commit every pending write. Handles are not
   * released (the kernel or the caller releases them); the Meta and ChunkStore stay open for
   * their owner to shut down.
   */
  async close(ctx: Context = ROOT_CONTEXT): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    await this.data.flushAll(ctx);
    await Promise.all(this.compacting.values());
  }

}
