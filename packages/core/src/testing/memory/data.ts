import { fsError } from '../../errors/fs-error.js';
import type { SliceDeleter } from '../../meta/meta.js';
import {
  FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE,
} from '../../meta/meta.js';
import type { Attr } from '../../types/attr.js';
import { align4K, NodeType } from '../../types/attr.js';
import type { Context } from '../../types/context.js';
import type { Ino } from '../../types/inode.js';
import type { Slice } from '../../types/slice.js';
import { buildSliceView, CHUNK_SIZE } from '../../types/slice.js';
import { MemoryNamespace } from './namespace.js';
import { checkAccess } from './rules.js';

/** File data as slice records: writes, truncate, fallocate, copy_file_range and compaction. */
export class MemoryData extends MemoryNamespace {
  async newSlice(): Promise<number> {
    return ++this.volume.nextSlice;
  }

  onSliceDelete(deleter: SliceDeleter): void {
    this.deleter = deleter;
  }

  protected file(ino: Ino): Attr {
    const attr = this.node(ino);
    if (attr.type === NodeType.Directory) throw fsError('EISDIR', `inode ${ino} is a directory`);
    if (attr.type !== NodeType.File) throw fsError('EINVAL', `inode ${ino} is not a regular file`);
    return attr;
  }

  private chunkList(ino: Ino, indx: number): Slice[] {
    let chunks = this.volume.chunks.get(ino);
    if (!chunks) this.volume.chunks.set(ino, (chunks = new Map()));
    let list = chunks.get(indx);
    if (!list) chunks.set(indx, (list = []));
    return list;
  }

  /** Append one record and count its reference. */
  private append(ino: Ino, indx: number, slice: Slice): void {
    this.chunkList(ino, indx).push({ ...slice });
    this.addSliceRef(slice);
  }

  /** Record zeros (id 0) over the file range [offset, offset+length), chunk by chunk. */
  private zeroRange(ino: Ino, offset: number, length: number): void {
    for (let pos = offset; pos < offset + length; ) {
      const indx = Math.floor(pos / CHUNK_SIZE);
      const inChunk = pos - indx * CHUNK_SIZE;
      const len = Math.min(CHUNK_SIZE - inChunk, offset + length - pos);
      this.append(ino, indx, { pos: inChunk, id: 0, size: 0, off: 0, len });
      pos += len;
    }
  }

  /** Change a file's length after the quota check; the caller sets times. */
  private resize(attr: Attr, length: number): void {
    if (length > attr.length) this.checkQuota(align4K(length) - align4K(attr.length), 0);
    attr.length = length;
  }

  async readChunk(_ctx: Context, ino: Ino, indx: number): Promise<Slice[]> {
    this.file(ino);
    return (this.volume.chunks.get(ino)?.get(indx) ?? []).map((s) => ({ ...s }));
  }

  async write(_ctx: Context, ino: Ino, indx: number, slice: Slice, mtime?: { sec: number; nsec: number }): Promise<Attr> {
    const attr = this.file(ino);
    if (slice.pos < 0 || slice.len < 0 || slice.pos + slice.len > CHUNK_SIZE) {
      throw fsError('EINVAL', `slice [${slice.pos}, +${slice.len}) does not fit in a chunk`);
    }
    const end = indx * CHUNK_SIZE + slice.pos + slice.len;
    this.resize(attr, Math.max(attr.length, end));
    this.append(ino, indx, slice);
    const t = mtime ?? this.now();
    this.touch(attr, true, t);
    return { ...attr };
  }

  async truncate(ctx: Context, ino: Ino, length: number, skipPermCheck = false): Promise<Attr> {
    return this.truncateNode(ctx, ino, length, skipPermCheck);
  }

  protected override async truncateNode(ctx: Context, ino: Ino, length: number, skipPerm: boolean): Promise<Attr> {
    const attr = this.file(ino);
    if (length < 0) throw fsError('EINVAL', 'negative length');
    if (!skipPerm) checkAccess(ctx, attr, 2, `inode ${ino}`);
    const old = attr.length;
    this.resize(attr, length);
    if (length < old) this.zeroRange(ino, length, old - length);
    this.touch(attr, true);
    return { ...attr };
  }

