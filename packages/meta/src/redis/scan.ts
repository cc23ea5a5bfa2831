import type { Redis } from 'ioredis';

/** Iterate a hash with HSCAN; `visit` returns false to stop early. */
export async function scanHash(
  client: Redis,
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
export async function scanSortedSet(client: Redis, key: string, match: string): Promise<string[]> {
  const out = new Set<string>();
  let cursor = '0';
  do {
    const [next, flat] = await client.zscan(key, cursor, 'MATCH', match, 'COUNT', 1000);
    for (let i = 0; i < flat.length; i += 2) out.add(flat[i]!);
    cursor = next;
  } while (cursor !== '0');
  return [...out];
}

/** Delete every key matching a pattern (the volume's keys under a cluster prefix). */
export async function deleteAllKeys(client: Redis, match: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
