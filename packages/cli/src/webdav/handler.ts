import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DavRequest, DavSettings } from './context.js';
import { handleCopyMove } from './copymove.js';
import { handleGet } from './get.js';
import { handleLock, handleUnlock } from './lock.js';
import { LockManager } from './locks.js';
import { BadPath, isInternalPath, urlSegments, volumePath } from './paths.js';
import { handlePropfind } from './propfind.js';
import { handleProppatch } from './proppatch.js';
import { sendText } from './respond.js';
import { errnoCode, errnoStatus, HttpError } from './status.js';
import { handleDelete, handleMkcol, handlePut } from './write.js';

type Method = (r: DavRequest) => Promise<void>;

const METHODS: Record<string, Method> = {
  OPTIONS: handleOptions,
  GET: handleGet,
  HEAD: handleGet,
  // Go's server answers POST as GET.
  POST: handleGet,
  PUT: handlePut,
  DELETE: handleDelete,
  MKCOL: handleMkcol,
  COPY: handleCopyMove,
  MOVE: handleCopyMove,
  PROPFIND: (r) => handlePropfind(r),
  PROPPATCH: handleProppatch,
  LOCK: handleLock,
  UNLOCK: handleUnlock,
};

/** OPTIONS: DAV classes 1 and 2, and the methods that apply to what the path names (as Go's server lists them). */
async function handleOptions(r: DavRequest): Promise<void> {
  const st = await r.settings.fs.stat(r.vpath).catch(() => undefined);
  const allow = !st
    ? 'OPTIONS, LOCK, PUT, MKCOL'
    : st.isDirectory()
      ? 'OPTIONS, LOCK, DELETE, PROPPATCH, COPY, MOVE, UNLOCK, PROPFIND'
      : 'OPTIONS, LOCK, GET, HEAD, POST, DELETE, PROPPATCH, COPY, MOVE, UNLOCK, PROPFIND, PUT';
  await sendText(r.req, r.res, 200, '', { allow, dav: '1, 2', 'ms-author-via': 'DAV' });
}

function sameSecret(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Basic auth as JuiceFS checks it: required only when both a user and a password are configured. */
function authorized(req: IncomingMessage, s: DavSettings): boolean {
  if (!s.username || !s.password) return true;
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, whatever the first gives, so timing does not tell which one was wrong.
  const user = sameSecret(decoded.slice(0, colon), s.username);
  const pass = sameSecret(decoded.slice(colon + 1), s.password);
  return user && pass;
}

export interface DavLog {
  debug(message: string): void;
  warn(message: string): void;
}

/**
 * The request handler of the WebDAV server over `settings.fs`. Failures become statuses by
 * errno (see status.ts); anything unexpected is a 500 and a warning in the log.
 */
export function davHandler(settings: DavSettings, log: DavLog, locks = new LockManager()): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(req, res, settings, locks, log);
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, settings: DavSettings, locks: LockManager, log: DavLog): Promise<void> {
  const method = req.method ?? 'GET';
  const what = `WEBDAV [${method}] ${req.url ?? ''}`;
  try {
    if (!authorized(req, settings)) {
      req.resume();
      await sendText(req, res, 401, 'WebDAV: need authorized!', { 'www-authenticate': 'Basic realm="Restricted"' });
      log.debug(`${what}: 401`);
      return;
    }
    const handle = METHODS[method];
    if (!handle) throw new HttpError(405, `${method} is not a WebDAV method this server knows`);
    let segments: string[];
    try {
      segments = urlSegments(new URL(req.url ?? '/', 'http://x').pathname);
    } catch (err) {
      if (err instanceof BadPath) throw new HttpError(400, err.message);
      throw err;
    }
    const vpath = volumePath(settings.root, segments);
    if (isInternalPath(vpath)) throw new HttpError(404, `${req.url ?? ''} does not exist`);
    await handle({ req, res, settings, locks, segments, path: '/' + segments.join('/'), vpath });
    log.debug(`${what}: ${res.statusCode}`);
  } catch (err) {
    const status = err instanceof HttpError ? err.status : errnoStatus(err);
    if (status >= 500 && status !== 501 && status !== 507) log.warn(`${what}: ${status} ${errnoCode(err) ?? ''} ${(err as Error).message}`);
    else log.debug(`${what}: ${status} ${(err as Error).message}`);
    if (res.headersSent) {
      res.destroy(); // a streamed body broke off: the client must not take it as complete
      return;
    }
    // An unread request body would otherwise stall the connection.
    req.resume();
    await sendText(req, res, status, (err as Error).message, status === 405 && !(method in METHODS) ? { allow: Object.keys(METHODS).join(', ') } : {}).catch(() => res.destroy());
  }
}
