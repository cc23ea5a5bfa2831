import type { EngineStore } from '../base/store.js';
import type { RedisEngine } from '../redis/engine.js';
import type { DumpExtras, LoadExtras } from './extras.js';
import { redisExtras } from './redis-extras.js';

/**
 * The quota and ACL access dump/load need, for engines that have it here (Redis so far); SQL
 * engines return undefined, and load then reports quotas and ACLs as not restored.
 */
export function engineExtras(store: EngineStore): (DumpExtras & LoadExtras) | undefined {
  // By name, not instanceof: engines load lazily and this must not pull in the Redis client.
  return store.name === 'redis' && 'client' in store ? redisExtras(store as RedisEngine) : undefined;
}
