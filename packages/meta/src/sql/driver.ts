import { fsError, isErrnoCode } from '@juicefs/core';
import type { Knex } from 'knex';
import type { SqlDialect } from './url.js';

/** Values bound to statements: inodes as bigint, binary columns as Buffer. */
export type SqlValue = number | bigint | string | Buffer | null;
export type Row = Record<string, unknown>;

/**
 * Statements inside one transaction (or autocommit). SQL text uses `?` placeholders and
 * double-quoted identifiers, which SQLite and PostgreSQL both accept; the drivers cache one
 * prepared statement per distinct text.
 */
export interface SqlConn {
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /**
   * The rows as arrays of column values in SELECT order, with no object built per row: a
   * readdirplus page of 200 entries with their 23 node columns spent most of its 1.7 ms in row
   * objects. For the hot node reads; `all` for the rest, where names read better.
   */
  rows(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]>;
  /** Run a write and return the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Issue a write without waiting for it (TxStore write methods return void). SQLite runs it at
   * once; PostgreSQL pipelines it on the transaction's connection, so later reads still see it,
   * and its error surfaces at the next read or at commit.
   */
  write(sql: string, params?: readonly SqlValue[]): void;
}

export interface SqlDriver {
  readonly dialect: SqlDialect;
  /** Run `fn` in one database transaction, re-running it on serialization conflicts. */
  txn<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T>;
  /** Transactions (and statements) run again so far: lost conflicts, or a lock another process held. */
  readonly conflicts: number;
  /** Run `fn` outside a transaction (each statement commits by itself). */
  auto<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T>;
  /**
   * Run read-only `fn` without a transaction: each statement sees what was committed when it
   * ran (never another transaction's uncommitted writes). The hot read path (getattr, lookup)
   * is one statement, so it pays no BEGIN/COMMIT and takes no write lock.
   */
  read<T>(fn: (conn: SqlConn) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A column value as a JS number (PostgreSQL returns BIGINT as text, SQLite here as bigint). */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw fsError('EOVERFLOW', `value ${v} does not fit a JS number exactly`);
    return n;
  }
  if (v === null || v === undefined) return 0;
  throw fsError('EIO', `unexpected column value ${String(v)}`);
}

/** A column value as a bigint (inodes, lock owners). NULL reads as 0. */
export function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' || typeof v === 'string') return BigInt(v);
  if (v === null || v === undefined) return 0n;
  throw fsError('EIO', `unexpected column value ${String(v)}`);
}

/** A binary column; SQLite may hold a Go-written `||` result with TEXT affinity, which we read as bytes. */
export function bytes(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v === null || v === undefined) return Buffer.alloc(0);
  throw fsError('EIO', `unexpected binary column value ${String(v)}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Randomised, growing backoff for conflict retries (ms). */
export function backoff(attempt: number): number {
  return Math.random() * Math.min(2 ** attempt, 50) + 1;
}

/**
 * Database errors leave the engine as errno errors (EIO naming the database's own code and
 * message). Anything else passes through untouched: FsErrors and the caller's own signals thrown
 * from a transaction's function must reach the caller as they were thrown.
 */
export function asFsError(err: unknown, dialect: string): unknown {
  const e = err as { code?: unknown; message?: unknown; severity?: unknown; sqlState?: unknown; fatal?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const fromDatabase =
    code !== undefined &&
    !isErrnoCode(code) &&
    (code.startsWith('SQLITE_') ||
      (typeof e?.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) ||
      // mysql2: server errors carry a SQLSTATE; a lost connection is `fatal` (PROTOCOL_CONNECTION_LOST…)
      typeof e?.sqlState === 'string' ||
      e?.fatal === true);
  if (!fromDatabase) return err;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  // MySQL's ER_DATA_TOO_LONG: a value larger than its column (a 64 KiB xattr value in the BLOB that
  // holds 65535 bytes), which the caller can act on, unlike an I/O error.
  if (code === 'ER_DATA_TOO_LONG') return fsError('E2BIG', `${dialect} error ${code}: ${message}`, err);
  return fsError('EIO', `${dialect} error ${code}: ${message}`, err);
}

/**
 * Runs `fn` on a raw connection from a knex pool (PostgreSQL, MySQL), handed back afterwards
 * whatever happens. `C` is the driver's connection type: knex's pool hands it out untyped.
 */
export async function withPooledConnection<C, T>(pool: Knex, fn: (conn: C) => Promise<T>): Promise<T> {
  const conn = (await pool.client.acquireConnection()) as C;
  try {
    return await fn(conn);
  } finally {
    await pool.client.releaseConnection(conn);
  }
}
