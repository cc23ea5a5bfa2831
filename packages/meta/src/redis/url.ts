import * as fs from 'node:fs';
import { fsError } from '@juicefs/core';
import type { RedisOptions } from 'ioredis';

/** What a Redis meta URL (FORMAT.md 4.1) says about where and how to connect. */
export interface RedisTarget {
  /** 'standalone' may still turn out to be a cluster node (checked with CLUSTER INFO on connect). */
  topology: 'standalone' | 'sentinel' | 'unix' | 'cluster';
  options: RedisOptions;
  /** Seed nodes of a Redis Cluster (several comma-separated host:port). */
  nodes?: Array<{ host: string; port: number }>;
  db: number;
  /** host:port (or socket path, or sentinel list) for error messages; never the password. */
  address: string;
}

// Query options: JuiceFS strips its client-tuning ones (min/max-retry-backoff, read/write-timeout,
// route-read, client-cache*) before connecting; we ignore them and every other unknown option, and
// honour only `db` (unix sockets) and the TLS file options of rediss://.

const URL_SHAPE = /^(?:([a-z0-9+.-]+):\/\/)?([^/?#]*)([^?#]*)(?:\?([^#]*))?$/i;

/**
 * Parse `redis://[user][:password]@host[:port][/db][?opts]`, `rediss://…` (TLS),
 * `unix://[user:password@]/path/to/sock?db=N`, and the Sentinel form
 * `redis://master,sentinel1,sentinel2[:port]/db`. A URL without a scheme is `redis://`.
 * The password may come from REDIS_PASSWORD / META_PASSWORD / META_PASSWORD_FILE instead.
 */
export function parseRedisUrl(raw: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const m = URL_SHAPE.exec(raw.trim());
  if (!m) throw fsError('EINVAL', `cannot parse the Redis meta URL "${redact(raw)}"; expected redis://[user][:password]@host[:port][/db]`);
  const scheme = (m[1] ?? 'redis').toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss' && scheme !== 'unix') {
    throw fsError('EINVAL', `"${scheme}://" is not a Redis meta URL scheme; use redis://, rediss:// or unix://`);
  }
  let authority = m[2] ?? '';
  const pathPart = m[3] ?? '';
  const query = new URLSearchParams(m[4] ?? '');

  let username: string | undefined;
  let password: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (user !== '') username = user;
    if (colon >= 0) password = decodeURIComponent(userinfo.slice(colon + 1));
  }
  password ??= passwordFromEnv(env);

  const options: RedisOptions = {};
  if (username !== undefined) options.username = username;
  if (password !== undefined && password !== '') options.password = password;

  if (scheme === 'unix') {
    // unix:///path/to/sock: authority is empty and the path is the socket.
    const socketPath = authority === '' ? pathPart : `/${authority}${pathPart}`;
    if (socketPath === '' || socketPath === '/') throw fsError('EINVAL', `the unix:// meta URL "${redact(raw)}" names no socket path`);
    const db = parseDb(query.get('db') ?? '0', raw);
    return { topology: 'unix', options: { ...options, path: socketPath, db }, db, address: socketPath };
  }

  const dbText = pathPart.replace(/^\/+/, '');
  const db = parseDb(dbText === '' ? (query.get('db') ?? '0') : dbText, raw);
  if (scheme === 'rediss') options.tls = tlsOptions(query);

  const comma = authority.indexOf(',');
  const firstColon = authority.indexOf(':');
  if (comma >= 0 && (firstColon < 0 || comma < firstColon)) {
    // Sentinel: master name, then sentinels sharing an optional trailing port.
    const [name, ...sentinels] = authority.split(',');
    const last = sentinels[sentinels.length - 1] ?? '';
    const portMatch = /:(\d+)$/.exec(last);
    const defaultPort = portMatch ? Number(portMatch[1]) : 26379;
    if (portMatch) sentinels[sentinels.length - 1] = last.slice(0, -portMatch[0].length);
    const hosts = sentinels.map((h) => splitHostPort(h, defaultPort));
    const sentinelPassword = env.SENTINEL_PASSWORD;
    return {
      topology: 'sentinel',
      options: {
        ...options,
        db,
        name: name ?? '',
        sentinels: hosts,
        ...(sentinelPassword ? { sentinelPassword } : {}),
      },
      db,
      address: `sentinel ${name} via ${hosts.map((h) => `${h.host}:${h.port}`).join(',')}`,
    };
  }
  if (comma >= 0) {
    // Several host:port: a Redis Cluster; the database number becomes the key prefix {N}.
    const nodes = authority.split(',').map((h) => splitHostPort(h, 6379));
    return { topology: 'cluster', options, nodes, db, address: nodes.map((n) => `${n.host}:${n.port}`).join(',') };
  }
  const { host, port } = splitHostPort(authority === '' ? '127.0.0.1' : authority, 6379);
  return { topology: 'standalone', options: { ...options, host, port, db }, db, address: `${host}:${port}` };
}

function splitHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1] ?? '', port: v6[2] ? Number(v6[2]) : defaultPort };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text || '127.0.0.1', port: defaultPort };
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw fsError('EINVAL', `invalid port in Redis address "${text}"`);
  }
  return { host: text.slice(0, colon) || '127.0.0.1', port };
}

function parseDb(text: string, raw: string): number {
  if (!/^\d+$/.test(text)) throw fsError('EINVAL', `invalid Redis database number "${text}" in "${redact(raw)}"; expected /<number>`);
  return Number(text);
}

function passwordFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const direct = env.REDIS_PASSWORD ?? env.META_PASSWORD;
  if (direct) return direct;
  const file = env.META_PASSWORD_FILE;
  if (file) return fs.readFileSync(file, 'utf8').trim();
  return undefined;
}

function tlsOptions(query: URLSearchParams): NonNullable<RedisOptions['tls']> {
  const tls: NonNullable<RedisOptions['tls']> = {};
  const read = (name: string) => {
    const file = query.get(name);
    return file ? fs.readFileSync(file) : undefined;
  };
  const cert = read('tls-cert-file');
  const key = read('tls-key-file');
  const ca = read('tls-ca-cert-file');
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (ca) tls.ca = ca;
  const serverName = query.get('tls-server-name');
  if (serverName) tls.servername = serverName;
  if (query.get('insecure-skip-verify') === 'true') tls.rejectUnauthorized = false;
  return tls;
}

/** The URL with any password replaced, for messages and logs. */
export function redact(raw: string): string {
  return raw.replace(/^([a-z0-9+.-]+:\/\/[^:@/]*:)[^@/]*@/i, '$1****@');
}
