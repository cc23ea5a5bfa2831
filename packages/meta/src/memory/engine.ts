import type { Attr, Ino, TimedCount } from '@juicefs/core';
import type { EngineStore, SessionRow, TxStore } from '../base/store.js';
import { memoryDirQuotas, memoryUserGroupQuotas } from './quota.js';
import { MemoryTx } from './tx.js';
import { memoryChangeLog } from './changelog.js';
import type { ChangeLogStore } from '../base/changelog.js';
import { MemoryVolumeState, UndoLog } from './state.js';
import { timeTxn } from '../base/tx-timing.js';

/**
 * An `EngineStore` kept in process memory. Transactions run one at a time (a promise queue),
 * apply their writes directly and undo them when `fn` throws, so they are atomic and isolated
 * like the server engines' transactions. Several `BaseMeta` clients may share one engine (and
 * therefore one volume); `close()` leaves the data in place.
 */
export class MemoryEngine implements EngineStore {
  readonly name = 'memory';
  private queue: Promise<unknown> = Promise.resolve();

  readonly dirQuotas;
  readonly userGroupQuotas;
  readonly changeLog: ChangeLogStore;

  constructor(readonly state: MemoryVolumeState = new MemoryVolumeState()) {
    this.dirQuotas = memoryDirQuotas(state.dirQuotas);
    this.userGroupQuotas = memoryUserGroupQuotas(state.userGroupQuotas);
    this.changeLog = memoryChangeLog(state, (fn) => this.serial(fn));
  }

  /** Run `fn` after every earlier operation has finished. */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Transactions run and the seconds they took (juicefs_transaction_durations_histogram_seconds). */
  readonly txDurations: TimedCount = { total: 0, sum: 0 };

  txn<T>(fn: (tx: TxStore) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const log = new UndoLog();
      const started = process.hrtime.bigint();
      try {
        return await fn(new MemoryTx(this.state, log));
      } catch (err) {
        log.rollback();
        throw err;
      } finally {
        timeTxn(this.txDurations, started);
      }
    });
  }

  async initSchema(): Promise<void> {}
  getFormat(): Promise<string | undefined> {
    return this.serial(() => this.state.format);
  }
  setFormat(json: string): Promise<void> {
    return this.serial(() => {
      this.state.format = json;
    });
  }
  reset(): Promise<void> {
    return this.serial(() => this.state.clear());
  }
  async close(): Promise<void> {
    await this.queue;
  }

  incrCounter(name: string, delta: number): Promise<number> {
    return this.serial(() => {
      const v = (this.state.counters.get(name) ?? 0) + delta;
      this.state.counters.set(name, v);
      return v;
    });
  }
  /** `nextInode` holds the next unreserved number, as on SQL (format sets it to 2). */
  async allocInodes(count: number): Promise<bigint> {
    const next = await this.incrCounter('nextInode', count);
    return BigInt(next - count);
  }
  async allocSlices(count: number): Promise<number> {
    const next = await this.incrCounter('nextChunk', count);
    return Math.max(1, next - count);
  }
  initVolume(root: Attr, trash: Attr | undefined): Promise<void> {
    return this.serial(() => {
      const s = this.state;
      s.attrs.set(1n, { ...root });
      if (trash) s.attrs.set(0x7fffffff10000000n, { ...trash });
      for (const [name, value] of [
        ['nextInode', 2],
        ['nextChunk', 1],
        ['nextSession', 0],
        ['usedSpace', 0],
        ['totalInodes', 0],
        ['nextCleanupSlices', 0],
      ] as const) {
        if (!s.counters.has(name)) s.counters.set(name, value);
      }
    });
  }

  // ---- sessions ----
  async newSessionId(): Promise<number> {
    return this.incrCounter('nextSession', 1);
  }
  setSession(sid: number, expire: number, info: string | undefined): Promise<void> {
    return this.serial(() => {
      const old = this.state.sessions.get(sid);
      this.state.sessions.set(sid, { expire, info: info ?? old?.info });
    });
  }
  deleteSession(sid: number): Promise<void> {
    return this.serial(() => {
      this.state.sessions.delete(sid);
      this.state.sustained.delete(sid);
    });
  }
  listSessions(): Promise<SessionRow[]> {
    return this.serial(() =>
      [...this.state.sessions].map(([sid, s]) => ({ sid, expire: s.expire, info: s.info })).sort((a, b) => a.sid - b.sid),
    );
  }
  listSustained(sid: number): Promise<Ino[]> {
    return this.serial(() => [...(this.state.sustained.get(sid) ?? [])]);
  }
  listLockedInodes(sid: number): Promise<{ flock: Ino[]; plock: Ino[] }> {
    return this.serial(() => {
      const held = <T extends { sid: number }>(m: Map<Ino, Map<string, T>>): Ino[] =>
        [...m].filter(([, locks]) => [...locks.values()].some((l) => l.sid === sid)).map(([ino]) => ino);
      return { flock: held(this.state.flocks), plock: held(this.state.plocks) };
    });
  }

  // ---- background work ----
  listDelFiles(limit: number): Promise<Array<{ ino: Ino; length: number; expire: number }>> {
    return this.serial(() =>
      [...this.state.delFiles].slice(0, limit).map(([ino, d]) => ({ ino, length: d.length, expire: d.expire })),
    );
  }
  removeDelFile(ino: Ino): Promise<void> {
    return this.serial(() => {
      this.state.delFiles.delete(ino);
    });
  }
  listPendingSlices(limit: number): Promise<Array<{ id: number; size: number }>> {
    return this.serial(() =>
      [...this.state.sliceRefs]
        .filter(([, r]) => r.refs <= 0)
        .slice(0, limit)
        .map(([id, r]) => ({ id, size: r.size })),
    );
  }
  removeSliceRef(id: number): Promise<void> {
    return this.serial(() => {
      this.state.sliceRefs.delete(id);
    });
  }
}
