import { AsyncLocalStorage } from 'node:async_hooks';
import mysql, { type Connection, type FieldPacket, type ResultSetHeader, type TypedParameterValue } from 'mysql2';
import knexModule, { type Knex } from 'knex';
import { fsError } from '@juicefs/core';
import { asFsError, withPooledConnection, type Row, type SqlConn, type SqlDriver, type SqlValue } from './driver.js';
import { runWithConflictRetry } from './conflict-retry.js';
import { ConflictGate } from './mutex.js';
import type { MysqlTarget } from './url.js';

// knex is CommonJS: under Node's ESM loader (the built CLI) only its default export exists.
const { knex } = knexModule;

/** How often a conflicting transaction is re-run before its error is returned. */
const MAX_CONFLICT_RETRIES = 50;

/**
 * Server error numbers after which re-running the whole transaction is the right answer:
 * deadlock (1213: InnoDB already rolled the transaction back), lock wait timeout (1205), a
 * duplicate key (1062: two transactions both saw a name absent and inserted it; the loser re-runs
 * and now sees the entry, as JuiceFS's own retry on 1062 does) and MariaDB's "record has changed
 * since last read" (1020, raised under innodb_snapshot_isolation).
 */
const RETRYABLE = new Set([1213, 1205, 1062, 1020]);

/** Server errors that say the URL is wrong rather than the server unwell. */
const BAD_URL = new Map([
  [1045, 'access denied (wrong user or password)'],
  [1044, 'access to the database denied'],
  [1049, 'unknown database'],
]);

/**
 * Every connection runs with these. ANSI_QUOTES lets MySQL read `"name"` as an identifier, so the
 * engine's statement texts stay shared with SQLite and PostgreSQL (queries.ts) instead of a
 * backtick copy of each; only the constructs MySQL lacks differ there. The DDL keeps xorm's
 * backticks, which ANSI_QUOTES still accepts.
 *
 * SERIALIZABLE: InnoDB then takes shared next-key locks on what a transaction reads, so the
 * read-then-write transactions of the TxStore (check a name is absent, then insert it; read a
 * length, then update it) cannot interleave; the usual outcome of a conflict is a deadlock (1213),
 * detected at once, and the transaction is re-run. JuiceFS runs REPEATABLE READ plus `SELECT … FOR
 * UPDATE` at the places it reads before writing; here reads are shared statements, so the isolation
 * level does that work. Reads outside a transaction (`read()`, autocommit) stay plain consistent
 * reads without locks.
 */
const SESSION_SETUP = [
  `SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',ANSI_QUOTES')`,
  'SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE',
];

/** Set while a transaction's function runs, so a nested txn() does not wait on the gate it holds. */
const inside = new AsyncLocalStorage<{ driver: MysqlDriver; active: boolean }>();

function errno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

function isRetryable(err: unknown): boolean {
  const n = errno(err);
  return n !== undefined && RETRYABLE.has(n);
}

/**
 * Integers go over the binary protocol as BIGINT: mysql2 would send a JS number as DOUBLE and a
 * bigint as text, and MySQL compares a BIGINT column with either as a double, which is inexact
 * above 2^53 (lock owners, slice ids) and rejected by LIMIT.
 */
function bind(params: readonly SqlValue[]): Array<SqlValue | TypedParameterValue> {
  return params.map((v) =>
    typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)) ? mysql.TypedParameter.BIGINT(v) : v,
  );
}

type Result = Row[] | unknown[][] | ResultSetHeader;

/** One statement; prepared (and cached by mysql2 per connection and text) when it has parameters. */
function exec(conn: Connection, sql: string, params: readonly SqlValue[], rowsAsArray: boolean): Promise<Result> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, result: unknown, _fields?: FieldPacket[]) => (err ? reject(err) : resolve(result as Result));
    // Statements without parameters (DDL, BEGIN, COMMIT) go as plain text: not every one of them
    // may be prepared.
    if (params.length === 0) conn.query({ sql, rowsAsArray }, done);
    else conn.execute({ sql, rowsAsArray, values: bind(params) }, done);
  });
}

function affected(result: Result): number {
  return Array.isArray(result) ? 0 : result.affectedRows;
}

/**
 * Statements of one transaction (or autocommit), issued strictly in order. mysql2 does not
 * pipeline, so `write()` only queues; what it buys is that a failed write stops everything after
 * it: a deadlock rolls the whole transaction back, and statements sent after that would run in
 * autocommit, outside any transaction.
 */
class MysqlConn implements SqlConn {
  private tail: Promise<unknown> = Promise.resolve();
  private failure: { err: unknown } | undefined;

  constructor(
    private readonly conn: Connection,
    /** In a transaction, the first error ends it; in autocommit each statement stands alone. */
    private readonly transactional: boolean,
  ) {}

  private enqueue(sql: string, params: readonly SqlValue[], rowsAsArray: boolean): Promise<Result> {
    const p = this.tail.then(() => {
      if (this.transactional && this.failure) throw this.failure.err;
      return exec(this.conn, sql, params, rowsAsArray);
    });
    this.tail = p.catch((err: unknown) => {
      if (this.transactional) this.failure ??= { err };
    });
    return p;
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const result = await this.enqueue(sql, params, false);
    return Array.isArray(result) ? (result as Row[]) : [];
  }

  async rows(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    const result = await this.enqueue(sql, params, true);
    return Array.isArray(result) ? (result as unknown[][]) : [];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return affected(await this.enqueue(sql, params, false));
  }

