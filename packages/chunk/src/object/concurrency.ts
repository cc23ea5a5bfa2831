import type { ListOptions, ObjectStorage, PutOptions } from '@juicefs/core';
import { Limiter } from '../store/limiter.js';

/** How many calls of a kind may be on the wire at once; absent or not positive: no bound. */
export interface ConcurrencyLimits {
  /** `--max-downloads` (JuiceFS default 200): object GETs at once. */
  gets?: number;
  /** `--max-deletes` (JuiceFS default 10): object DELETEs at once. */
  deletes?: number;
}

const limiterOf = (n: number | undefined): Limiter | undefined => (n !== undefined && n > 0 ? new Limiter(Math.floor(n)) : undefined);

/**
 * Bounds the GETs and DELETEs in flight. It sits below the retry layer, so a call waiting to be
 * retried holds no slot, and above the timeouts, so a call given up frees its slot.
 */
export function withConcurrencyLimits(inner: ObjectStorage, limits: ConcurrencyLimits): ObjectStorage {
  const gets = limiterOf(limits.gets);
  const deletes = limiterOf(limits.deletes);
  if (!gets && !deletes) return inner;
  return {
    description: inner.description,
    create: () => inner.create(),
    get: (key: string, offset?: number, limit?: number) =>
      gets ? gets.run(() => inner.get(key, offset, limit)) : inner.get(key, offset, limit),
    put: (key: string, data: Buffer, o?: PutOptions) => inner.put(key, data, o),
    delete: (key: string) => (deletes ? deletes.run(() => inner.delete(key)) : inner.delete(key)),
    localFile: (key: string) => inner.localFile?.(key),
    ...(inner.restore ? { restore: (key: string) => inner.restore!(key) } : {}),
    head: (key: string) => inner.head(key),
    list: (prefix: string, opts?: ListOptions) => inner.list(prefix, opts),
  };
}
