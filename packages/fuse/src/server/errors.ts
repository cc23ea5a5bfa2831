import { ERRNO, isErrnoCode } from '@juicefs/core';

export type Logger = (message: string) => void;

/**
 * The errno a failed handler call answers with: the error's `code` (an errno name, as FsError
 * and Node's system errors carry) mapped one to one. Anything else is a bug or an unexpected
 * failure: EIO, with a log line so it is not lost.
 */
export function errnoFor(err: unknown, op: string, log: Logger): number {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (isErrnoCode(code)) return ERRNO[code];
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  log(`fuse: ${op} failed with an error that has no errno code, answering EIO: ${text}`);
  return ERRNO.EIO;
}

export const EPROTO = 71;
