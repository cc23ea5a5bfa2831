import type { DirStat, Ino } from '@juicefs/core';

/** The usage counters every writer bumps; the engine adds them up later instead of per transaction. */
export const DEFERRED_COUNTERS: ReadonlySet<string> = new Set(['usedSpace', 'totalInodes']);

function addStat(to: Map<Ino, DirStat>, ino: Ino, delta: DirStat): void {
  const s = to.get(ino);
  if (s) {
    s.length += delta.length;
    s.space += delta.space;
    s.inodes += delta.inodes;
  } else {
    to.set(ino, { ...delta });
  }
}

/**
 * What one transaction leaves for the engine to write after it commits: deltas of the volume's
 * usage counters and of directory stats. The Go client keeps both in memory and writes them about
 * once a second (`flushStats`, `flushDirStat`); each would otherwise be one more statement and one
 * more page in every create, write and unlink.
 */
export class Deferred {
  readonly counters = new Map<string, number>();
  readonly dirStats = new Map<Ino, DirStat>();
  /** Directories whose stored stats this transaction wrote outright or removed. */
  readonly resetDirs = new Set<Ino>();

  addCounter(name: string, delta: number): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + delta);
  }

  addDirStat(ino: Ino, delta: DirStat): void {
    addStat(this.dirStats, ino, delta);
  }

  /** The stored stats of `ino` were set or removed: deltas from before no longer apply to them. */
  resetDir(ino: Ino): void {
    this.resetDirs.add(ino);
    this.dirStats.delete(ino);
  }
}

/** The deltas this client has committed and not yet written, as taken by a flush. */
export interface PendingDeltas {
  counters: Map<string, number>;
  dirStats: Map<Ino, DirStat>;
}

/** Committed deltas waiting for the engine's next flush; this client's own reads include them. */
export class Unflushed implements PendingDeltas {
  counters = new Map<string, number>();
  dirStats = new Map<Ino, DirStat>();

  get empty(): boolean {
    return this.counters.size === 0 && this.dirStats.size === 0;
  }

  /** Adds what a committed transaction deferred. */
  merge(d: Deferred | PendingDeltas): void {
    if (d instanceof Deferred) for (const ino of d.resetDirs) this.dirStats.delete(ino);
    for (const [name, delta] of d.counters) {
      if (delta !== 0) this.counters.set(name, (this.counters.get(name) ?? 0) + delta);
    }
    for (const [ino, delta] of d.dirStats) addStat(this.dirStats, ino, delta);
  }

  /** Everything pending, handed to a flush and forgotten here (merge it back if the flush fails). */
  take(): PendingDeltas {
    const taken = { counters: this.counters, dirStats: this.dirStats };
    this.counters = new Map();
    this.dirStats = new Map();
    return taken;
  }
}
