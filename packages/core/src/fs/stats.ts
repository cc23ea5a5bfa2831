import { NodeType, stMode, type Attr } from '../types/attr.js';
import type { Ino } from '../types/inode.js';

/** stat(2) results in the shape of Node's fs.Stats (inode numbers stay bigint: they can exceed 2^53). */
export class JfsStats {
  readonly ino: Ino;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly blksize = 4096;
  /** 512-byte blocks charged for the data. */
  readonly blocks: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly flags: number;
  private readonly type: NodeType;

  constructor(ino: Ino, attr: Attr) {
    this.ino = ino;
    this.type = attr.type;
    this.mode = stMode(attr);
    this.nlink = attr.nlink;
    this.uid = attr.uid;
    this.gid = attr.gid;
    this.rdev = attr.rdev;
    this.size = attr.length;
    this.blocks = attr.type === NodeType.File ? Math.ceil(attr.length / 4096) * 8 : 8;
    this.atimeNs = BigInt(attr.atime) * 1_000_000_000n + BigInt(attr.atimensec);
    this.mtimeNs = BigInt(attr.mtime) * 1_000_000_000n + BigInt(attr.mtimensec);
    this.ctimeNs = BigInt(attr.ctime) * 1_000_000_000n + BigInt(attr.ctimensec);
    this.atimeMs = attr.atime * 1000 + attr.atimensec / 1e6;
    this.mtimeMs = attr.mtime * 1000 + attr.mtimensec / 1e6;
    this.ctimeMs = attr.ctime * 1000 + attr.ctimensec / 1e6;
    this.flags = attr.flags;
  }

  get atime(): Date {
    return new Date(this.atimeMs);
  }
  get mtime(): Date {
    return new Date(this.mtimeMs);
  }
  get ctime(): Date {
    return new Date(this.ctimeMs);
  }
  isFile(): boolean {
    return this.type === NodeType.File;
  }
  isDirectory(): boolean {
    return this.type === NodeType.Directory;
  }
  isSymbolicLink(): boolean {
    return this.type === NodeType.Symlink;
  }
  isFIFO(): boolean {
    return this.type === NodeType.FIFO;
  }
  isSocket(): boolean {
    return this.type === NodeType.Socket;
  }
  isBlockDevice(): boolean {
    return this.type === NodeType.BlockDev;
  }
  isCharacterDevice(): boolean {
    return this.type === NodeType.CharDev;
  }
}

/** One directory entry, as readdir({ withFileTypes: true }) returns it. */
export interface JfsDirent {
  name: string;
  ino: Ino;
  type: NodeType;
}
