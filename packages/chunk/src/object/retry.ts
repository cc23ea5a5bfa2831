import { fsError, type ListOptions, type ObjectInfo, type ObjectStorage, type PutOptions } from '@juicefs/core';

/** JuiceFS's `--io-retries` default: retries after a failed first attempt. */
export const DEFAULT_IO_RETRIES = 10;

export interface RetryOptions {
  /**
   * `--io-retries`: how many times a call is tried again after a transient failure, so a call
   * makes at most `retries + 1` attempts (JuiceFS's meaning; default 10). The waits follow
   * JuiceFS's schedule (see `juicefsDelayMs`) unless `baseDelayMs` is given.
   */
  retries?: number;
  /** Total attempts per call, the first included; overrides `retries` (tools that want few). */
  attempts?: number;
  /** Exponential backoff instead of JuiceFS's schedule: the delay before the second attempt, doubled each time. */
  baseDelayMs?: number;
  /** Upper bound of one exponential delay (default 5 s). */
  maxDelayMs?: number;
  /**
   * Told of each failed attempt and of giving up, as JuiceFS logs each failed request: the EIO a
   * user sees says nothing of what the bucket did, the mount's log does.
   */
  log?: (message: string) => void;
}

/** Reads or writes: JuiceFS waits differently before retrying each. */
export type RetryKind = 'read' | 'write';

/**
 * The wait before retry number `n` (1-based), as JuiceFS waits: a read is retried by its reader
 * after (n-1)·300 ms + 1 ms, 10 s from the 30th on (pkg/vfs/reader.go retry_time); an upload
 * sleeps n² seconds before its n-th retry (pkg/chunk/cached_store.go upload).
 */
export function juicefsDelayMs(kind: RetryKind, n: number): number {
  if (kind === 'read') return n < 30 ? (n - 1) * 300 + 1 : 10_000;
  return n * n * 1000;
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

/** The message of a thrown value without the "EIO: " an FsError starts with (the new error adds its own). */
function messageOf(err: unknown): string {
  const m = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string'
    ? (err as { message: string }).message
    : String(err);
  return m.replace(/^E[A-Z]+: /, '');
}

/**
 * Runs `fn` until it succeeds, fails permanently, or runs out of attempts. A transient failure
 * that outlasts every attempt becomes an EIO saying how many were made, so the log line behind a
 * user's EIO tells retries from a first failure.
 */
export async function retrying<T>(fn: () => Promise<T>, options: RetryOptions = {}, kind: RetryKind = 'read'): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? (options.retries ?? DEFAULT_IO_RETRIES) + 1);
  const base = options.baseDelayMs;
  const max = options.maxDelayMs ?? 5000;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err)) throw err;
      if (i >= attempts) {
        if (attempts === 1) {
          options.log?.(`${messageOf(err)}; not retried (--io-retries 0)`);
          throw err;
        }
        const final = fsError('EIO', `${messageOf(err)}; gave up after ${attempts} attempts (--io-retries ${attempts - 1})`, err);
        options.log?.(final.message);
        throw final;
      }
      let delay: number;
      if (base === undefined) {
        delay = juicefsDelayMs(kind, i);
      } else {
        const d = Math.min(max, base * 2 ** (i - 1));
        delay = d / 2 + Math.random() * (d / 2);
      }
      options.log?.(`${messageOf(err)}; attempt ${i} of ${attempts}, next in ${Math.round(delay)} ms`);
      await sleep(delay);
    }
  }
}

/** The same storage, with each call retried on transient failures. */
export function withRetry(inner: ObjectStorage, options: RetryOptions = {}): ObjectStorage {
  const read = <T>(fn: () => Promise<T>): Promise<T> => retrying(fn, options, 'read');
  const write = <T>(fn: () => Promise<T>): Promise<T> => retrying(fn, options, 'write');
  return {
    description: inner.description,
    create: () => write(() => inner.create()),
    get: (key: string, offset?: number, limit?: number) => read(() => inner.get(key, offset, limit)),
    put: (key: string, data: Buffer, o?: PutOptions) => write(() => inner.put(key, data, o)),
    delete: (key: string) => write(() => inner.delete(key)),
    localFile: (key: string) => inner.localFile?.(key),
    ...(inner.restore ? { restore: (key: string) => write(() => inner.restore!(key)) } : {}),
    head: (key: string): Promise<ObjectInfo> => read(() => inner.head(key)),
    list: (prefix: string, opts?: ListOptions) => read(() => inner.list(prefix, opts)),
  };
}
