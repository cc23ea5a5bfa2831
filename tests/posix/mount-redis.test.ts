import { claimRedisDb, mountedPosixSuite, releaseRedisDb } from './mount-harness.js';

// The POSIX suite on a real juicefs mount of a Redis + local-directory volume (Redis from
// scripts/services/redis.sh, one of databases 56-63, claimed so concurrent runs never share one).

const REDIS_DBS = [56, 57, 58, 59, 60, 61, 62, 63];
const redisBase = (process.env['JFS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6390').replace(/\/\d*$/, '');
let db: number | undefined;

mountedPosixSuite(
  {
    label: 'Redis',
    tag: 'redis',
    metaUrl: async () => {
      db = await claimRedisDb(redisBase, REDIS_DBS);
      return `${redisBase}/${db}`;
    },
    cleanup: async () => {
      if (db !== undefined) await releaseRedisDb(redisBase, db);
    },
  },
);
