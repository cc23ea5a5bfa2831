import { STATUS_CODES } from 'node:http';

/**
 * The HTTP status for a failed file operation, by errno (the codes of FsError and Node's fs).
 * EEXIST is 405 here (MKCOL on an existing name); COPY/MOVE decide Overwrite: F (412) before
 * they call anything that could fail with it.
 */
const BY_ERRNO: Record<string, number> = {
  ENOENT: 404,
  ENOTDIR: 409,
  EISDIR: 409,
  ENOTEMPTY: 409,
  EEXIST: 405,
  EACCES: 403,
  EPERM: 403,
  EROFS: 403,
  ENOSPC: 507,
  EDQUOT: 507,
  EFBIG: 507,
  ENAMETOOLONG: 400,
  EINVAL: 400,
  ELOOP: 508,
  EXDEV: 502,
  EBUSY: 423,
};

export function errnoStatus(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? (BY_ERRNO[code] ?? 500) : 500;
}

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `HTTP/1.1 207 Multi-Status`, as multistatus bodies write statuses. */
export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`;
}

/** An error to answer with: the status, and text for the body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