  async fallocate(ctx: Context, ino: Ino, mode: number, offset: number, size: number): Promise<Attr> {
    if (offset < 0 || size <= 0) throw fsError('EINVAL', `fallocate range offset ${offset} size ${size}`);
    if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) throw fsError('EOPNOTSUPP', 'collapse/insert range is not supported');
    if (mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE)) throw fsError('EINVAL', 'PUNCH_HOLE needs KEEP_SIZE');
    const attr = this.node(ino);
    // Linux vfs_fallocate: ESPIPE for a fifo, EISDIR for a directory, ENODEV for other non-files.
    if (attr.type === NodeType.FIFO) throw fsError('ESPIPE', `inode ${ino} is a fifo`);
    if (attr.type === NodeType.Directory) throw fsError('EISDIR', `inode ${ino} is a directory`);
    if (attr.type !== NodeType.File) throw fsError('ENODEV', `inode ${ino} is not a regular file`);
    checkAccess(ctx, attr, 2, `inode ${ino}`);
    if (!(mode & FALLOC_FL_KEEP_SIZE)) this.resize(attr, Math.max(attr.length, offset + size));
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) this.zeroRange(ino, offset, size);
    this.touch(attr, true);
    return { ...attr };
  }

  async copyFileRange(
    ctx: Context, fin: Ino, offIn: number, fout: Ino, offOut: number, size: number, flags: number,
  ): Promise<number> {
    if (flags !== 0) throw fsError('EINVAL', `copy_file_range flags must be 0, got ${flags}`);
    // Linux generic_file_rw_checks: a directory on either side is EISDIR before any EINVAL.
    if (this.node(fin).type === NodeType.Directory || this.node(fout).type === NodeType.Directory) {
      throw fsError('EISDIR', 'copy_file_range on a directory');
    }
    const src = this.file(fin);
    const dst = this.file(fout);
    checkAccess(ctx, src, 4, `inode ${fin}`);
    checkAccess(ctx, dst, 2, `inode ${fout}`);
    const copied = offIn >= src.length ? 0 : Math.min(size, src.length - offIn);
    if (fin === fout && offIn < offOut + copied && offOut < offIn + copied) {
      throw fsError('EINVAL', 'copy_file_range source and destination overlap');
    }
    if (copied === 0) return 0;
    this.resize(dst, Math.max(dst.length, offOut + copied));
    // Zeros first, so gaps of the source read as zeros at the destination; then each data piece.
    this.zeroRange(fout, offOut, copied);
    const shift = offOut - offIn;
    for (let indx = Math.floor(offIn / CHUNK_SIZE); indx * CHUNK_SIZE < offIn + copied; indx++) {
      for (const piece of buildSliceView(this.volume.chunks.get(fin)?.get(indx) ?? [])) {
        if (piece.id === 0) continue;
        const start = Math.max(indx * CHUNK_SIZE + piece.pos, offIn);
        const end = Math.min(indx * CHUNK_SIZE + piece.pos + piece.len, offIn + copied);
        for (let pos = start; pos < end; ) {
          const target = pos + shift;
          const dIndx = Math.floor(target / CHUNK_SIZE);
          const len = Math.min(end - pos, (dIndx + 1) * CHUNK_SIZE - target);
          const off = piece.off + (pos - (indx * CHUNK_SIZE + piece.pos));
          this.append(fout, dIndx, { pos: target - dIndx * CHUNK_SIZE, id: piece.id, size: piece.size, off, len });
          pos += len;
        }
      }
    }
    this.touch(dst, true);
    return copied;
  }

  async compactChunk(ino: Ino, indx: number, head: readonly Slice[], replacement: Slice): Promise<void> {
    this.file(ino);
    const list = this.chunkList(ino, indx);
    const same = (a: Slice | undefined, b: Slice) =>
      a !== undefined && a.pos === b.pos && a.id === b.id && a.size === b.size && a.off === b.off && a.len === b.len;
    if (head.length > list.length || !head.every((s, i) => same(list[i], s))) {
      throw fsError('EAGAIN', `chunk ${indx} of inode ${ino} changed during compaction; retry`);
    }
    const old = list.splice(0, head.length, { ...replacement });
    this.addSliceRef(replacement);
    for (const s of old) this.dropSliceRef(s.id);
  }
}
