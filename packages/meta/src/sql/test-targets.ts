import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Fresh, isolated SQL targets for tests (the SQL engine's own tests and the conformance suite).
 * Each call gets its own SQLite file or PostgreSQL schema, so test files can run in parallel.
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
