import { Redis } from 'ioredis';
import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { clientsEnv } from './clients-env.js';
import { createRedisEngine } from '../src/redis/index.js';

// The whole Meta conformance suite on BaseMeta over the Redis engine, against the real server of
// scripts/services/redis.sh. Every volume gets a database of its own, claimed with a NX key so
// parallel test files never share one (range 16..39; the other Redis test files use the same claim).
const BASE_URL = process.env.JFS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const CLAIM_KEY = '__jfs_test_claim';
const FIRST_DB = 16;
const DB_COUNT = 24; // 16..39; other test files use fixed databases outside it

async function connect(db: number): Promise<Redis> {
  const c = new Redis(`${BASE_URL}/${db}`, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${BASE_URL}: run bash scripts/services/redis.sh first (${String(err)})`);
  }
  return c;
}

async function claimDb(): Promise<{ url: string; raw: Redis }> {
  const start = Math.floor(Math.random() * DB_COUNT);
  for (let i = 0; i < DB_COUNT; i++) {
    const db = FIRST_DB + ((start + i) % DB_COUNT);
    const raw = await connect(db);
    if ((await raw.set(CLAIM_KEY, String(process.pid), 'EX', 600, 'NX')) === 'OK') {
      await raw.flushdb();
      await raw.set(CLAIM_KEY, String(process.pid), 'EX', 600);
      return { url: `${BASE_URL}/${db}`, raw };
    }
    raw.disconnect();
  }
  throw new Error(`no free Redis test database in ${FIRST_DB}..${FIRST_DB + DB_COUNT - 1}`);
}

metaConformance('redis', async () => {
  const { url, raw } = await claimDb();
  return clientsEnv(
    async () => new BaseMeta(await createRedisEngine(url)),
    async () => {
      await raw.flushdb(); // also drops the claim
      await raw.quit();
    },
  );
});
