import { run } from './helpers.js';
import { mountedPosixSuite } from './mount-harness.js';

// The POSIX suite on a real juicefs mount of a PostgreSQL + local-directory volume (PostgreSQL
// from scripts/services/postgres.sh; a schema of this run's own, dropped afterwards).

const pgBase = process.env['JFS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5440/juicefs_test';
const schema = `jfs_posix_${process.pid}_${Date.now()}`;

async function psql(sql: string): Promise<void> {
  const r = await run('psql', [pgBase, '-qtAc', sql]);
  if (r.code !== 0) throw new Error(`PostgreSQL not reachable at ${pgBase} (${r.stderr.trim()}): run bash scripts/services/postgres.sh`);
}

let created = false;

mountedPosixSuite(
  {
    label: 'PostgreSQL',
    tag: 'pg',
    metaUrl: async () => {
      await psql(`CREATE SCHEMA ${schema}`);
      created = true;
      return `${pgBase}${pgBase.includes('?') ? '&' : '?'}search_path=${schema}`;
    },
    cleanup: async () => {
      if (created) await psql(`DROP SCHEMA ${schema} CASCADE`);
    },
  },
);
