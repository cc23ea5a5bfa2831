import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSqlEngine } from '../src/sql/index.js';
import { freshPgTarget, freshSqliteTarget, withTestPg, type TestTarget } from '../src/sql/test-targets.js';

/**
 * The schema must be exactly FORMAT.md 5.2's. The expected DDL is read from the spec itself (not
 * from the engine's copy), replayed into a reference database, and the two catalogs compared.
 */
const spec = fs.readFileSync(path.resolve(__dirname, '../../../../shared/spec/FORMAT.md'), 'utf8');
const blocks = [...spec.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
const specStatements = (block: string | undefined): string[] =>
  (block ?? '')
    .split('\n')
    .filter((l) => l.startsWith('CREATE') && !l.includes('jfs_session`') && !l.includes('"jfs_session"'))
    .map((l) => l.trim());
const SQLITE_SPEC = specStatements(blocks[0]);
const PG_SPEC = specStatements(blocks[1]);

const cleanups: TestTarget[] = [];
afterAll(async () => {
  for (const t of cleanups) await t.cleanup();
});

function sqliteCatalog(file: string): Array<Record<string, unknown>> {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

describe('SQLite schema (FORMAT 5.2)', () => {
  it('found the SQLite DDL in FORMAT.md', () => {
    expect(SQLITE_SPEC.length).toBe(29);
    expect(SQLITE_SPEC.filter((s) => s.startsWith('CREATE TABLE')).length).toBe(21);
  });

  for (const [label, query, prefixed] of [
    ['default prefix', '', (s: string) => s],
    ['table_prefix=X', '?table_prefix=X', (s: string) => s.replaceAll('jfs_', 'jfs_X_')],
  ] as const) {
    it(`creates exactly the spec's tables and indexes (${label}), idempotently`, async () => {
      const ours = freshSqliteTarget(query);
      const ref = freshSqliteTarget();
      cleanups.push(ours, ref);
      const engine = await createSqlEngine(ours.url);
      await engine.initSchema();
      await engine.initSchema(); // second run must neither fail nor add anything
      await engine.close();

      const refFile = ref.url.slice('sqlite3://'.length);
      const db = new BetterSqlite3(refFile);
      for (const sql of SQLITE_SPEC) db.exec(prefixed(sql));
      db.close();

      const ourFile = ours.url.slice('sqlite3://'.length).replace(/\?.*$/, '');
      expect(sqliteCatalog(ourFile)).toEqual(sqliteCatalog(refFile));
      const names = sqliteCatalog(ourFile).map((r) => r['name']);
      expect(names).toContain(prefixed('UQE_jfs_edge_edge'));
      expect(names).not.toContain(prefixed('jfs_session'));
    });
  }
});

interface PgCatalog {
  columns: unknown[];
  indexes: unknown[];
  constraints: unknown[];
}

async function pgCatalog(schema: string): Promise<PgCatalog> {
  return withTestPg(async (c) => {
    const columns = await c.query(
      `SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, is_nullable,
              replace(column_default, $1 || '.', '') AS column_default
         FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
      [schema],
    );
    const indexes = await c.query(
      `SELECT tablename, indexname, replace(indexdef, $1 || '.', '') AS indexdef
         FROM pg_indexes WHERE schemaname = $1 ORDER BY tablename, indexname`,
      [schema],
    );
    const constraints = await c.query(
      `SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints
        WHERE table_schema = $1 AND constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY table_name, constraint_name`,
      [schema],
    );
    return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
  });
}

describe('PostgreSQL schema (FORMAT 5.2)', () => {
  it('found the PostgreSQL DDL in FORMAT.md', () => {
    expect(PG_SPEC.length).toBe(29);
  });

  for (const [label, query, prefixed] of [
    ['default prefix', '', (s: string) => s],
    ['table_prefix=X', '&table_prefix=X', (s: string) => s.replaceAll('jfs_', 'jfs_X_')],
  ] as const) {
    it(`creates exactly the spec's columns, types, nullability and indexes (${label}), idempotently`, async () => {
      const ours = await freshPgTarget(query);
      const ref = await freshPgTarget();
      cleanups.push(ours, ref);
      const engine = await createSqlEngine(ours.url);
      await engine.initSchema();
      await engine.initSchema();
      await engine.close();

      await withTestPg(async (c) => {
        await c.query(`CREATE SCHEMA "${ref.schema}"`);
        await c.query(`SET search_path TO "${ref.schema}"`);
        for (const sql of PG_SPEC) await c.query(prefixed(sql));
      });
      const got = await pgCatalog(ours.schema);
      expect(got).toEqual(await pgCatalog(ref.schema));
      expect(got.indexes.length).toBe(21 + 8); // one pkey per table plus the eight declared indexes
      expect(got.indexes).toContainEqual(
        expect.objectContaining({ indexname: prefixed('UQE_jfs_edge_edge') }),
      );
    });
  }
});
