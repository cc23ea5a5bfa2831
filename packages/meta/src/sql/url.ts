import * as path from 'node:path';
import { fsError } from '@juicefs/core';

/** Pool-tuning options JuiceFS strips before the URL reaches the driver (FORMAT.md 5.1). */
const JUICEFS_ONLY_OPTIONS = ['max_open_conns', 'max_idle_conns', 'max_idle_time', 'max_life_time', 'table_prefix'];

export type SqlDialect = 'sqlite3' | 'postgres' | 'mysql';

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

export interface MysqlTarget {
  dialect: 'mysql';
  /** TCP host and port, or undefined when `socketPath` is set. */
  host: string | undefined;
  port: number;
  /** `unix(/path/to/sock)` in the URL. */
  socketPath: string | undefined;
  user: string;
  password: string | undefined;
  database: string;
  /** How long connecting may take (`timeout`, a Go duration; default 10 s), in ms. */
  connectTimeout: number;
  /** `host:port/db` or `unix(path)/db` for error messages (never the password). */
  address: string;
  prefix: string;
}

export type SqlTarget = SqliteTarget | PostgresTarget | MysqlTarget;

/** Options of Go's MySQL DSN that change nothing here (we always talk utf8mb4 and read no DATETIMEs). */
const IGNORED_MYSQL_OPTIONS = ['charset', 'collation', 'parseTime', 'loc', 'allowNativePasswords', 'interpolateParams', 'multiStatements'];

/** A Go duration (`5s`, `500ms`, `1m`, `1.5s`) in milliseconds, or NaN. */
function goDurationMs(text: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000 };
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  return m ? Number(m[1]) * unit[m[2]!]! : NaN;
}

function decodeCredential(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a raw Go DSN password with a lone '%'
  }
}

/**
 * `mysql://[user[:pass]@]ADDR/db[?opts]` where ADDR is `(host:port)` or `tcp(host:port)` (Go's DSN, what
 * JuiceFS documents), `host:port` (URL style, also accepted by JuiceFS) or `unix(/path/to/sock)`.
 * The credentials end at the last `@` before ADDR, as in Go's DSN parser, so a password may hold `@`.
 */
function parseMysqlUrl(url: string, prefixOf: (p: URLSearchParams) => string): MysqlTarget {
  let rest = url.slice(url.indexOf('://') + 3);
  const q = rest.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  if (q >= 0) rest = rest.slice(0, q);
  // The address may itself hold '/' (a socket path), so find the database after its closing ')'.
  const at = rest.lastIndexOf('@', rest.includes(')') ? rest.indexOf('(') : rest.indexOf('/'));
  const creds = at < 0 ? '' : rest.slice(0, at);
  rest = rest.slice(at + 1);
  // Messages show the user but never the password.
  const shown = `mysql://${creds === '' ? '' : `${creds.split(':')[0]}:****@`}${rest}${q < 0 ? '' : '?…'}`;
  const bad = (why: string) => fsError('EINVAL', `bad MySQL URL "${shown}": ${why}; use mysql://user:pass@(host:3306)/db`);
  let addr: string;
  let db: string;
  const paren = /^(tcp|unix)?\(([^)]*)\)\/(.*)$/.exec(rest);
  if (paren) {
    addr = `${paren[1] ?? 'tcp'}:${paren[2]}`;
    db = paren[3]!;
  } else {
    const slash = rest.indexOf('/');
    if (slash < 0) throw bad('no database name');
    addr = `tcp:${rest.slice(0, slash)}`;
    db = rest.slice(slash + 1);
  }
  db = decodeCredential(db);
  if (db === '' || db.includes('/')) throw bad('no database name');
  const colon = creds.indexOf(':');
  const user = decodeCredential(colon < 0 ? creds : creds.slice(0, colon)) || 'root';
  const password = colon < 0 ? undefined : decodeCredential(creds.slice(colon + 1));
  let connectTimeout = 10000;
  for (const [key, value] of params) {
    if (JUICEFS_ONLY_OPTIONS.includes(key) || IGNORED_MYSQL_OPTIONS.includes(key)) continue;
    if (key === 'timeout') {
      connectTimeout = goDurationMs(value);
      if (!(connectTimeout > 0)) throw bad(`timeout "${value}" is not a duration like 5s or 500ms`);
      continue;
    }
    throw bad(`option "${key}" is not supported (table_prefix, timeout and the max_* pool options are)`);
  }
  const prefix = prefixOf(params);
  if (addr.startsWith('unix:')) {
    const socketPath = addr.slice('unix:'.length);
    if (socketPath === '') throw bad('empty socket path in unix()');
    return { dialect: 'mysql', host: undefined, port: 3306, socketPath, user, password, database: db, connectTimeout, address: `unix(${socketPath})/${db}`, prefix };
  }
  const hostPort = addr.slice('tcp:'.length);
  const hp = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
  if (!hp) throw bad(`"${hostPort}" is not host:port`);
  const host = (hp[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
  const port = hp[2] === undefined ? 3306 : Number(hp[2]);
  if (!(port > 0 && port < 65536)) throw bad(`port ${hp[2]} is out of range`);
  return { dialect: 'mysql', host, port, socketPath: undefined, user, password, database: db, connectTimeout, address: `${host}:${port}/${db}`, prefix };
}

function prefixFrom(params: URLSearchParams): string {
  const p = params.get('table_prefix');
  if (p === null || p === '') return 'jfs_';
  if (!/^[A-Za-z0-9_]+$/.test(p)) {
    throw fsError('EINVAL', `table_prefix "${p}" may only hold letters, digits and underscores`);
  }
  return `jfs_${p}_`;
}

/** Parse `sqlite3://path[?opts]`, `postgres[ql]://…[?opts]` or `mysql://…[?opts]` into what the drivers need. */
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
  if (scheme === 'mysql') return parseMysqlUrl(url, prefixFrom);
  throw fsError('EINVAL', `"${url}" is not a SQL metadata URL; use sqlite3://file.db, postgres://user@host:port/db or mysql://user:pass@(host:port)/db`);
}
