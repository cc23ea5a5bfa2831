import type { EngineStore } from '../base/store.js';
import type { RedisEngine } from '../redis/engine.js';
import type { DumpExtras, LoadExtras } from './extras.js';
import { redisExtras } from './redis-extras.js';
import type { SqlEngine } from '../sql/engine.js';
import { sqlExtras } from './sql-extras.js';

/**
 * The quota and ACL access dump/load need, for the Redis and SQL engines; other engines (memory)
 * return undefined, and load then reports quotas and ACLs as not restored.
 */
export function engineExtras(store: EngineStore): (DumpExtras & LoadExtras) | undefined {
  // By name, not instanceof: engines load lazily and this must not pull in the Redis client.
  if (store.name === 'redis' && 'client' in store) return redisExtras(store as RedisEngine);
  if ((store.name === 'sqlite3' || store.name === 'postgres' || store.name === 'mysql') && 'raw' in store) return sqlExtras(store as SqlEngine);
  return undefined;
}
