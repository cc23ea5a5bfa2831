/**
 * Which cached blocks go when the disk cache is over its bounds (`--cache-eviction`), as JuiceFS
 * 1.x chooses them (pkg/chunk/cache_eviction.go):
 * - `2-random` (default): take blocks two at a time in random order and drop the one used longer
 *   ago; a block past `--cache-expire` goes at once. Cheap, and close to LRU on large caches.
 * - `lru`: the least recently used first.
 * - `none`: nothing is ever evicted; a full cache stops taking blocks instead.
 */
export const CACHE_EVICTIONS = ['2-random', 'lru', 'none'] as const;
export type CacheEviction = (typeof CACHE_EVICTIONS)[number];

/** What the index knows of a cached block. */
export interface CachedBlock {
  /** The block's length (its file may be longer: checksums). */
  size: number;
  /** Last use, ms since the epoch (from the file's atime when found by a scan). */
  atime: number;
}

/**
 * Keys of `index` in the order `policy` evicts them; the caller stops taking when it has freed
 * enough. `expiredBefore`: blocks last used before this time are taken first by `2-random`.
 */
export function* evictionOrder(policy: CacheEviction, index: ReadonlyMap<string, CachedBlock>, expiredBefore = 0): Generator<string> {
  if (policy === 'none') return;
  const keys = [...index.keys()];
  if (policy === 'lru') {
    keys.sort((a, b) => index.get(a)!.atime - index.get(b)!.atime);
    yield* keys;
    return;
  }
  // A lazy Fisher-Yates shuffle: each step draws one of the keys not drawn yet.
  let left = keys.length;
  const draw = (): string => {
    const i = Math.floor(Math.random() * left);
    const k = keys[i]!;
    keys[i] = keys[--left]!;
    return k;
  };
  let held: string | undefined;
  while (left > 0) {
    const k = draw();
    const e = index.get(k);
    if (!e) continue;
    if (expiredBefore > 0 && e.atime < expiredBefore) {
      yield k;
      continue;
    }
    if (held === undefined) {
      held = k;
      continue;
    }
    // A pair: the one used longer ago goes, the other is left for a later round.
    const h = index.get(held);
    yield !h || e.atime < h.atime ? k : held;
    held = undefined;
  }
  // A block left without a pair stays: the caller goes round again if it needs more.
}
