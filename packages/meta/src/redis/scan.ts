import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './connect.js';

/** Iterate a hash with HSCAN; `visit` returns false to stop early. */
export async function scanHash(
  client: RedisClient,
  key: string,
  match: string,
  visit: (field: string, value: string) => boolean,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, flat] = await client.hscan(key, cursor, 'MATCH', match, 'COUNT', 1000);
    for (let i = 0; i + 1 < flat.length; i += 2) if (!visit(flat[i]!, flat[i + 1]!)) return;
    cursor = next;
  } while (cursor !== '0');
}

/** Members of a sorted set matching a pattern. */
export async function scanSortedSet(client: RedisClient, key: string, match: string): Promise<string[]> {
  const out = new Set<string>();
  let cursor = '0';
  do {
    const [next, flat] = await client.zscan(key, cursor, 'MATCH', match, 'COUNT', 1000);
    for (let i = 0; i < flat.length; i += 2) out.add(flat[i]!);
    cursor = next;
  } while (cursor !== '0');
  return [...out];
}

/** Visit every key matching a pattern; on a cluster, on each master (SCAN has no key to route by). */
export async function scanKeys(client: RedisClient, match: string, visit: (keys: string[]) => Promise<void> | void): Promise<void> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      if (keys.length > 0) await visit(keys);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** Delete every key matching a pattern (the volume's keys under a cluster prefix). */
export async function deleteAllKeys(client: RedisClient, match: string): Promise<void> {
  await scanKeys(client, match, async (keys) => {
    await client.unlink(...keys);
  });
}
