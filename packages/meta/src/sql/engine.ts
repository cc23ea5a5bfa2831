import { ROOT_INODE, TRASH_INODE, type Attr, type Ino, type TimedCount } from '@juicefs/core';
import type { EngineStore, SessionRow, TxStore } from '../base/store.js';
import type { DirQuotaStore, UserGroupQuotaStore } from '../base/quota-store.js';
import { sqlDirQuotas } from './quota.js';
import { sqlUserGroupQuotas } from './ug-quota.js';
import { sqlChangeLog } from './changelog.js';
import type { ChangeLogStore } from '../base/changelog.js';
import { big, bytes, num, type Row, type SqlConn, type SqlDriver, type SqlValue } from './driver.js';
import { nodeParams } from './node-row.js';
import { buildQueries, type Queries } from './queries.js';
import { allTables, schemaPlan } from './schema.js';
import { SqlTx } from './tx.js';
import type { SqlDialect } from './url.js';
import { Deferred, Unflushed } from './deferred.js';
import { timeTxn } from '../base/tx-timing.js';

/** How long usage-counter deltas may wait in memory (the Go client flushes about once a second). */
const COUNTER_FLUSH_MS = 1000;
/**
 * ...and how long once writes pause: a quiet client flushes sooner, so `juicefs status` run
 * right after a few writes (the demo) already shows them.
 */
const COUNTER_IDLE_MS = 100;

/** Counters format inserts (FORMAT.md 5.6); SQL `nextInode`/`nextChunk` are the next unreserved numbers. */
const INITIAL_COUNTERS: ReadonlyArray<readonly [string, number]> = [
  ['nextInode', 2],
  ['nextChunk', 1],
  ['nextSession', 0],
  ['usedSpace', 0],
  ['totalInodes', 0],
  ['nextCleanupSlices', 0],
];

/** The index names that exist already, per dialect (xorm's CREATE INDEX has no IF NOT EXISTS). */
const INDEX_NAMES: Record<SqlDialect, string> = {
  sqlite3: `SELECT "name" FROM sqlite_master WHERE "type"='index'`,
  postgres: `SELECT indexname AS "name" FROM pg_indexes WHERE schemaname = current_schema()`,
  mysql: `SELECT DISTINCT INDEX_NAME AS "name" FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()`,
};

