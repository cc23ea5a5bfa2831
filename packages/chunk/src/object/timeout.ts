import { fsError, type ListOptions, type ObjectStorage, type PutOptions } from '@juicefs/core';
import type { StorageFailure } from './errors.js';

/** `--get-timeout` / `--put-timeout`, in milliseconds; 0 or absent: no bound. */
export interface CallTimeouts {
  getMs?: number;
  putMs?: number;
}

/**
 * Waits for `call` at most `ms`. Past that it fails with a transient EIO, so the retry layer
 * above tries again. OpenDAL's JS binding cannot cancel a request, so the late call runs on
 * unobserved; its result, or its error, is dropped.
 */
function bounded<T>(call: Promise<T>, ms: number, what: string, flag: string): Promise<T> {
  if (!(ms > 0)) return call;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const e: StorageFailure = fsError('EIO', `${what} had no answer within ${ms / 1000} s (${flag})`);
      e.transient = true;
      reject(e);
    }, ms);
    call.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Bounds each GET by `getMs` and each PUT and DELETE by `putMs`, as JuiceFS bounds them
 * (pkg/chunk/cached_store.go: load and partial reads under GetTimeout, put and delete under
 * PutTimeout). Listings and heads are left alone there too.
 */
export function withTimeouts(inner: ObjectStorage, t: CallTimeouts): ObjectStorage {
  const getMs = t.getMs ?? 0;
  const putMs = t.putMs ?? 0;
  if (getMs <= 0 && putMs <= 0) return inner;
  const where = inner.description;
  return {
    description: where,
    create: () => inner.create(),
    get: (key: string, offset?: number, limit?: number) =>
      bounded(inner.get(key, offset, limit), getMs, `get ${key} on ${where}`, '--get-timeout'),
    put: (key: string, data: Buffer, o?: PutOptions) => bounded(inner.put(key, data, o), putMs, `put ${key} on ${where}`, '--put-timeout'),
    delete: (key: string) => bounded(inner.delete(key), putMs, `delete ${key} on ${where}`, '--put-timeout'),
    localFile: (key: string) => inner.localFile?.(key),
    ...(inner.restore ? { restore: (key: string) => bounded(inner.restore!(key), putMs, `restore ${key} on ${where}`, '--put-timeout') } : {}),
    head: (key: string) => inner.head(key),
    list: (prefix: string, opts?: ListOptions) => inner.list(prefix, opts),
  };
}
