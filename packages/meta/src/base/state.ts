import type { Format, Ino, MetaClientOptions, SliceDeleter } from '@juicefs/core';
import type { OpenFileCache } from './open-cache.js';
import type { IdAllocator } from './alloc.js';
import type { OpenFiles } from './open-files.js';
import type { QuotaState } from './quota.js';
import type { EngineStore } from './store.js';

/** What every BaseMeta module works on: the engine plus this client's own state. */
export interface MetaState {
  readonly store: EngineStore;
  /** The volume's format, known after init() or load(). */
  format: Format | undefined;
  /** Current session id (0 = none: read-only or not started). */
  sid: number;
  sessionInfo: string | undefined;
  heartbeat: number;
  readOnly: boolean;
  readonly openFiles: OpenFiles;
  /**
   * Files this client unlinked while it had them open (sustained in its session): the last close
   * releases them. Kept in memory, as the Go client does, so a close needs no query; an entry
   * from a transaction that did not commit only costs one needless check at close.
   */
  readonly sustained: Set<Ino>;
  readonly inodes: IdAllocator<bigint>;
  readonly slices: IdAllocator<number>;
  sliceDeleter: SliceDeleter | undefined;
  /** Refreshes the session every heartbeat while it is open. */
  heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  /** Runs the background jobs while started (startBackgroundJobs). */
  jobsTimer: ReturnType<typeof setInterval> | undefined;
  /** Directory quotas as this client knows them (quota.ts). */
  readonly quotas: QuotaState;
  /** The trash sub-directory of the current hour: `name` → inode. */
  trashDir: { name: string; ino: Ino } | undefined;
  /** How this client behaves (mount flags: atime, skip-dir-mtime, fast statfs, open cache). */
  client: MetaClientOptions;
  /** Attributes and slices of files opened here, trusted for `client.openCache` seconds. */
  readonly openCache: OpenFileCache;
  /** The volume's usage counters as last read (--fast-statfs answers from them). */
  usage: { space: number; inodes: number; readAt: number } | undefined;
}

export function trashDays(m: MetaState): number {
  return m.format?.TrashDays ?? 0;
}

/**
 * Whether this volume keeps directory statistics (and with them directory quota usage). As in Go,
 * where `DirStats` is an omitempty bool: a loaded format without it (made before 1.1, or turned
 * off by `config --dir-stats=false`) has them off. An engine used without a format (its own unit
 * tests) keeps them.
 */
export function dirStatsEnabled(m: MetaState): boolean {
  return m.format === undefined ? true : m.format.DirStats === true;
}
