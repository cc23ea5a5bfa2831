import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSqlEngine } from '../src/sql/index.js';
import { freshMysqlTarget, freshPgTarget, freshSqliteTarget, mysqlQuery, withTestMysql, withTestPg, type TestTarget } from '../src/sql/test-targets.js';

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

/**
 * The catalog the spec's PostgreSQL statements (FORMAT.md 5.2) make in a schema of their own,
 * names passed through `prefixed`: what an engine's own schema is compared with.
 */
async function specCatalog(prefixed: (sql: string) => string): Promise<PgCatalog> {
  const ref = await freshPgTarget();
  cleanups.push(ref);
  await withTestPg(async (c) => {
    await c.query(`CREATE SCHEMA "${ref.schema}"`);
    await c.query(`SET search_path TO "${ref.schema}"`);
    for (const sql of PG_SPEC) await c.query(prefixed(sql));
  });
  return pgCatalog(ref.schema);
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
      cleanups.push(ours);
      const engine = await createSqlEngine(ours.url);
      await engine.initSchema();
      await engine.initSchema();
      await engine.close();

      const got = await pgCatalog(ours.schema);
      expect(got).toEqual(await specCatalog(prefixed));
      expect(got.indexes.length).toBe(21 + 8); // one pkey per table plus the eight declared indexes
      expect(got.indexes).toContainEqual(
        expect.objectContaining({ indexname: prefixed('UQE_jfs_edge_edge') }),
      );
    });
  }
});

/**
 * MySQL: FORMAT.md 5.2 gives no DDL block, only the rules (BIGINT for 64-bit, INT for narrower,
 * VARCHAR(255)/TEXT as on PostgreSQL, VARBINARY(255) for jfs_edge.name, VARBINARY(4096) for
 * jfs_symlink.target, BLOB for other bytes, AUTO_INCREMENT ids, the same index names). So the
 * expected catalog is the PostgreSQL reference one (built from the spec's DDL) put through them.
 */
interface MyColumn { table: string; column: string; type: string; nullable: string; default: string | null; extra: string }
interface MyIndex { table: string; index: string; unique: boolean; columns: string }

async function mysqlCatalog(database: string): Promise<{ columns: MyColumn[]; indexes: MyIndex[] }> {
  return withTestMysql(async (c) => {
    const columns = (await mysqlQuery(
      c,
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS ty, IS_NULLABLE AS n, COLUMN_DEFAULT AS d, EXTRA AS e
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${database}' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    )) as Array<Record<string, string | null>>;
    const indexes = (await mysqlQuery(
      c,
      `SELECT TABLE_NAME AS t, INDEX_NAME AS i, MIN(NON_UNIQUE) AS nu, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '${database}' GROUP BY TABLE_NAME, INDEX_NAME ORDER BY TABLE_NAME, INDEX_NAME`,
    )) as Array<Record<string, string | number | null>>;
    // MariaDB reports the implicit default of a nullable column as the text NULL, MySQL as NULL.
    return {
      columns: columns.map((r) => ({ table: String(r['t']), column: String(r['c']), type: String(r['ty']), nullable: String(r['n']), default: r['d'] === 'NULL' ? null : (r['d'] ?? null), extra: String(r['e']) })),
      indexes: indexes.map((r) => ({ table: String(r['t']), index: String(r['i']), unique: Number(r['nu']) === 0, columns: String(r['cols']) })),
    };
  });
}

/** FORMAT.md 5.2's MySQL rules applied to the PostgreSQL reference catalog. */
function expectedMysqlCatalog(pgc: PgCatalog): { columns: MyColumn[]; indexes: MyIndex[] } {
  const columns = (pgc.columns as Array<Record<string, unknown>>).map((r) => {
    const table = String(r['table_name']);
    const column = String(r['column_name']);
    const serial = String(r['column_default'] ?? '').startsWith('nextval');
    const pgType = String(r['data_type']);
    let type = { bigint: 'bigint(20)', integer: 'int(11)', 'character varying': 'varchar(255)', text: 'text', bytea: 'blob' }[pgType] ?? pgType;
    if (table.endsWith('edge') && column === 'name') type = 'varbinary(255)';
    if (table.endsWith('symlink') && column === 'target') type = 'varbinary(4096)';
    const def = serial || r['column_default'] === null ? null : String(r['column_default']);
    return { table, column, type, nullable: String(r['is_nullable']), default: def, extra: serial ? 'auto_increment' : '' };
  });
  const indexes = (pgc.indexes as Array<Record<string, unknown>>).map((r) => {
    const def = String(r['indexdef']);
    const name = String(r['indexname']);
    return {
      table: String(r['tablename']),
      index: name.endsWith('_pkey') ? 'PRIMARY' : name,
      unique: def.startsWith('CREATE UNIQUE'),
      columns: (/\(([^)]*)\)\s*$/.exec(def)?.[1] ?? '').replace(/["\s]/g, ''),
    };
  });
  const order = <T extends { table: string }>(key: (x: T) => string) => (a: T, b: T) =>
    a.table === b.table ? (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) : a.table < b.table ? -1 : 1;
  return { columns, indexes: indexes.sort(order((x) => x.index)) };
}

describe('MySQL schema (FORMAT 5.2 rules)', () => {
  for (const [label, query, prefixed] of [
    ['default prefix', '', (s: string) => s],
    ['table_prefix=X', '?table_prefix=X', (s: string) => s.replaceAll('jfs_', 'jfs_X_')],
  ] as const) {
    it(`creates the spec's tables, column types, nullability and index names (${label}), idempotently`, async () => {
      const ours = await freshMysqlTarget(query);
      cleanups.push(ours);
      const engine = await createSqlEngine(ours.url);
      await engine.initSchema();
      await engine.initSchema();
      await engine.close();
      const expected = expectedMysqlCatalog(await specCatalog(prefixed));
      const got = await mysqlCatalog(ours.database);
      expect(got.columns).toEqual(expected.columns);
      expect(got.indexes).toEqual(expected.indexes);
      expect(got.indexes).toContainEqual({ table: prefixed('jfs_edge'), index: prefixed('UQE_jfs_edge_edge'), unique: true, columns: 'parent,name' });
    });
  }
});
