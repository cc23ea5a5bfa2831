import { fsError, type FsError } from '@juicefs/core';

// OpenDAL errors reach JS as plain Errors whose message starts with "<Kind> (<status>) at <op>".
// We turn them into FsErrors with an errno code; `transient` marks the ones worth retrying.

const KIND = /^(\w+) \((permanent|temporary|persistent)\)/;

export interface StorageFailure extends FsError {
  /** True when retrying the same call may succeed (network trouble, throttling, 5xx). */
  transient?: boolean;
}

/**
 * The message of any thrown value. Errors from the native binding fail `instanceof Error` under
 * jest's sandboxed realms, so this does not rely on it.
 */
export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** True when `err` is an OpenDAL NotFound. */
export function isNotFound(err: unknown): boolean {
  return messageOf(err).startsWith('NotFound ');
}

/** Maps an OpenDAL error for `op` on `key` in storage `where` to an FsError. */
export function toStorageError(err: unknown, op: string, key: string, where: string): StorageFailure {
  if (typeof err === 'object' && err !== null && 'errno' in err && 'code' in err && (err as FsError).name === 'FsError') {
    return err as FsError;
  }
  const message = messageOf(err);
  const m = KIND.exec(message);
  const kind = m?.[1] ?? 'Unexpected';
  const status = m?.[2] ?? 'temporary';
  let out: StorageFailure;
  if (kind === 'NotFound') {
    out = fsError('ENOENT', `${op} ${key}: no such object in ${where}`, err);
  } else if (kind === 'PermissionDenied') {
    out = fsError('EACCES', `${op} ${key}: access denied by ${where}; check the access key and secret key`, err);
  } else if (kind === 'ConfigInvalid' && /NoSuchBucket/.test(message)) {
    out = fsError('ENOENT', `${op} ${key}: bucket of ${where} does not exist; create it or fix --bucket`, err);
  } else if (kind === 'ConfigInvalid' || kind === 'Unsupported') {
    out = fsError('EINVAL', `${op} ${key}: ${where} rejected the request (${kind}): ${message}`, err);
  } else if (kind === 'RangeNotSatisfied') {
    out = fsError('EINVAL', `${op} ${key}: range not satisfiable in ${where}`, err);
  } else if (kind === 'IsADirectory' || kind === 'NotADirectory' || kind === 'AlreadyExists') {
    out = fsError('EIO', `${op} ${key}: ${kind} in ${where}`, err);
  } else {
    out = fsError('EIO', `${op} ${key} on ${where} failed: ${message}`, err);
    out.transient = status === 'temporary' || kind === 'RateLimited';
  }
  return out;
}
