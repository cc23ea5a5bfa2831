import fs from 'node:fs';
import { fsError } from '@juicefs/core';
import type { EngineFactory, EngineStore } from '../base/store.js';
import { SqlEngine } from './engine.js';
import { MysqlDriver } from './mysql-driver.js';
import { PgDriver } from './pg-driver.js';
import { SqliteDriver } from './sqlite-driver.js';
import { parseSqlUrl } from './url.js';

export { SqlEngine } from './engine.js';
export { parseSqlUrl, type SqlTarget } from './url.js';
export { schemaPlan, allTables } from './schema.js';

/** How a SQL engine is opened. */
export interface SqlOpenOptions {
  /**
   * false: a `sqlite3://` file must exist already, and a missing one is an ENOENT error instead of
   * a new empty database left behind (a typo in the path of `juicefs status` made one). Default true.
   */
  create?: boolean;
}

/**
 * Open a SQL metadata engine: `sqlite3://path` (created if missing unless `create` is false; WAL), `postgres://` /
 * `postgresql://` (`?search_path=<schema>` selects and creates a schema) or
 * `mysql://user:pass@(host:port)/db` (the database must exist); `?table_prefix=X` names tables
 * `jfs_X_*`. Tables are created by `initSchema()`, not here.
 */
export async function createSqlEngine(url: string, options: SqlOpenOptions = {}): Promise<SqlEngine> {
  const target = parseSqlUrl(url);
  if (target.dialect === 'sqlite3' && options.create === false) requireSqliteFile(url, target.filename);
  const driver =
    target.dialect === 'sqlite3'
      ? await SqliteDriver.open(target.filename, target.busyTimeout, sqliteCheckpoints())
      : target.dialect === 'mysql'
        ? await MysqlDriver.open(target)
        : await PgDriver.open(target);
  return new SqlEngine(driver, target.prefix);
}

/** A database that is not there holds no volume: say so with the fix, before SQLite creates the file. */
function requireSqliteFile(url: string, filename: string): void {
  if (fs.existsSync(filename)) return;
  throw fsError(
    'ENOENT',
    `database ${url} is not formatted: run juicefs format ${url} NAME first (there is no file ${filename}; check the path if the volume is elsewhere)`,
  );
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