  write(sql: string, params: readonly SqlValue[] = []): void {
    // Nobody awaits it: its error surfaces at settle(), in autocommit too.
    this.enqueue(sql, params, false).catch((err: unknown) => {
      this.failure ??= { err };
    });
  }

  /** Wait for queued statements; throw the first error of a transaction, or of an unawaited write. */
  async settle(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure.err;
  }
}

export class MysqlDriver implements SqlDriver {
  readonly dialect = 'mysql' as const;
  private readonly gate = new ConflictGate();
  /** Transactions re-run after a deadlock, lock wait timeout or duplicate key (for tests and metrics). */
  conflicts = 0;

  private constructor(
    private readonly pool: Knex,
    /** `host:port/db` for errors. */
    private readonly address: string,
  ) {}

  /**
   * Errors leave as errno errors: the server's own as EIO (asFsError), and a connection the pool
   * could not make (the server went away: ECONNREFUSED from connect) as EIO naming the server,
   * rather than a bare socket error.
   */
  private fail = (err: unknown): never => {
    const e = err as { syscall?: unknown; message?: unknown } | null;
    if (typeof e?.syscall === 'string') {
      throw fsError('EIO', `cannot reach MySQL at ${this.address}: ${String(e.message)}`, err);
    }
    throw asFsError(err, 'MySQL');
  };

  /** Connect and check the server answers; a wrong URL, password or a server that is down is a clear error. */
  static async open(target: MysqlTarget): Promise<MysqlDriver> {
    const connection: Knex.MySql2ConnectionConfig = {
      ...(target.socketPath !== undefined ? { socketPath: target.socketPath } : { host: target.host ?? '127.0.0.1', port: target.port }),
      user: target.user,
      ...(target.password !== undefined ? { password: target.password } : {}),
      database: target.database,
      connectTimeout: target.connectTimeout,
      charset: 'utf8mb4',
      // BIGINT columns: a number when exact, a decimal string beyond 2^53 (num()/big() take both).
      supportBigNumbers: true,
      bigNumberStrings: false,
      // Affected rows count matched rows, as on SQLite and PostgreSQL (mysql2's default, said here
      // because run()'s callers depend on it).
      flags: 'FOUND_ROWS',
    };
    const pool = knex({
      client: 'mysql2',
      connection,
      pool: {
        min: 0,
        max: 10,
        afterCreate: (conn: Connection, done: (err: Error | null, conn: Connection) => void) => {
          // One statement at a time: mysql2 connections do not accept several in one query.
          const next = (i: number): void => {
            if (i === SESSION_SETUP.length) return done(null, conn);
            conn.query(SESSION_SETUP[i]!, (err) => (err ? done(err, conn) : next(i + 1)));
          };
          next(0);
        },
      },
      acquireConnectionTimeout: target.connectTimeout + 5000,
      log: {
        // A failed connect is reported once, by us, with the address and the fix.
        warn: (message: string) => {
          if (!String(message).startsWith('Acquire connection error')) console.warn(message);
        },
      },
    });
    try {
      await pool.raw('SELECT 1');
    } catch (err) {
      await pool.destroy();
      throw openError(target, err);
    }
    return new MysqlDriver(pool, target.address);
  }

  private withConn<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    return withPooledConnection<Connection, T>(this.pool, fn);
  }

  /** One attempt: BEGIN, run `fn`, COMMIT (ROLLBACK on any error). */
  private attempt<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.withConn(async (raw) => {
      await exec(raw, 'BEGIN', [], false);
      const conn = new MysqlConn(raw, true);
      const ctx = { driver: this, active: true };
      try {
        const result = await inside.run(ctx, () => fn(conn));
        ctx.active = false;
        await conn.settle();
        await exec(raw, 'COMMIT', [], false);
        return result;
      } catch (err) {
        ctx.active = false;
        await conn.settle().catch(() => undefined);
        await exec(raw, 'ROLLBACK', [], false).catch(() => undefined);
        throw err;
      }
    });
  }

  txn<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.txnWithRetries(fn).catch(this.fail);
  }

  private txnWithRetries<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    const ctx = inside.getStore();
    return runWithConflictRetry(this.gate, () => this.attempt(fn), {
      retryable: isRetryable,
      maxRetries: MAX_CONFLICT_RETRIES,
      nested: ctx?.active === true && ctx.driver === this,
      onConflict: () => void this.conflicts++,
    });
  }

  auto<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.withConn(async (raw) => {
      const conn = new MysqlConn(raw, false);
      const result = await fn(conn);
      await conn.settle();
      return result;
    }).catch(this.fail);
  }

  /** Reads outside a transaction: autocommit SELECTs are consistent reads that take no locks. */
  read<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.auto(fn);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Why opening failed, in words: EINVAL when the URL is wrong, EIO when the server is unreachable. */
function openError(target: MysqlTarget, err: unknown): Error {
  const e = err as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const known = BAD_URL.get(errno(err) ?? 0);
  if (known !== undefined) {
    return fsError('EINVAL', `cannot use MySQL at ${target.address}: ${known}: ${message}; check the meta URL`, err);
  }
  const timedOut = e?.code === 'ETIMEDOUT' || /timeout/i.test(message);
  return fsError(
    'EIO',
    `cannot reach MySQL at ${target.address}${timedOut ? ' (timed out)' : ''}: ${message}; check the meta URL and that the server runs`,
    err,
  );
}
