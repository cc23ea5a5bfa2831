import * as path from 'node:path';
import { fsError } from '@juicefs/core';

/** Pool-tuning options JuiceFS strips before the URL reaches the driver (FORMAT.md 5.1). */
const JUICEFS_ONLY_OPTIONS = ['max_open_conns', 'max_idle_conns', 'max_idle_time', 'max_life_time', 'table_prefix'];

export type SqlDialect = 'sqlite3' | 'postgres';

export interface SqliteTarget {
  dialect: 'sqlite3';
  /** Absolute path of the database file. */
  filename: string;
  /** Table prefix: `jfs_` or `jfs_<table_prefix>_`. */
  prefix: string;
  /** How long a statement waits for another process's write lock (`_timeout`, ms; JuiceFS: 5000). */
  busyTimeout: number;
}

export interface PostgresTarget {
  dialect: 'postgres';
  /** Connection string for pg, without JuiceFS-only options and without `search_path`. */
  connectionString: string;
  /** `host:port/db` for error messages (never the password). */
  address: string;
  /** Schema selected by `search_path`, or undefined for the server default. */
  schema: string | undefined;
  prefix: string;
}

export type SqlTarget = SqliteTarget | PostgresTarget;

function prefixFrom(params: URLSearchParams): string {
  const p = params.get('table_prefix');
  if (p === null || p === '') return 'jfs_';
  if (!/^[A-Za-z0-9_]+$/.test(p)) {
    throw fsError('EINVAL', `table_prefix "${p}" may only hold letters, digits and underscores`);
  }
  return `jfs_${p}_`;
}

/** Parse `sqlite3://path[?opts]` or `postgres[ql]://…[?opts]` into what the drivers need. */
export function parseSqlUrl(url: string): SqlTarget {
  const scheme = /^([a-z0-9]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite3') {
    const rest = url.slice('sqlite3://'.length);
    const q = rest.indexOf('?');
    const file = q < 0 ? rest : rest.slice(0, q);
    const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
    if (file === '') throw fsError('EINVAL', `no database file in "${url}"; use sqlite3://path/to/file.db`);
    const timeout = params.get('_timeout') ?? params.get('_busy_timeout');
    const busyTimeout = timeout === null ? 5000 : Number(timeout);
    if (!Number.isInteger(busyTimeout) || busyTimeout < 0) {
      throw fsError('EINVAL', `_timeout "${timeout}" must be a whole number of milliseconds`);
    }
    return { dialect: 'sqlite3', filename: path.resolve(decodeURIComponent(file)), prefix: prefixFrom(params), busyTimeout };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const u = new URL(url);
    const prefix = prefixFrom(u.searchParams);
    const searchPath = u.searchParams.get('search_path');
    if (searchPath !== null && (searchPath.includes(',') || searchPath === '')) {
      throw fsError('EINVAL', `search_path "${searchPath}" must name exactly one schema`);
    }
    for (const o of [...JUICEFS_ONLY_OPTIONS, 'search_path']) u.searchParams.delete(o);
    const db = u.pathname.replace(/^\//, '') || 'postgres';
    return {
      dialect: 'postgres',
      connectionString: u.toString(),
      address: `${u.hostname || 'localhost'}:${u.port || '5432'}/${db}`,
      schema: searchPath ?? undefined,
      prefix,
    };
  }
  if (scheme === 'mysql') {
    throw fsError('EOPNOTSUPP', `MySQL metadata (${url.replace(/\/\/[^@/]*@/, '//')}) is not supported by this client yet; use sqlite3:// or postgres://`);
  }
  throw fsError('EINVAL', `"${url}" is not a SQL metadata URL; use sqlite3://file.db or postgres://user@host:port/db`);
}
