import { fsError, type ListOptions, type ObjectInfo, type ObjectStorage, type PutOptions, type RestoreState } from '@juicefs/core';
import { compareKeys } from './compare.js';

/** FNV-1a, 32 bits, over the UTF-8 bytes of `key`. */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(key, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** `--bucket` of a sharded volume is a printf pattern with one integer verb (`%d`). */
export function shardBuckets(pattern: string, shards: number): string[] {
  if (!/%d/.test(pattern)) throw fsError('EINVAL', `--bucket "${pattern}" needs a %d for --shards ${shards}`);
  return Array.from({ length: shards }, (_, i) => pattern.replace('%d', String(i)));
}

/**
 * A volume spread over several buckets (FORMAT.md 7.4): each key goes to bucket
 * FNV-1a-32(full key) mod N. Sits below the `<Name>/` prefix, since the hash covers it.
 */
export function withShards(shards: ObjectStorage[]): ObjectStorage {
  if (shards.length === 0) throw fsError('EINVAL', 'sharded storage needs at least one bucket');
  const of = (key: string): ObjectStorage => shards[fnv1a32(key) % shards.length] as ObjectStorage;
  return {
    description: `shards(${shards.map((s) => s.description).join(',')})`,
    create: async () => {
      await Promise.all(shards.map((s) => s.create()));
    },
    get: (key: string, offset?: number, limit?: number) => of(key).get(key, offset, limit),
    put: (key: string, data: Buffer, o?: PutOptions) => of(key).put(key, data, o),
    delete: (key: string) => of(key).delete(key),
    localFile: (key: string) => of(key).localFile?.(key),
    ...(shards.some((s) => s.restore) ? { restore: (key: string) => of(key).restore?.(key) ?? Promise.resolve<RestoreState>('not-archived') } : {}),
    head: (key: string) => of(key).head(key),
    list: async (prefix: string, options: ListOptions = {}) => {
      // Each shard's page holds the first `limit` of its keys; the merged first `limit` are among them.
      const pages = await Promise.all(shards.map((s) => s.list(prefix, options)));
      const seen = new Set<string>();
      const all: ObjectInfo[] = [];
      for (const i of pages.flat()) {
        if (seen.has(i.key)) continue; // directories may appear in several shards
        seen.add(i.key);
        all.push(i);
      }
      all.sort((a, b) => compareKeys(a.key, b.key));
      return options.limit !== undefined && options.limit >= 0 ? all.slice(0, options.limit) : all;
    },
  };
}
