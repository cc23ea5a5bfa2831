import { metaConformance } from '@juicefs/core/conformance';
import { BaseMeta } from '../src/base/base-meta.js';
import { clientsEnv } from './clients-env.js';
import { claimRedisDb } from './redis-claim.js';
import { createRedisEngine } from '../src/redis/index.js';

// The whole Meta conformance suite on BaseMeta over the Redis engine, against the real server of
// scripts/services/redis.sh. Every volume gets a database of its own, claimed with a NX key so
// parallel test files never share one (range 16..39; the other Redis test files use the same claim).
metaConformance('redis', async () => {
  const db = await claimRedisDb();
  await db.reset();
  return clientsEnv(async () => new BaseMeta(await createRedisEngine(db.url)), () => db.release());
});
