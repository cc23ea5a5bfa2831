import { fsError } from '../errors/fs-error.js';
import type { Attr, NodeType } from '../types/attr.js';
import type { Ino } from '../types/inode.js';
import type { ControlChannel } from './control-channel.js';
import type { DirEntryReply } from './options.js';

/** An open regular file. */
export interface FileHandle {
  kind: 'file';
  fh: number;
  ino: Ino;
  /** Node type at open (a directory may be opened read-only, but not read). */
  type: NodeType;
  flags: number;
  readable: boolean;
  writable: boolean;
  append: boolean;
  /** flock owner while this handle holds a BSD lock. */
  flockOwner?: bigint;
  /** POSIX lock owners that set locks through this handle (released at flush). */
  plockOwners: Set<bigint>;
}

/** An open directory: its listing is read once at offset 0 and served from here. */
export interface DirHandle {
  kind: 'dir';
  fh: number;
  ino: Ino;
  /** Attributes at opendir: fstat answers them (nlink 0) once a rename replaced the directory. */
  attr: Attr;
  entries?: DirEntryReply[];
}

/** An open virtual file: a snapshot of its content (`.stats`, `.config`) or a log stream. */
export interface SpecialHandle {
  kind: 'special';
  fh: number;
  ino: Ino;
  data: Buffer;
  /** `.control` only: the request/reply stream. */
  control?: ControlChannel;
}

export type Handle = FileHandle | DirHandle | SpecialHandle;

/** File handle numbers, as the kernel sees them (never 0, never reused while open). */
export class HandleTable {
  private next: number;
  private readonly byFh = new Map<number, Handle>();

  constructor(private readonly first = 1) {
    if (!Number.isSafeInteger(first) || first < 1) throw new RangeError(`the first handle number must be a whole number of at least 1, got ${first}`);
    this.next = first;
  }

  get size(): number {
    return this.byFh.size;
  }

  /**
   * A new handle number; or `wanted`, a number below the first this table gives out (an earlier
   * server's handle taken over, see VfsOptions.firstHandle), when no handle holds it.
   */
  allocate(wanted?: number): number {
    if (wanted === undefined) return this.next++;
    if (!Number.isSafeInteger(wanted) || wanted < 1 || wanted >= this.first || this.byFh.has(wanted)) {
      throw fsError('EBADF', `handle ${wanted} cannot be taken over: it is not an earlier server's free handle number`);
    }
    return wanted;
  }

  add(h: Handle): void {
    this.byFh.set(h.fh, h);
  }

  get(fh: number): Handle | undefined {
    return this.byFh.get(fh);
  }

  remove(fh: number): Handle | undefined {
    const h = this.byFh.get(fh);
    this.byFh.delete(fh);
    return h;
  }

  /** The attributes kept by an open directory handle of `ino`, if any. */
  openDirAttr(ino: Ino): Attr | undefined {
    for (const h of this.byFh.values()) if (h.kind === 'dir' && h.ino === ino) return h.attr;
    return undefined;
  }

  all(): Handle[] {
    return [...this.byFh.values()];
  }
}
