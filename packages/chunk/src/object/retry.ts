import type { ListOptions, ObjectInfo, ObjectStorage } from '@juicefs/core';

export interface RetryOptions {
  /** Total attempts per call, the first included (default 5). */
  attempts?: number;
  /** Delay before the second attempt, doubled each time (default 100 ms). */
  baseDelayMs?: number;
  /** Upper bound of one delay (default 5 s). */
  maxDelayMs?: number;
}

/**
 * Transient failures are worth another try; anything with an errno other than EIO, or an EIO
 * explicitly marked permanent (`transient === false`), is not: a missing key or bucket, or a
 * refused key, fails at once with the message that names it.
 */
export function isTransient(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return true;
  const e = err as { code?: unknown; transient?: unknown };
  if (e.transient === true) return true;
  if (e.transient === false) return false;
  return e.code === undefined || e.code === 'EIO' || e.code === 'EAGAIN' || e.code === 'ETIMEDOUT';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` until it succeeds, fails permanently, or runs out of attempts (exponential backoff with jitter). */
export async function retrying<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const base = options.baseDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5000;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isTransient(err)) throw err;
      const delay = Math.min(max, base * 2 ** (i - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}

/** The same storage, with each call retried on transient failures. */
export function withRetry(inner: ObjectStorage, options: RetryOptions = {}): ObjectStorage {
  const r = <T>(fn: () => Promise<T>): Promise<T> => retrying(fn, options);
  return {
    description: inner.description,
    create: () => r(() => inner.create()),
    get: (key: string, offset?: number, limit?: number) => r(() => inner.get(key, offset, limit)),
    put: (key: string, data: Buffer) => r(() => inner.put(key, data)),
    delete: (key: string) => r(() => inner.delete(key)),
    localFile: (key: string) => inner.localFile?.(key),
    head: (key: string): Promise<ObjectInfo> => r(() => inner.head(key)),
    list: (prefix: string, opts?: ListOptions) => r(() => inner.list(prefix, opts)),
  };
}
