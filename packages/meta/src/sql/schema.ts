import { MYSQL_DDL, POSTGRES_DDL, SQLITE_DDL } from './ddl.js';
import type { SqlDialect } from './url.js';

export interface SchemaPlan {
  /** `CREATE TABLE IF NOT EXISTS …` statements, idempotent by themselves. */
  tables: string[];
  /** Index statements, run only when no index of that name exists yet (xorm's DDL has no IF NOT EXISTS). */
  indexes: Array<{ name: string; sql: string }>;
}

/** Replace the default `jfs_` prefix in table and index names (it appears nowhere else in the DDL). */
function withPrefix(sql: string, prefix: string): string {
  return prefix === 'jfs_' ? sql : sql.replaceAll('jfs_', prefix);
}

export function schemaPlan(dialect: SqlDialect, prefix: string): SchemaPlan {
  const ddl = dialect === 'sqlite3' ? SQLITE_DDL : dialect === 'mysql' ? MYSQL_DDL : POSTGRES_DDL;
  const plan: SchemaPlan = { tables: [], indexes: [] };
  for (const raw of ddl) {
    const sql = withPrefix(raw, prefix);
    const index = /^CREATE (?:UNIQUE )?INDEX [`"]([^`"]+)[`"]/.exec(sql);
    if (index?.[1]) plan.indexes.push({ name: index[1], sql });
    else plan.tables.push(sql);
  }
  return plan;
}

/** Every table a volume may have, including the legacy `session` table that reset() also drops. */
export function allTables(prefix: string): string[] {
  const names = SQLITE_DDL.flatMap((sql) => /^CREATE TABLE IF NOT EXISTS `jfs_([a-z0-9_]+)`/.exec(sql)?.[1] ?? []);
  return [...names, 'session'].map((n) => prefix + n);
}
