import { ROOT_INODE, TRASH_INODE, type Attr, type Ino } from '@juicefs/core';
import type { EngineStore, SessionRow, TxStore } from '../base/store.js';
import { big, bytes, num, type Row, type SqlDriver, type SqlValue } from './driver.js';
import { nodeParams } from './node-row.js';
import { buildQueries, type Queries } from './queries.js';
import { allTables, schemaPlan } from './schema.js';
import { SqlTx } from './tx.js';

/** Counters format inserts (FORMAT.md 5.6); SQL `nextInode`/`nextChunk` are the next unreserved numbers. */
const INITIAL_COUNTERS: ReadonlyArray<readonly [string, number]> = [
  ['nextInode', 2],
  ['nextChunk', 1],
  ['nextSession', 0],
  ['usedSpace', 0],
  ['totalInodes', 0],
  ['nextCleanupSlices', 0],
];

/** The EngineStore of SQLite and PostgreSQL on JuiceFS 1.x's tables. */
export class SqlEngine implements EngineStore {
  readonly name: string;
  private readonly q: Queries;

  constructor(
    private readonly driver: SqlDriver,
    /** `jfs_` or `jfs_<table_prefix>_`. */
    readonly prefix: string,
  ) {
    this.name = driver.dialect;
    this.q = buildQueries(driver.dialect, prefix);
  }

  txn<T>(fn: (tx: TxStore) => Promise<T>): Promise<T> {
    if (this.driver.dialect === 'sqlite3') {
      // One writer at a time anyway: usage counters go in the same transaction.
      return this.driver.txn((c) => fn(new SqlTx(c, this.q, false, undefined)));
    }
    return this.pgTxn(fn);
  }

  private async pgTxn<T>(fn: (tx: TxStore) => Promise<T>): Promise<T> {
    let deferred = new Map<string, number>();
    const result = await this.driver.txn((c) => {
      deferred = new Map(); // a retried attempt starts over
      return fn(new SqlTx(c, this.q, true, deferred));
    });
    const changes = [...deferred].filter(([, d]) => d !== 0);
    if (changes.length > 0) {
      await this.driver.auto(async (c) => {
        for (const [name, delta] of changes) c.write(this.q.addCounter, [name, delta]);
      });
    }
    return result;
  }

  /** Run one statement outside the TxStore (tests, dump/load and admin tools). */
  query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.driver.auto((c) => c.all(sql, params));
  }

  async initSchema(): Promise<void> {
    const plan = schemaPlan(this.driver.dialect, this.prefix);
    const existing = new Set(
      (await this.query(
        this.driver.dialect === 'sqlite3'
          ? `SELECT "name" FROM sqlite_master WHERE "type"='index'`
          : `SELECT indexname AS "name" FROM pg_indexes WHERE schemaname = current_schema()`,
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
    const e = err as { code?: unknown; message?: unknown } | null;
    return e?.code === '42P01' || (typeof e?.message === 'string' && e.message.includes('no such table'));
  }

  async setFormat(json: string): Promise<void> {
    await this.driver.auto((c) => c.run(this.q.putSetting, ['format', json]));
  }

  async reset(): Promise<void> {
    await this.driver.txn(async (c) => {
      for (const table of allTables(this.prefix)) await c.run(`DROP TABLE IF EXISTS "${table}"`);
    });
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  async incrCounter(name: string, delta: number): Promise<number> {
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
