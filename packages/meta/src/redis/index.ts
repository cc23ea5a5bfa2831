import type { EngineStore } from '../base/store.js';
import { openClient } from './connect.js';
import { RedisEngine } from './engine.js';
import { parseRedisUrl } from './url.js';

export { RedisEngine } from './engine.js';
export { RedisKeys } from './keys.js';
export { parseRedisUrl, redact, type RedisTarget } from './url.js';

/**
 * Open the Redis metadata engine for a meta URL (`redis://`, `rediss://`, `unix://`, Sentinel,
 * Redis Cluster).
 * Fails promptly, naming the address, when the server cannot be reached.
 */
export async function createRedisEngine(url: string): Promise<EngineStore> {
  const target = parseRedisUrl(url);
  const { client, prefix } = await openClient(target);
  return new RedisEngine(client, target, prefix);
}
