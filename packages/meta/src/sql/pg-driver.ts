import type { Client, QueryConfig } from 'pg';
import { knex, type Knex } from 'knex';
import { fsError } from '@juicefs/core';
import { backoff, sleep, type Row, type SqlConn, type SqlDriver, type SqlValue } from './driver.js';
import type { PostgresTarget } from './url.js';

/** How often a conflicting transaction is re-run before its error is returned. */
const MAX_CONFLICT_RETRIES = 50;

/**
 * SQLSTATEs after which re-running the whole transaction is the right answer: serialization
 * failure, deadlock, and a unique violation (two transactions that both saw a name absent and
 * inserted it; the loser re-runs and now sees the entry).
 */
const RETRYABLE = new Set(['40001', '40P01', '23505']);

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
  /** pg runs one query at a time per connection; chaining here keeps the order explicit. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly prepared: (sql: string) => { name: string; text: string },
  ) {}

  private query(sql: string, params: readonly SqlValue[]) {
    const { name, text } = this.prepared(sql);
    const config: QueryConfig = { name, text, values: params as SqlValue[] };
    const result = this.tail.then(() => this.client.query(config));
    this.tail = result.catch(() => undefined);
    return result;
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    try {
      return (await this.query(sql, params)).rows as Row[];
    } catch (err) {
      throw this.failure ?? err;
    }
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    try {
      return (await this.query(sql, params)).rowCount ?? 0;
    } catch (err) {
      throw this.failure ?? err;
    }
  }

  write(sql: string, params: readonly SqlValue[] = []): void {
    const p = this.query(sql, params).catch((err: unknown) => {
      this.failure ??= err;
    });
    this.pending.push(p);
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

  private constructor(private readonly pool: Knex) {}

  /** Connect (creating the `search_path` schema if missing); an unreachable server is a clear error. */
  static async open(target: PostgresTarget): Promise<PgDriver> {
    const schema = target.schema;
    const pool = knex({
      client: 'pg',
      connection: { connectionString: target.connectionString, connectionTimeoutMillis: 10000 },
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
        `cannot use PostgreSQL at ${target.address}: ${(err as Error).message}; check the meta URL and that the server runs (tests: bash scripts/services/postgres.sh)`,
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

  private async withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = (await this.pool.client.acquireConnection()) as Client;
    try {
      return await fn(client);
    } finally {
      await this.pool.client.releaseConnection(client);
    }
  }

  async txn<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.withClient(async (client) => {
          // SERIALIZABLE: PostgreSQL aborts whichever transaction would make the outcome differ
          // from some serial order, and we re-run it, like Redis WATCH does.
          await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
          const conn = new PgConn(client, this.prepared);
          try {
            const result = await fn(conn);
            await conn.settle();
            await client.query('COMMIT');
            return result;
          } catch (err) {
            await conn.settle().catch(() => undefined);
            await client.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        });
      } catch (err) {
        if (!isRetryable(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
        await sleep(backoff(attempt));
      }
    }
  }

  auto<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      const conn = new PgConn(client, this.prepared);
      const result = await fn(conn);
      await conn.settle();
      return result;
    });
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
