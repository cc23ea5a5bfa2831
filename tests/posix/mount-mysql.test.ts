import { randomBytes } from 'node:crypto';
import { run } from './helpers.js';
import { mountedPosixSuite } from './mount-harness.js';

// The POSIX suite on a real juicefs mount of a MySQL + local-directory volume (MariaDB from
// scripts/services/mysql.sh; a database of this run's own, dropped afterwards: MySQL has no
// schemas inside a database).

const mysqlBase = process.env['JFS_TEST_MYSQL_URL'] ?? 'mysql://juicefs:juicefs@(127.0.0.1:3310)/juicefs_test';
const database = `jfs_posix_${randomBytes(5).toString('hex')}`;

/** The client's connection flags from the URL (`user:password@(host:port)/db`, JuiceFS's form). */
function clientArgs(): string[] {
  const m = /^mysql:\/\/(?:([^:@]*)(?::([^@]*))?@)?\(?([^():/]+)(?::(\d+))?\)?\//.exec(mysqlBase);
  if (!m) throw new Error(`JFS_TEST_MYSQL_URL is not a mysql://user:password@(host:port)/db URL: ${mysqlBase}`);
  const [, user, password, host, port] = m;
  return [`-h${host}`, `-P${port ?? '3306'}`, ...(user ? [`-u${user}`] : []), ...(password ? [`-p${password}`] : [])];
}

async function mysql(sql: string): Promise<void> {
  const r = await run('mysql', [...clientArgs(), '-e', sql]);
  if (r.code !== 0) throw new Error(`MySQL not reachable at ${mysqlBase} (${r.stderr.trim()}): run bash scripts/services/mysql.sh`);
}

let created = false;

mountedPosixSuite({
  label: 'MySQL',
  tag: 'mysql',
  metaUrl: async () => {
    await mysql(`CREATE DATABASE \`${database}\``);
    created = true;
    const q = mysqlBase.indexOf('?');
    const head = q < 0 ? mysqlBase : mysqlBase.slice(0, q);
    return `${head.slice(0, head.lastIndexOf('/') + 1)}${database}${q < 0 ? '' : mysqlBase.slice(q)}`;
  },
  cleanup: async () => {
    if (created) await mysql(`DROP DATABASE IF EXISTS \`${database}\``);
  },
});