/** The EngineStore of SQLite, PostgreSQL and MySQL on JuiceFS 1.x's tables. */
export class SqlEngine implements EngineStore {
  readonly name: string;
  private readonly q: Queries;
  readonly dirQuotas: DirQuotaStore;
  readonly userGroupQuotas: UserGroupQuotaStore;
  readonly changeLog: ChangeLogStore;
  /** Counter and dir-stat deltas committed but not yet written (see `txn`). */
  private readonly unflushed = new Unflushed();
  private flushTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly driver: SqlDriver,
    /** `jfs_` or `jfs_<table_prefix>_`. */
    readonly prefix: string,
  ) {
    this.name = driver.dialect;
    this.q = buildQueries(driver.dialect, prefix);
    this.dirQuotas = sqlDirQuotas((fn) => this.raw(fn), prefix);
    this.userGroupQuotas = sqlUserGroupQuotas((fn) => this.raw(fn), prefix);
    this.changeLog = sqlChangeLog((fn) => this.raw(fn), prefix, driver.dialect);
  }

  /**
   * Raw statements in one transaction, for tables the primitives do not cover (dump/load of
   * quotas and ACL rules). Table names are `"${prefix}name"`.
   */
  raw<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.driver.txn(fn);
  }

  /**
   * `usedSpace`/`totalInodes` deltas and directory-stat deltas are kept in memory and written
   * about once a second (and at close), as the Go client does for every SQL engine (FORMAT.md 5.4,
   * `flushStats`/`flushDirStat`). On PostgreSQL this keeps concurrent transactions from all
   * conflicting on those rows; on SQLite it keeps the counter page and the parent's stats row out
   * of every write transaction (a statement and a WAL frame fewer each: the counters were 10-15% of
   * a create). This client's own reads include what it has not flushed yet; other clients see it
   * up to a second later.
   */
  async txn<T>(fn: (tx: TxStore) => Promise<T>): Promise<T> {
    let deferred = new Deferred();
    const started = process.hrtime.bigint();
    const result = await this.driver
      .txn((c) => {
        deferred = new Deferred(); // a retried attempt starts over
        return fn(new SqlTx(c, this.q, this.driver.dialect === 'postgres', deferred, this.unflushed));
      })
      .finally(() => timeTxn(this.txDurations, started));
    this.unflushed.merge(deferred);
    if (!this.unflushed.empty) this.scheduleFlush();
    return result;
  }

  /** Transactions run and the seconds they took (juicefs_transaction_durations_histogram_seconds). */
  readonly txDurations: TimedCount = { total: 0, sum: 0 };

  get txRestarts(): number {
    return this.driver.conflicts;
  }

  /** Reads outside a transaction (getattr, lookup): one statement, no BEGIN/COMMIT. */
  read<T>(fn: (tx: TxStore) => Promise<T>): Promise<T> {
    return this.driver.read((c) => fn(new SqlTx(c, this.q, this.driver.dialect === 'postgres', undefined, this.unflushed)));
  }

  /** Add counter deltas: two of them in one statement, the usual case. */
  private writeCounters(c: SqlConn, deltas: ReadonlyMap<string, number>): void {
    const changes = [...deltas].filter(([, d]) => d !== 0);
    for (let i = 0; i < changes.length; i += 2) {
      const [a, b] = [changes[i]!, changes[i + 1]];
      if (b) c.write(this.q.addTwoCounters, [a[0], a[1], b[0], b[1]]);
      else c.write(this.q.addCounter, [a[0], a[1]]);
    }
  }

  /** Flush within COUNTER_FLUSH_MS of the first delta, or COUNTER_IDLE_MS after the last one. */
  private scheduleFlush(): void {
    if (!this.flushTimer) this.flushTimer = setTimeout(this.flushInBackground, COUNTER_FLUSH_MS).unref();
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(this.flushInBackground, COUNTER_IDLE_MS).unref();
  }

  /** The timers' callback, made once (a failed flush keeps its deltas for the next one). */
  private readonly flushInBackground = (): void => void this.flush().catch(() => undefined);

  /**
   * Write the buffered counter and dir-stat deltas in one transaction; on failure they stay
   * buffered for next time. Stats go to tracked directories only: a directory removed meanwhile,
   * or one an older client made without stats, matches no row.
   */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.flushTimer = undefined;
    this.idleTimer = undefined;
    if (this.unflushed.empty) return;
    const pending = this.unflushed.take();
    try {
      await this.driver.txn(async (c) => {
        this.writeCounters(c, pending.counters);
        for (const [ino, d] of pending.dirStats) {
          if (d.length !== 0 || d.space !== 0 || d.inodes !== 0) c.write(this.q.bumpDirStat, [d.length, d.space, d.inodes, ino]);
        }
      });
    } catch (err) {
      this.unflushed.merge(pending);
      throw err;
    }
  }

  /** Run one statement outside the TxStore (tests, dump/load and admin tools). */
  query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.driver.auto((c) => c.all(sql, params));
  }

  async initSchema(): Promise<void> {
    const plan = schemaPlan(this.driver.dialect, this.prefix);
    const existing = new Set(
      (await this.query(
        INDEX_NAMES[this.driver.dialect],
      )).map((r) => String(r['name'])),
    );
    await this.driver.txn(async (c) => {
      for (const sql of plan.tables) await c.run(sql);
      for (const { name, sql } of plan.indexes) if (!existing.has(name)) await c.run(sql);
    });
  }

  async getFormat(): Promise<string | undefined> {
    try {
      const [row] = await this.query(this.q.getSetting, ['format']);
      return row ? String(row['value']) : undefined;
    } catch (err) {
      if (this.isMissingTable(err)) return undefined;
      throw err;
    }
  }

  private isMissingTable(err: unknown): boolean {
    const outer = err as { cause?: unknown } | null;
    const e = (outer?.cause ?? err) as { code?: unknown; message?: unknown } | null;
    return (
      e?.code === '42P01' || e?.code === 'ER_NO_SUCH_TABLE' || (typeof e?.message === 'string' && e.message.includes('no such table'))
    );
  }

  async setFormat(json: string): Promise<void> {
    await this.driver.auto((c) => c.run(this.q.putSetting, ['format', json]));
  }

  async reset(): Promise<void> {
    await this.driver.txn(async (c) => {
      for (const table of allTables(this.prefix)) await c.run(`DROP TABLE IF EXISTS "${table}"`);
    });
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.driver.close();
    }
  }

  async incrCounter(name: string, delta: number): Promise<number> {
    if (!this.q.returning) {
      // MySQL: no RETURNING, so add and read back in one transaction (the upsert locks the row).
      return this.driver.txn(async (c) => {
        await c.run(this.q.incrCounter, [name, delta]);
        return num((await c.all(this.q.getCounter, [name]))[0]?.['value']);
      });
    }
    const rows = await this.driver.auto((c) => c.all(this.q.incrCounter, [name, delta]));
    return num(rows[0]?.['value']);
  }

  async allocInodes(count: number): Promise<bigint> {
    return BigInt((await this.incrCounter('nextInode', count)) - count);
  }

  async allocSlices(count: number): Promise<number> {
    return (await this.incrCounter('nextChunk', count)) - count;
  }

  async initVolume(root: Attr, trash: Attr | undefined): Promise<void> {
    await this.driver.txn(async (c) => {
      await c.run(this.q.insertNodeIfAbsent, nodeParams(ROOT_INODE, root));
      for (const [name, value] of INITIAL_COUNTERS) await c.run(this.q.initCounter, [name, value]);
      if (trash) await c.run(this.q.insertNodeIfAbsent, nodeParams(TRASH_INODE, trash));
    });
  }

  // sessions
  newSessionId(): Promise<number> {
    return this.incrCounter('nextSession', 1);
  }

  async setSession(sid: number, expire: number, info: string | undefined): Promise<void> {
    await this.driver.auto((c) =>
      c.run(this.q.putSession, [sid, expire, info === undefined ? null : Buffer.from(info, 'utf8')]),
    );
  }

  async deleteSession(sid: number): Promise<void> {
    await this.driver.auto((c) => c.run(this.q.deleteSession, [sid]));
  }

  async listSessions(): Promise<SessionRow[]> {
    const rows = await this.query(this.q.listSessions);
    return rows.map((r) => ({
      sid: num(r['sid']),
      expire: num(r['expire']),
      info: r['info'] === null || r['info'] === undefined ? undefined : bytes(r['info']).toString('utf8'),
    }));
  }

  async listSustained(sid: number): Promise<Ino[]> {
    return (await this.query(this.q.listSustained, [sid])).map((r) => big(r['inode']));
  }

  async listLockedInodes(sid: number): Promise<{ flock: Ino[]; plock: Ino[] }> {
    return this.driver.auto(async (c) => ({
      flock: (await c.all(this.q.flockedInodes, [sid])).map((r) => big(r['inode'])),
      plock: (await c.all(this.q.plockedInodes, [sid])).map((r) => big(r['inode'])),
    }));
  }

  // background work
  async listDelFiles(limit: number): Promise<Array<{ ino: Ino; length: number; expire: number }>> {
    const rows = await this.query(this.q.listDelFiles, [limit]);
    return rows.map((r) => ({ ino: big(r['inode']), length: num(r['length']), expire: num(r['expire']) }));
  }

  async removeDelFile(ino: Ino): Promise<void> {
    await this.driver.auto((c) => c.run(this.q.deleteDelFile, [ino]));
  }

  async listPendingSlices(limit: number): Promise<Array<{ id: number; size: number }>> {
    const rows = await this.query(this.q.pendingRefs, [limit]);
    return rows.map((r) => ({ id: num(r['chunkid']), size: num(r['size']) }));
  }

  async removeSliceRef(id: number): Promise<void> {
    await this.driver.auto((c) => c.run(this.q.deleteRef, [id]));
  }
}
