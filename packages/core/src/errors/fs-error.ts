import { ERRNO, isErrnoCode, type ErrnoCode } from './errno.js';

/**
 * Answers a file system gives every second as part of normal work (a lookup of a name about to
 * be created, a missing xattr, a busy lock): they are built without a stack trace. Capturing one
 * walks the whole async stack and was 5% of the mount's CPU time in a small-file benchmark, for a
 * trace nobody reads. JFS_ERROR_STACKS=1 keeps them for debugging.
 */
const ROUTINE: ReadonlySet<ErrnoCode> = new Set<ErrnoCode>(['ENOENT', 'ENODATA', 'EEXIST', 'ENOTEMPTY', 'EAGAIN', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'ERANGE', 'EINTR']);
const keepStacks = typeof process !== 'undefined' && process.env['JFS_ERROR_STACKS'] === '1';

/**
 * Turn stack traces off for the errors made until restoreStackTraces, returning the limit to
 * restore. Not by setting Error.stackTraceLimit to 0: V8 still starts the walk then, and
 * translating the optimized frame on top was 2.1% of a mount's samples under the EAGAIN reads of
 * the FUSE spin (gone with this). A limit that is not a number skips the capture altogether: 188
 * against 365 ns an error in a loop. Errors made meanwhile have no `stack` of their own.
 */
export function stopStackTraces(): number {
  const limit = Error.stackTraceLimit;
  (Error as { stackTraceLimit: unknown }).stackTraceLimit = undefined;
  return limit;
}

/** Undo stopStackTraces. */
export function restoreStackTraces(limit: number): void {
  Error.stackTraceLimit = limit;
}

/**
 * The one error type of the project. Match on `code` (an errno name), never on `instanceof`:
 * errors cross package boundaries and may be re-created. The message names the cause and,
 * where there is one, the fix.
 */
export class FsError extends Error {
  readonly code: ErrnoCode;
  readonly errno: number;

  constructor(code: ErrnoCode, message: string, options?: { cause?: unknown }) {
    const quiet = !keepStacks && ROUTINE.has(code);
    const limit = quiet ? stopStackTraces() : 0;
    try {
      super(`${code}: ${message}`, options);
    } finally {
      if (quiet) restoreStackTraces(limit);
    }
    this.name = 'FsError';
    this.code = code;
    this.errno = ERRNO[code];
    // What a trace limited to no frames would have held, for code that reads `stack`.
    if (quiet) this.stack = `FsError: ${this.message}`;
  }
}

/** Shorthand: `throw fsError('ENOENT', 'no entry "a" in directory 1')`. */
export function fsError(code: ErrnoCode, message: string, cause?: unknown): FsError {
  return cause === undefined ? new FsError(code, message) : new FsError(code, message, { cause });
}

/** True when `err` carries the errno `code` (works for FsError and Node's own system errors). */
export function hasCode(err: unknown, code: ErrnoCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** The errno name carried by any error, or EIO when it has none we know. */
export function errnoOf(err: unknown): ErrnoCode {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return isErrnoCode(code) ? code : 'EIO';
}
