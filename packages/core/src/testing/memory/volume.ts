import type { Attr } from '../../types/attr.js';
import { align4K, NodeType } from '../../types/attr.js';
import type { Format } from '../../types/format.js';
import type { Ino } from '../../types/inode.js';
import { ROOT_INODE, TRASH_INODE } from '../../types/inode.js';
import type { PosixLockRecord, SessionInfo } from '../../types/session.js';
import type { Slice } from '../../types/slice.js';

/** Directory entries keyed by the name's bytes as a latin1 string (a lossless byte <-> string map). */
export type DirEntries = Map<string, Ino>;

export interface SessionState {
  sid: number;
  expire: number;
  info: SessionInfo | undefined;
  /** Files unlinked while open in this session (nlink 0, kept until last close). */
  sustained: Set<Ino>;
}

export interface FlockHolder {
  sid: number;
  owner: bigint;
  type: 'R' | 'W';
}

export interface PlockHolder {
  sid: number;
  owner: bigint;
  records: PosixLockRecord[];
}

/**
 * The whole state of one in-memory volume, in plain Maps. Several `MemoryMeta` clients share
 * one volume the way several mounts share one Redis database. Fields are public so tests can
 * inspect (or, in the broken-variant tests, deliberately corrupt) the state.
 */
export class MemoryVolume {
  format: Format | undefined;
  readonly nodes = new Map<Ino, Attr>();
  readonly dirs = new Map<Ino, DirEntries>();
  readonly symlinks = new Map<Ino, Buffer>();
  /** ino -> chunk index -> slice records in append order. */
  readonly chunks = new Map<Ino, Map<number, Slice[]>>();
  readonly xattrs = new Map<Ino, Map<string, Buffer>>();
  readonly sessions = new Map<number, SessionState>();
  readonly flocks = new Map<Ino, FlockHolder[]>();
  readonly plocks = new Map<Ino, PlockHolder[]>();
  /** Live slices: id -> size and the number of chunk records naming it. */
  readonly sliceRefs = new Map<number, { size: number; refs: number }>();
  /** Chunk lists of removed files, waiting for cleanupDeleted. */
  readonly deletedFiles: Array<{ ino: Ino; chunks: Map<number, Slice[]> }> = [];
  /** Slices whose last reference went, waiting for cleanupDeleted to call the deleter. */
  readonly unreferencedSlices: Array<{ id: number; size: number }> = [];
  nextInode = 1n;
  nextSlice = 0;
  nextSession = 0;
  nextTrash = 0;

  /** Forget everything (juicefs destroy). */
  clear(): void {
    this.format = undefined;
    for (const m of [this.nodes, this.dirs, this.symlinks, this.chunks, this.xattrs, this.sessions, this.flocks, this.plocks, this.sliceRefs]) {
      m.clear();
    }
    this.deletedFiles.length = 0;
    this.unreferencedSlices.length = 0;
    this.nextInode = 1n;
    this.nextSlice = 0;
    this.nextSession = 0;
    this.nextTrash = 0;
  }

  /** Charged space and node count over every node except root and the trash root (FORMAT.md 4.4). */
  usage(): { space: number; inodes: number } {
    let space = 0;
    let inodes = 0;
    for (const [ino, attr] of this.nodes) {
      if (ino === ROOT_INODE || ino === TRASH_INODE) continue;
      space += chargedSpace(attr);
      inodes++;
    }
    return { space, inodes };
  }
}

/** align4K of the length for regular files; 4096 for every other node. */
export function chargedSpace(attr: Pick<Attr, 'type' | 'length'>): number {
  return attr.type === NodeType.File ? align4K(attr.length) : 4096;
}

export function nameKey(name: Buffer): string {
  return name.toString('latin1');
}

export function keyName(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}
