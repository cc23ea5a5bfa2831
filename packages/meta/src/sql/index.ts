import type { EngineFactory, EngineStore } from '../base/store.js';
import { SqlEngine } from './engine.js';
import { MysqlDriver } from './mysql-driver.js';
import { PgDriver } from './pg-driver.js';
import { SqliteDriver } from './sqlite-driver.js';
import { parseSqlUrl } from './url.js';

export { SqlEngine } from './engine.js';
export { parseSqlUrl, type SqlTarget } from './url.js';
export { schemaPlan, allTables } from './schema.js';

/**
 * Open a SQL metadata engine: `sqlite3://path` (created if missing; WAL), `postgres://` /
 * `postgresql://` (`?search_path=<schema>` selects and creates a schema) or
 * `mysql://user:pass@(host:port)/db` (the database must exist); `?table_prefix=X` names tables
 * `jfs_X_*`. Tables are created by `initSchema()`, not here.
 */
export async function createSqlEngine(url: string): Promise<SqlEngine> {
  const target = parseSqlUrl(url);
  const driver =
    target.dialect === 'sqlite3'
      ? await SqliteDriver.open(target.filename, target.busyTimeout, sqliteCheckpoints())
      : target.dialect === 'mysql'
        ? await MysqlDriver.open(target)
        : await PgDriver.open(target);
  return new SqlEngine(driver, target.prefix);
}

/**
 * SQLite's checkpoints run on a thread of their own (wal-checkpointer.ts) unless
 * JFS_SQLITE_CHECKPOINTS=inline leaves them in COMMIT, as SQLite does by default.
 */
function sqliteCheckpoints(): false | Record<string, never> {
  return process.env['JFS_SQLITE_CHECKPOINTS'] === 'inline' ? false : {};
}

/** The `EngineFactory` shape `openMeta` uses. */
export const sqlEngineFactory: EngineFactory = (_url: URL, raw: string): Promise<EngineStore> => createSqlEngine(raw);
