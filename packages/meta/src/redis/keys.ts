import type { Ino } from '@juicefs/core';

/**
 * Every top-level key of the JuiceFS 1.x Redis layout (FORMAT.md 4.2), with the volume's key
 * prefix (empty on standalone/Sentinel, `{N}` on Redis Cluster). Hash fields and set members
 * are never prefixed, except `locked<sid>` members, which are full key names.
 */
export class RedisKeys {
  constructor(readonly prefix = '') {}

  setting(): string { return `${this.prefix}setting`; }
  inode(ino: Ino): string { return `${this.prefix}i${ino}`; }
  entries(ino: Ino): string { return `${this.prefix}d${ino}`; }
  parents(ino: Ino): string { return `${this.prefix}p${ino}`; }
  chunk(ino: Ino, indx: number): string { return `${this.prefix}c${ino}_${indx}`; }
  /** SCAN pattern for all chunk lists of an inode. */
  chunkPattern(ino: Ino): string { return `${this.prefix}c${ino}_*`; }
  symlink(ino: Ino): string { return `${this.prefix}s${ino}`; }
  xattr(ino: Ino): string { return `${this.prefix}x${ino}`; }
  flock(ino: Ino): string { return `${this.prefix}lockf${ino}`; }
  plock(ino: Ino): string { return `${this.prefix}lockp${ino}`; }
  locked(sid: number): string { return `${this.prefix}locked${sid}`; }
  allSessions(): string { return `${this.prefix}allSessions`; }
  legacySessions(): string { return `${this.prefix}sessions`; }
  sessionInfos(): string { return `${this.prefix}sessionInfos`; }
  sustained(sid: number): string { return `${this.prefix}session${sid}`; }
  delfiles(): string { return `${this.prefix}delfiles`; }
  sliceRef(): string { return `${this.prefix}sliceRef`; }
  dirDataLength(): string { return `${this.prefix}dirDataLength`; }
  dirUsedSpace(): string { return `${this.prefix}dirUsedSpace`; }
  dirUsedInodes(): string { return `${this.prefix}dirUsedInodes`; }
  /** The change log's lines (FORMAT.md 4.8), and how many were ever appended. */
  txnLog(): string { return `${this.prefix}txnLog`; }
  txnLastLog(): string { return `${this.prefix}txnLastLog`; }

  /** Counter key: only nextInode/nextChunk/nextSession are lower-cased (FORMAT.md 4.4). */
  counter(name: string): string {
    const lower = name === 'nextInode' || name === 'nextChunk' || name === 'nextSession';
    return `${this.prefix}${lower ? name.toLowerCase() : name}`;
  }

  /** Inode of a `lockf<ino>` / `lockp<ino>` key name, or undefined for any other key. */
  lockedInode(key: string): { kind: 'flock' | 'plock'; ino: Ino } | undefined {
    const m = /^lock([fp])(\d+)$/.exec(key.startsWith(this.prefix) ? key.slice(this.prefix.length) : '');
    if (!m) return undefined;
    return { kind: m[1] === 'f' ? 'flock' : 'plock', ino: BigInt(m[2] ?? '0') };
  }
}

/** Hash field of a slice in `sliceRef`. */
export function sliceRefField(id: number, size: number): string {
  return `k${id}_${size}`;
}

/** Hash field of a lock owner in `lockf<ino>` / `lockp<ino>`: sid, then the owner as 16 upper-case hex digits. */
export function lockField(sid: number, owner: bigint): string {
  return `${sid}_${BigInt.asUintN(64, owner).toString(16).toUpperCase().padStart(16, '0')}`;
}

export function parseLockField(field: string): { sid: number; owner: bigint } | undefined {
  const m = /^(\d+)_([0-9A-Fa-f]{1,16})$/.exec(field);
  if (!m) return undefined;
  return { sid: Number(m[1]), owner: BigInt(`0x${m[2] ?? '0'}`) };
}
