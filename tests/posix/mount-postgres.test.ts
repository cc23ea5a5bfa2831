import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from './helpers.js';
import { juicefs, juicefsMountMissing, startMount, type JuicefsMount } from './mount-harness.js';
import { posixSuite } from './suite.js';

// The POSIX suite on a real juicefs mount of a PostgreSQL + local-directory volume (PostgreSQL
// from scripts/services/postgres.sh; a schema of this run's own, dropped afterwards).

const pgBase = process.env['JFS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5440/juicefs_test';
const schema = `jfs_posix_${process.pid}_${Date.now()}`;
const missing = juicefsMountMissing();

async function psql(sql: string): Promise<void> {
  const r = await run('psql', [pgBase, '-qtAc', sql]);
  if (r.code !== 0) throw new Error(`PostgreSQL not reachable at ${pgBase} (${r.stderr.trim()}): run bash scripts/services/postgres.sh`);
}

if (missing !== undefined) {
  test.skip(`juicefs mount (PostgreSQL + local directory) NOT RUN: ${missing}`, () => undefined);
} else {
  let tmp = '';
  let mp = '';
  let m: JuicefsMount | undefined;
  let created = false;

  beforeAll(async () => {
    await psql(`CREATE SCHEMA ${schema}`);
    created = true;
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-posix-pg-'));
    // Searchable by others: the permission cases enter the mount as an unprivileged user.
    await fs.chmod(tmp, 0o755);
    mp = path.join(tmp, 'mnt');
    await fs.mkdir(mp);
    const meta = `${pgBase}${pgBase.includes('?') ? '&' : '?'}search_path=${schema}`;
    const f = await juicefs(['format', meta, 'posix-pg', '--bucket', path.join(tmp, 'bucket'), '--trash-days', '0']);
    if (f.code !== 0) throw new Error(`juicefs format failed (exit ${f.code}): ${f.stderr}`);
    m = await startMount(meta, mp, ['--cache-dir', path.join(tmp, 'cache'), '--enable-xattr']);
  }, 120_000);

  afterAll(async () => {
    await m?.stop();
    if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
    if (created) await psql(`DROP SCHEMA ${schema} CASCADE`);
  }, 120_000);

  test('the volume is mounted as fuse.juicefs', () => {
    expect(m?.mountinfo).toMatch(/ - fuse\.juicefs /);
  });

  posixSuite('juicefs mount (PostgreSQL + local directory)', () => mp);
}
