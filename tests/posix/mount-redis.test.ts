import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { claimRedisDb, juicefs, juicefsMountMissing, releaseRedisDb, startMount, type JuicefsMount } from './mount-harness.js';
import { posixSuite } from './suite.js';

// The POSIX suite on a real juicefs mount of a Redis + local-directory volume (Redis from
// scripts/services/redis.sh, one of databases 56-63, claimed so concurrent runs never share one).

const REDIS_DBS = [56, 57, 58, 59, 60, 61, 62, 63];
const redisBase = (process.env['JFS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6390').replace(/\/\d*$/, '');
const missing = juicefsMountMissing();

if (missing !== undefined) {
  test.skip(`juicefs mount (Redis + local directory) NOT RUN: ${missing}`, () => undefined);
} else {
  let tmp = '';
  let mp = '';
  let m: JuicefsMount | undefined;
  let db: number | undefined;

  beforeAll(async () => {
    db = await claimRedisDb(redisBase, REDIS_DBS);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-posix-redis-'));
    // Searchable by others: the permission cases enter the mount as an unprivileged user.
    await fs.chmod(tmp, 0o755);
    mp = path.join(tmp, 'mnt');
    await fs.mkdir(mp);
    const meta = `${redisBase}/${db}`;
    const f = await juicefs(['format', meta, 'posix-redis', '--bucket', path.join(tmp, 'bucket'), '--trash-days', '0']);
    if (f.code !== 0) throw new Error(`juicefs format failed (exit ${f.code}): ${f.stderr}`);
    // A cache of its own: the default /var/jfsCache would be shared with other mounts.
    m = await startMount(meta, mp, ['--cache-dir', path.join(tmp, 'cache'), '--enable-xattr']);
  }, 120_000);

  afterAll(async () => {
    await m?.stop();
    if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
    if (db !== undefined) await releaseRedisDb(redisBase, db);
  }, 120_000);

  test('the volume is mounted as fuse.juicefs', () => {
    expect(m?.mountinfo).toMatch(/ - fuse\.juicefs /);
  });

  posixSuite('juicefs mount (Redis + local directory)', () => mp);
}
