import { Redis } from 'ioredis';

// Test files that need a whole Redis database to themselves claim one from the shared range
// 16..39 of the server started by scripts/services/redis.sh, with a key set NX (so two jest
// workers never share one), and release it by flushing.
export const BASE_URL = process.env.JFS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
export const CLAIM_KEY = '__jfs_test_claim';

export interface ClaimedDb {
  url: string;
  /** A plain client on the claimed database. */
  raw: Redis;
  /** Empty the database but keep the claim. */
  reset(): Promise<void>;
  release(): Promise<void>;
}

const FIRST_DB = 16;
const DB_COUNT = 24; // 16..39; other test files use fixed databases outside it

export async function claimRedisDb(): Promise<ClaimedDb> {
  // From a random database on: files claiming at once mostly find a free one at the first try.
  const start = Math.floor(Math.random() * DB_COUNT);
  for (let i = 0; i < DB_COUNT; i++) {
    const db = FIRST_DB + ((start + i) % DB_COUNT);
    const c = new Redis(`${BASE_URL}/${db}`, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
    } catch (err) {
      throw new Error(`Redis is not reachable at ${BASE_URL}: run bash scripts/services/redis.sh first (${String(err)})`);
    }
    if ((await c.set(CLAIM_KEY, String(process.pid), 'EX', 600, 'NX')) !== 'OK') {
      c.disconnect();
      continue;
    }
    // A run killed before its release leaves its keys behind once its claim has expired: start
    // from an empty database (all but our claim, in one atomic step).
    await c.eval("for _, k in ipairs(redis.call('KEYS', '*')) do if k ~= ARGV[1] then redis.call('DEL', k) end end return 0", 0, CLAIM_KEY);
    const reset = async () => {
      await c.flushdb();
      await c.set(CLAIM_KEY, String(process.pid), 'EX', 600);
    };
    return {
      url: `${BASE_URL}/${db}`,
      raw: c,
      reset,
      release: async () => {
        await c.flushdb();
        await c.quit();
      },
    };
  }
  throw new Error(`no free Redis test database in ${FIRST_DB}..${FIRST_DB + DB_COUNT - 1}`);
}
