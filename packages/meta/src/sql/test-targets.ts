import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import mysql from 'mysql2';
import { parseSqlUrl } from './url.js';

/**
 * Fresh, isolated SQL targets for tests (the SQL engine's own tests and the conformance suite).
 * Each call gets its own SQLite file, PostgreSQL schema or MySQL database, so test files can run in
 * parallel.
 */
export const DEFAULT_TEST_PG_URL = 'postgres://postgres@127.0.0.1:5440/juicefs_test';

export function testPgUrl(): string {
  return process.env['JFS_TEST_PG_URL'] ?? DEFAULT_TEST_PG_URL;
}

export interface TestTarget {
  url: string;
  cleanup(): Promise<void>;
}

export function freshSqliteTarget(query = ''): TestTarget {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-sql-'));
  return {
    url: `sqlite3://${path.join(dir, 'meta.db')}${query}`,
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Run `fn` on a plain pg client of the test server; failing to connect says how to start it. */
export async function withTestPg<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPgUrl(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL test server not reachable at ${testPgUrl()} (${(err as Error).message}): run bash scripts/services/postgres.sh or set JFS_TEST_PG_URL`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new schema name (created by the engine via search_path); cleanup drops it. */
export async function freshPgTarget(extraQuery = ''): Promise<TestTarget & { schema: string }> {
  const schema = `jfs_t_${randomBytes(6).toString('hex')}`;
  await withTestPg(async (c) => c.query('SELECT 1'));
  const base = testPgUrl();
  const sep = base.includes('?') ? '&' : '?';
  return {
    schema,
    url: `${base}${sep}search_path=${schema}${extraQuery}`,
    cleanup: () => withTestPg(async (c) => void (await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))),
  };
}

export const DEFAULT_TEST_MYSQL_URL = 'mysql://juicefs:juicefs@(127.0.0.1:3310)/juicefs_test';

export function testMysqlUrl(): string {
  return process.env['JFS_TEST_MYSQL_URL'] ?? DEFAULT_TEST_MYSQL_URL;
}

/** Run `fn` on a plain mysql2 connection to the test server; failing to connect says how to start it. */
export async function withTestMysql<T>(fn: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const target = parseSqlUrl(testMysqlUrl());
  if (target.dialect !== 'mysql') throw new Error(`JFS_TEST_MYSQL_URL is not a mysql:// URL: ${testMysqlUrl()}`);
  const options: mysql.ConnectionOptions = { user: target.user, database: target.database, connectTimeout: 5000 };
  if (target.password !== undefined) options.password = target.password;
  if (target.socketPath !== undefined) options.socketPath = target.socketPath;
  else Object.assign(options, { host: target.host, port: target.port });
  let conn: mysql.Connection;
  try {
    conn = await mysqlConnect(options);
  } catch (err) {
    throw new Error(
      `MySQL test server not reachable at ${target.address} (${(err as Error).message}): run bash scripts/services/mysql.sh or set JFS_TEST_MYSQL_URL`,
    );
  }
  try {
    return await fn(conn);
  } finally {
    conn.destroy();
  }
}

function mysqlConnect(options: mysql.ConnectionOptions): Promise<mysql.Connection> {
  return new Promise((resolve, reject) => {
    const conn = mysql.createConnection(options);
    conn.connect((err) => (err ? reject(err) : resolve(conn)));
  });
}

/** Run one statement on a test-server connection. */
export function mysqlQuery(conn: mysql.Connection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => conn.query(sql, (err, result) => (err ? reject(err) : resolve(result))));
}

/**
 * A new database per call (MySQL has no schemas inside a database: a database is the unit), named
 * in the URL; cleanup drops it.
 */
export async function freshMysqlTarget(extraQuery = ''): Promise<TestTarget & { database: string }> {
  const database = `jfs_t_${randomBytes(6).toString('hex')}`;
  await withTestMysql((c) => mysqlQuery(c, `CREATE DATABASE \`${database}\``));
  const base = testMysqlUrl();
  const q = base.indexOf('?');
  const head = q < 0 ? base : base.slice(0, q);
  const query = q < 0 ? '' : base.slice(q + 1);
  const url = `${head.slice(0, head.lastIndexOf('/') + 1)}${database}`;
  const opts = [query, extraQuery.replace(/^[?&]/, '')].filter((s) => s !== '').join('&');
  return {
    database,
    url: opts === '' ? url : `${url}?${opts}`,
    cleanup: () => withTestMysql(async (c) => void (await mysqlQuery(c, `DROP DATABASE IF EXISTS \`${database}\``))),
  };
}
