import { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import knexModule, { type Knex } from 'knex';
import { fsError } from '@juicefs/core';
import { asFsError, backoff, sleep, type Row, type SqlConn, type SqlDriver, type SqlValue } from './driver.js';
import { Mutex } from './mutex.js';
import { WalCheckpointer, type WalCheckpointOptions } from './wal-checkpointer.js';
import { WalWarmer } from './wal-warmer.js';

// knex is CommonJS: under Node's ESM loader (the built CLI) only its default export exists.
const { knex } = knexModule;

/** Tries at least, as JuiceFS's transactions are retried up to 50 times. */
const MAX_BUSY_RETRIES = 50;

/**
 * better-sqlite3 is synchronous: a connection waiting on the busy timeout blocks the whole event
 * loop, so the in-process holder of the write lock could never finish. Engines of one process that
 * open the same file therefore share one lock, and only other processes ever hit SQLITE_BUSY.
 * Those waits are not left to SQLite either (its busy handler sleeps in the calling thread: every
 * request of a mount stalled while another process, `juicefs gc` or a second mount, held the
 * lock): the connections fail at once with SQLITE_BUSY, and retryBusy waits between tries on timers.
 */
const fileLocks = new Map<string, { mutex: Mutex; users: number }>();

/**
 * The transaction the current async call chain runs in, to catch nested use of the same file.
 * Enabled only while a transaction is open: an enabled AsyncLocalStorage makes Node 20 run its
 * promise hooks for every promise in the process, which cost ~5 µs of each FUSE request.
 */
const current = new AsyncLocalStorage<{ driver: SqliteDriver; active: boolean }>();
let openTxns = 0;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

/** A SqlConn over one better-sqlite3 connection, preparing each distinct text once. */
function connOf(db: Database): { conn: SqlConn; statements: Map<string, Statement> } {
  const statements = new Map<string, Statement>();
  const stmt = (sql: string): Statement => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  // raw(true) is a mode of the statement object, so array reads get statements of their own.
  const arrays = new Map<string, Statement>();
  const arrayStmt = (sql: string): Statement => {
    let s = arrays.get(sql);
    if (!s) {
      s = db.prepare(sql).raw(true);
      arrays.set(sql, s);
    }
    return s;
  };
  const conn: SqlConn = {
    all: (sql, params = []) => {
      const s = stmt(sql);
      if (!s.reader) return Promise.resolve((s.run(...params), []));
      // Array.from: the addon builds arrays in the main realm, which strict deep-equality (and
      // anything checking prototypes inside a vm context such as jest's) tells apart.
      return Promise.resolve(Array.from(s.all(...params) as Row[]));
    },
    rows: (sql, params = []) => Promise.resolve(Array.from(arrayStmt(sql).all(...params) as unknown[][])),
    run: (sql, params = []) => Promise.resolve(stmt(sql).run(...params).changes),
    write: (sql, params = []) => void stmt(sql).run(...params),
  };
  return { conn, statements };
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite3' as const;
  /** Operations run again because another process held the database's lock when they asked. */
  conflicts = 0;
  private readonly statements: Map<string, Statement>;
  private readonly conn: SqlConn;
  /**
   * A second, read-only connection for `read()`: under WAL it sees only committed data, so reads
   * need neither the writer's lock nor a transaction, and never observe a half-done transaction
   * of the writer connection (whose statements run between awaits).
   */
  private reader: { db: Database; conn: SqlConn } | undefined;
  private readonly walWarmer: WalWarmer;
  /** Runs the write-ahead log's checkpoints off the event loop (undefined when not in WAL mode). */
  readonly checkpointer: WalCheckpointer | undefined;

  private constructor(
    private readonly pool: Knex,
    private readonly db: Database,
    private readonly filename: string,
    private readonly mutex: Mutex,
    checkpoints: WalCheckpointOptions | false,
    /** The URL's busy timeout (ms): how long SQLite used to wait in each of MAX_BUSY_RETRIES tries. */
    private readonly busyTimeout: number,
  ) {
    const own = connOf(db);
    this.conn = own.conn;
    this.statements = own.statements;
    this.walWarmer = new WalWarmer(`${filename}-wal`);
    const wal = db.pragma('journal_mode', { simple: true }) === 'wal';
    this.checkpointer = wal && checkpoints !== false ? new WalCheckpointer(filename, db, checkpoints) : undefined;
  }

  /**
   * Open (creating if needed) the database file through knex's better-sqlite3 client.
   * `checkpoints` tunes the checkpoint thread; false leaves checkpoints to SQLite (in COMMIT).
   */
  static async open(filename: string, busyTimeout: number, checkpoints: WalCheckpointOptions | false = {}): Promise<SqliteDriver> {
    const dir = path.dirname(filename);
    if (!fs.existsSync(dir)) {
      throw fsError('ENOENT', `cannot create SQLite database ${filename}: directory ${dir} does not exist; create it first`);
    }
    // One connection: transactions are serialised in-process anyway, and statements are cached on it.
    const pool = knex({
      client: 'better-sqlite3',
      connection: { filename, options: { safeIntegers: true } },
      useNullAsDefault: true,
      pool: { min: 1, max: 1 },
    });
    let db: Database;
    try {
      db = (await pool.client.acquireConnection()) as Database;
      db.pragma('journal_mode = WAL');
      // Under WAL, NORMAL syncs at checkpoints instead of at every COMMIT: the database cannot be
      // corrupted, and only the last commits may roll back after a power loss (not a crash).
      // This is SQLite's recommended setting for WAL; FULL made every metadata write an fsync.
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 0'); // waited out on timers instead (retryBusy)
    } catch (err) {
      await pool.destroy();
      throw fsError('EIO', `cannot open SQLite database ${filename}: ${(err as Error).message}`, err);
    }
    let shared = fileLocks.get(filename);
    if (!shared) fileLocks.set(filename, (shared = { mutex: new Mutex(), users: 0 }));
    shared.users++;
    return new SqliteDriver(pool, db, filename, shared.mutex, checkpoints, busyTimeout);
  }

  /**
   * The connection for `read()`, chosen per statement: the writer connection while it has no
   * transaction open, the read-only one while it has. A statement on the writer is synchronous,
   * so no transaction can begin during it, and the writer's page cache is always current: the
   * read-only connection, by contrast, finds its cache stale after every write and reads the
   * changed pages again (a read there cost two to three times as many system calls). Either way
   * a statement sees committed data only.
   */
  private readConn(): SqlConn {
    if (!this.reader) {
      const db = new BetterSqlite3(this.filename, { readonly: true, fileMustExist: true });
      db.defaultSafeIntegers(true);
      db.pragma('busy_timeout = 0'); // as the writer's: retryBusy waits
      const reader = connOf(db).conn;
      const pick = (): SqlConn => (this.db.inTransaction ? reader : this.conn);
      this.reader = {
        db,
        conn: {
          all: (sql, params) => pick().all(sql, params),
          rows: (sql, params) => pick().rows(sql, params),
          run: (sql, params) => pick().run(sql, params),
          write: (sql, params) => pick().write(sql, params),
        },
      };
    }
    return this.reader.conn;
  }

  /**
   * A call made from inside one of this file's transactions cannot wait for the lock that
   * transaction holds: on the same driver it joins the open transaction; on another driver of the
   * same file it is an error instead of a deadlock.
   */
  private nested(): boolean {
    const ctx = current.getStore();
    if (!ctx?.active) return false;
    if (ctx.driver === this) return true;
    if (ctx.driver.filename === this.filename) {
      throw fsError('EDEADLK', `${this.filename} was used by a second connection inside a transaction on it`);
    }
    return false;
  }

  txn<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    if (this.nested()) return fn(this.conn);
    return this.exclusiveTxn(fn).catch((err: unknown) => {
      throw asFsError(err, 'SQLite');
    });
  }

  private exclusiveTxn<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.mutex.run(() =>
      this.retryBusy(async () => {
        // Under the mutex no transaction of this process can begin while the thread restarts the log.
        if (this.checkpointer?.restartAsked) await this.checkpointer.restart();
        // IMMEDIATE takes the write lock up front, so the transaction cannot fail half-way on
        // a lock upgrade: what it read stays valid until COMMIT.
        this.db.exec('BEGIN IMMEDIATE');
        const ctx = { driver: this, active: true };
        openTxns++;
        try {
          const result = await current.run(ctx, () => fn(this.conn));
          const started = process.hrtime.bigint();
          this.db.exec('COMMIT');
          void this.walWarmer.committed(Number(process.hrtime.bigint() - started) / 1000);
          this.checkpointer?.committed();
          return result;
        } finally {
          ctx.active = false; // work the transaction left running must not join the next one
          if (--openTxns === 0) current.disable();
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
        }
      }),
    );
  }

  auto<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    if (this.nested()) return fn(this.conn);
    // Holding the lock keeps a concurrent transaction's open BEGIN from absorbing these statements.
    return this.mutex.run(() => this.retryBusy(() => fn(this.conn)).finally(() => this.checkpointer?.committed())).catch((err: unknown) => {
      throw asFsError(err, 'SQLite');
    });
  }

  read<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    // Inside one of this driver's transactions, reads must see that transaction's own writes.
    if (this.nested()) return fn(this.conn);
    let conn: SqlConn;
    try {
      conn = this.readConn();
    } catch (err) {
      return Promise.reject(asFsError(err, 'SQLite'));
    }
    return this.retryBusy(() => fn(conn)).catch((err: unknown) => {
      throw asFsError(err, 'SQLite');
    });
  }

  /**
   * Another process holds the lock: run `fn` again after a growing pause, on a timer, so the rest
   * of the process goes on meanwhile. Gives up (SQLITE_BUSY, an EIO) after MAX_BUSY_RETRIES tries
   * and busyTimeout × MAX_BUSY_RETRIES ms, what SQLite's blocking waits and the retries gave before.
   */
  private async retryBusy<T>(fn: () => Promise<T>): Promise<T> {
    let deadline = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (attempt === 0) {
          this.conflicts++; // one restart per operation that found the lock taken
          deadline = Date.now() + this.busyTimeout * MAX_BUSY_RETRIES;
        } else if (attempt >= MAX_BUSY_RETRIES && Date.now() >= deadline) {
          throw err;
        }
        await sleep(backoff(attempt));
      }
    }
  }

  async close(): Promise<void> {
    const shared = fileLocks.get(this.filename);
    if (shared && --shared.users === 0) fileLocks.delete(this.filename);
    this.statements.clear();
    this.reader?.db.close();
    this.reader = undefined;
    // The thread's connection closes first, so that the writer's is the last and removes the log.
    await this.checkpointer?.close();
    await this.mutex.run(async () => {
      await this.pool.client.releaseConnection(this.db);
      await this.pool.destroy();
    });
  }
}

export type { SqlValue };
