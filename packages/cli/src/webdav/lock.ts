import { hasCode } from '@juicefs/core';
import { header, type DavRequest } from './context.js';
import { parseTimeout, submittedTokens, type DavLock } from './locks.js';
import { activeLock } from './props.js';
import { readBody, send } from './respond.js';
import { HttpError } from './status.js';
import { DAV, XML_HEADER, davBody, davChild, type XmlElement } from './xml.js';

function lockAnswer(r: DavRequest, status: number, lock: DavLock, withToken: boolean): Promise<void> {
  const body = `${XML_HEADER}<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLock(lock)}</D:lockdiscovery></D:prop>\n`;
  return send(r.req, r.res, status, { 'content-type': 'application/xml; charset=utf-8', ...(withToken ? { 'lock-token': `<${lock.token}>` } : {}) }, body, r.settings.gzip);
}

/**
 * LOCK: a new exclusive write lock (shared ones are 501, as in Go's server), 423 when another
 * lock is in the way; on a name that does not exist an empty file is made (201). Without a
 * body it refreshes the lock whose token the If header submits (412 if none).
 */
export async function handleLock(r: DavRequest): Promise<void> {
  const timeout = parseTimeout(header(r, 'timeout'));
  const body = await readBody(r.req);
  if (body.trim() === '') {
    const lock = r.locks.refresh(r.path, submittedTokens(header(r, 'if')), timeout);
    if (!lock) throw new HttpError(412, 'no lock to refresh: submit its token in an If header');
    return lockAnswer(r, 200, lock, false);
  }
  const info = davBody(body, 'LOCK', 'lockinfo');
  const scope = davChild(info, 'lockscope');
  if (!scope || !davChild(scope, 'exclusive') || !davChild(davChild(info, 'locktype') ?? info, 'write')) throw new HttpError(501, 'only exclusive write locks are supported');
  const d = (header(r, 'depth') ?? 'infinity').trim().toLowerCase();
  if (d !== '0' && d !== 'infinity') throw new HttpError(400, `Depth: ${d} is not allowed for LOCK`);
  const made = r.locks.create(r.path, d === '0' ? 0 : 'infinity', davChild(info, 'owner')?.raw.trim() ?? '', timeout);
  if ('conflict' in made) throw new HttpError(423, `${r.path} is locked (lock root ${made.conflict.root})`);
  let created = false;
  try {
    await r.settings.fs.lstat(r.vpath);
  } catch (err) {
    if (!hasCode(err, 'ENOENT')) throw err;
    try {
      // A lock-null resource is an empty file since RFC 4918 (7.3), as Go's server makes it.
      await r.settings.fs.close(await r.settings.fs.open(r.vpath, 'wx', 0o666));
      created = true;
    } catch (e) {
      r.locks.unlock(r.path, made.lock.token);
      if (hasCode(e, 'ENOENT') || hasCode(e, 'ENOTDIR')) throw new HttpError(409, `the parent of ${r.path} is not a collection`);
      throw e;
    }
  }
  return lockAnswer(r, created ? 201 : 200, made.lock, true);
}

/** UNLOCK: the lock named by Lock-Token, if it covers the resource (409 otherwise); 204. */
export async function handleUnlock(r: DavRequest): Promise<void> {
  const token = /^\s*<([^>]+)>\s*$/.exec(header(r, 'lock-token') ?? '')?.[1];
  if (token === undefined) throw new HttpError(400, 'Lock-Token header missing or not <token>');
  if (!r.locks.unlock(r.path, token)) throw new HttpError(409, `${token} is no lock on ${r.path}`);
  await send(r.req, r.res, 204, {}, undefined, false);
}
