import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client, QueryConfig } from 'pg';
import knexModule, { type Knex } from 'knex';
import { fsError } from '@juicefs/core';
import { asFsError, withPooledConnection, type Row, type SqlConn, type SqlDriver, type SqlValue } from './driver.js';
import { runWithConflictRetry } from './conflict-retry.js';
import { ConflictGate } from './mutex.js';
import type { PostgresTarget } from './url.js';

// knex is CommonJS: under Node's ESM loader (the built CLI) only its default export exists.
const { knex } = knexModule;

/** How often a conflicting transaction is re-run before its error is returned. */
const MAX_CONFLICT_RETRIES = 50;

/**
 * SQLSTATEs after which re-running the whole transaction is the right answer: serialization
 * failure, deadlock, and a unique violation (two transactions that both saw a name absent and
 * inserted it; the loser re-runs and now sees the entry).
 */
const RETRYABLE = new Set(['40001', '40P01', '23505']);

/** Set while a transaction's function runs, so a nested txn() does not wait on the gate it holds. */
const inside = new AsyncLocalStorage<{ driver: PgDriver; active: boolean }>();

function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `?` placeholders to `$1…$n` (our SQL never holds a literal `?`). */
function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Statements issued on one connection, with pipelined writes whose errors surface later. */
class PgConn implements SqlConn {
  private pending: Array<Promise<unknown>> = [];
  private failure: unknown;

  constructor(
    private readonly client: Client,
    private readonly prepared: (sql: string) => { name: string; text: string },
  ) {}

  private query(sql: string, params: readonly SqlValue[]) {
    const { name, text } = this.prepared(sql);
    const config: QueryConfig = { name, text, values: params as SqlValue[] };
    // The connection is in pipeline mode: queries go out at once and complete in order.
    return this.client.query(config);
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    if (!sql.startsWith('SELECT ')) this.wrote = true; // UPDATE … RETURNING and the like
    try {
      return (await this.query(sql, params)).rows as Row[];
    } catch (err) {
      throw this.failure ?? err;
    }
  }

  async rows(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    const { name, text } = this.prepared(sql);
    try {
      // rowMode 'array': the same prepared statement, its rows handed over as value arrays.
      return (await this.client.query<unknown[]>({ name, text, values: params as SqlValue[], rowMode: 'array' })).rows;
    } catch (err) {
      throw this.failure ?? err;
    }
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    this.wrote = true;
    try {
      return (await this.query(sql, params)).rowCount ?? 0;
    } catch (err) {
      throw this.failure ?? err;
    }
  }

  /** True once the transaction issued a write (it then has to wait for its COMMIT). */
  wrote = false;

  write(sql: string, params: readonly SqlValue[] = []): void {
    this.wrote = true;
    this.track(this.query(sql, params));
  }

  /** Send a plain statement (BEGIN, COMMIT) without waiting for it. */
  send(text: string): void {
    this.track(this.client.query(text));
  }

  private track(p: Promise<unknown>): void {
    this.pending.push(
      p.catch((err: unknown) => {
        this.failure ??= err;
      }),
    );
  }

  /** Wait for pipelined writes; throw the first one's error. */
  async settle(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
    if (this.failure !== undefined) throw this.failure;
  }
}

export class PgDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  private readonly names = new Map<string, { name: string; text: string }>();
  private readonly gate = new ConflictGate();
  /** Transactions re-run after a serialization conflict, deadlock or duplicate key (for tests and metrics). */
  conflicts = 0;

  private constructor(private readonly pool: Knex) {}

  /** Connect (creating the `search_path` schema if missing); an unreachable server is a clear error. */
  static async open(target: PostgresTarget): Promise<PgDriver> {
    const schema = target.schema;
    // pg ≥ 8.17 pipeline mode: queries are sent without waiting for earlier ones to finish.
    const connection = { connectionString: target.connectionString, connectionTimeoutMillis: 10000, pipeline: true };
    const pool = knex({
      client: 'pg',
      connection,
      pool: {
        min: 0,
        max: 10,
        // Every pooled connection works in the volume's schema.
        afterCreate: (conn: Client, done: (err: Error | null, conn: Client) => void) => {
          if (schema === undefined) return done(null, conn);
          conn.query(`SET search_path TO ${quoteIdent(schema)}`).then(
            () => done(null, conn),
            (err: Error) => done(err, conn),
          );
        },
      },
      acquireConnectionTimeout: 15000,
      log: {
        // A failed connect is reported once, by us, with the address and the fix.
        warn: (message: string) => {
          if (!String(message).startsWith('Acquire connection error')) console.warn(message);
        },
      },
    });
    try {
      if (schema !== undefined) await pool.raw(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      else await pool.raw('SELECT 1');
    } catch (err) {
      await pool.destroy();
      throw fsError(
        'ECONNREFUSED',
        `cannot use PostgreSQL at ${target.address}: ${(err as Error).message}; check the meta URL and that the server runs`,
        err,
      );
    }
    return new PgDriver(pool);
  }

  private prepared = (sql: string): { name: string; text: string } => {
    let p = this.names.get(sql);
    if (!p) {
      p = { name: `jfs${this.names.size}`, text: toPg(sql) };
      this.names.set(sql, p);
    }
    return p;
  };

  private withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    return withPooledConnection<Client, T>(this.pool, fn);
  }

  /**
   * One attempt: BEGIN SERIALIZABLE, run `fn`, COMMIT. BEGIN and the writes are pipelined with the
   * statements around them, so a transaction costs about one round trip per read plus one.
   */
  private attempt<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      const conn = new PgConn(client, this.prepared);
      // SERIALIZABLE: PostgreSQL aborts whichever transaction would make the outcome differ from
      // some serial order, and we re-run it, as Redis WATCH does.
      conn.send('BEGIN ISOLATION LEVEL SERIALIZABLE');
      let result: T;
      const ctx = { driver: this, active: true };
      try {
        result = await inside.run(ctx, () => fn(conn));
      } catch (err) {
        ctx.active = false;
        conn.send('ROLLBACK');
        await conn.settle().catch(() => undefined);
        throw err;
      }
      ctx.active = false;
      if (!conn.wrote) {
        // Read-only: what it read is already returned, so do not wait for the COMMIT; the next
        // user of this connection queues behind it in the pipeline.
        client.query('COMMIT').catch(() => undefined);
        await conn.settle();
        return result;
      }
      // COMMIT of a transaction a failed write aborted answers ROLLBACK without an error:
      // settle() then throws that write's error.
      conn.send('COMMIT');
      await conn.settle();
      return result;
    });
  }

  txn<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.txnWithRetries(fn).catch((err: unknown) => {
      throw asFsError(err, 'PostgreSQL');
    });
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
    return this.withClient(async (client) => {
      const conn = new PgConn(client, this.prepared);
      const result = await fn(conn);
      await conn.settle();
      return result;
    }).catch((err: unknown) => {
      throw asFsError(err, 'PostgreSQL');
    });
  }

  /** Reads outside a transaction: no BEGIN/COMMIT, and no place in the conflict gate. */
  read<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.auto(fn);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
