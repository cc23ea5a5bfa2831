import type { Attr, DirStat, Ino, NodeType, PosixLockRecord, Slice } from '@juicefs/core';
import type { DirQuota } from '../base/quota-store.js';

/** One directory entry as the memory engine keeps it (keyed by the hex of the name bytes). */
export interface MemEntry {
  name: Buffer;
  ino: Ino;
  type: NodeType;
}

export interface MemFlock {
  sid: number;
  owner: bigint;
  type: 'R' | 'W';
}

export interface MemPlock {
  sid: number;
  owner: bigint;
  records: PosixLockRecord[];
}

/**
 * Everything one in-memory volume holds. Stored values are never mutated in place: writers
 * replace them, so the undo log only needs the previous value of each touched key.
 */
export class MemoryVolumeState {
  format: string | undefined;
  readonly attrs = new Map<Ino, Attr>();
  readonly entries = new Map<Ino, Map<string, MemEntry>>();
  readonly parents = new Map<Ino, Map<Ino, number>>();
  readonly symlinks = new Map<Ino, Buffer>();
  readonly chunks = new Map<Ino, Map<number, Slice[]>>();
  readonly sliceRefs = new Map<number, { size: number; refs: number }>();
  readonly xattrs = new Map<Ino, Map<string, Buffer>>();
  readonly counters = new Map<string, number>();
  readonly dirStats = new Map<Ino, DirStat>();
  readonly dirQuotas = new Map<Ino, DirQuota>();
  /** User and group quotas, keyed `user:UID` / `group:GID`. */
  readonly userGroupQuotas = new Map<string, DirQuota>();
  readonly delFiles = new Map<Ino, { length: number; expire: number }>();
  readonly sustained = new Map<number, Set<Ino>>();
  readonly flocks = new Map<Ino, Map<string, MemFlock>>();
  readonly plocks = new Map<Ino, Map<string, MemPlock>>();
  readonly sessions = new Map<number, { expire: number; info: string | undefined }>();
  /** Change log lines by version; `counters.txnLastLog` is the newest version. */
  readonly changeLog = new Map<number, string>();

  /** Drop everything (juicefs destroy). */
  clear(): void {
    this.format = undefined;
    for (const value of Object.values(this)) {
      if (value instanceof Map) value.clear();
    }
  }
}

type UndoRecord = () => void;

/**
 * Records the previous value of every key a transaction writes so that a failed transaction
 * can be rolled back exactly (writes are applied immediately; commits are serialised).
 */
export class UndoLog {
  private readonly records: UndoRecord[] = [];

  put<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    const had = map.has(key);
    const old = map.get(key);
    this.records.push(() => {
      if (had) map.set(key, old as V);
      else map.delete(key);
    });
    if (value === undefined) map.delete(key);
    else map.set(key, value);
  }

  /** The inner map of `outer[key]`, created (and logged) when missing. */
  inner<K, IK, IV>(outer: Map<K, Map<IK, IV>>, key: K): Map<IK, IV> {
    let m = outer.get(key);
    if (!m) {
      m = new Map<IK, IV>();
      this.put(outer, key, m);
    }
    return m;
  }

  setFormat(state: MemoryVolumeState, value: string | undefined): void {
    const old = state.format;
    this.records.push(() => {
      state.format = old;
    });
    state.format = value;
  }

  rollback(): void {
    for (let i = this.records.length - 1; i >= 0; i--) this.records[i]!();
    this.records.length = 0;
  }
}

export function cloneAttr(attr: Attr): Attr {
  return { ...attr };
}

export function nameKey(name: Buffer): string {
  return name.toString('hex');
}
