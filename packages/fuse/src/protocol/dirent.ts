import type { EntryOut } from './attr.js';
import { writeEntryOut } from './attr.js';
import { DIRENT_HEADER_SIZE, ENTRY_OUT_SIZE } from './constants.js';
import { WireWriter } from './wire.js';

/** One directory entry. `offset` is the cookie of the NEXT entry (what a later READDIR resumes from). */
export interface DirEntry {
  name: Buffer | string;
  ino: bigint;
  /** DT_* type (st_mode >> 12). */
  type: number;
  offset: number;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * Packs fuse_dirent (or fuse_direntplus) records into at most `size` bytes, each padded to 8
 * bytes as the kernel requires. `add` returns false, adding nothing, once the next record does
 * not fit: the handler stops there and the kernel asks again from that entry's offset.
 */
export class DirentBuffer {
  private readonly parts: Buffer[] = [];
  private used = 0;

  constructor(
    readonly size: number,
    /** READDIRPLUS: each record carries an entry_out, and counts as a lookup unless it is "." or "..". */
    readonly plus: boolean,
  ) {}

  get length(): number {
    return this.used;
  }

  get count(): number {
    return this.parts.length;
  }

  /** Add one record; for readdirplus pass `entry` (ino 0 means "no attributes, no lookup"). */
  add(d: DirEntry, entry?: EntryOut): boolean {
    const name = typeof d.name === 'string' ? Buffer.from(d.name) : d.name;
    const head = this.plus ? ENTRY_OUT_SIZE : 0;
    const recLen = align8(head + DIRENT_HEADER_SIZE + name.length);
    if (this.used + recLen > this.size) return false;
    const w = new WireWriter(recLen);
    if (this.plus) {
      writeEntryOut(
        w,
        entry ?? {
          ino: 0n,
          attr: { ino: 0n, size: 0, atime: 0, atimensec: 0, mtime: 0, mtimensec: 0, ctime: 0, ctimensec: 0, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0 },
        },
      );
    }
    w.u64(d.ino).u64(d.offset).u32(name.length).u32(d.type).bytes(name);
    this.parts.push(w.buf);
    this.used += recLen;
    return true;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.used);
  }
}
