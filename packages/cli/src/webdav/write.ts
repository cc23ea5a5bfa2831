import { hasCode } from '@juicefs/core';
import { header, type DavRequest } from './context.js';
import { submittedTokens } from './locks.js';
import { etagOf } from './props.js';
import { removeTree } from './remove.js';
import { hasBody, sendText, send } from './respond.js';
import { HttpError } from './status.js';

/** Bytes gathered from the request before one write to the file. */
const WRITE_BATCH = 1 << 20;

/** 423 when a lock on `path` (or above it; with `subtree` also below) is held by a token the request did not submit. */
export function checkLocks(r: DavRequest, path: string, subtree: boolean): void {
  const lock = r.locks.blocking(path, submittedTokens(header(r, 'if')), subtree);
  if (lock) throw new HttpError(423, `${path} is locked (lock root ${lock.root}); submit its token in an If header`);
}

/** The parent of a served path. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * PUT: the body streamed into the file (created, or truncated and rewritten), 201 when it was
 * created and 204 when it replaced one. A missing parent is 409, a collection 405.
 */
export async function handlePut(r: DavRequest): Promise<void> {
  if (header(r, 'content-range') !== undefined) throw new HttpError(400, 'partial PUT (Content-Range) is not supported');
  if (r.segments.length === 0) throw new HttpError(405, 'the root is a collection');
  checkLocks(r, r.path, false);
  const fs = r.settings.fs;
  const before = await fs.lstat(r.vpath).catch(() => undefined);
  if (before?.isDirectory()) throw new HttpError(405, `${r.path} is a collection`);
  let fd: number;
  try {
    fd = await fs.open(r.vpath, 'w', 0o666);
  } catch (err) {
    if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) throw new HttpError(409, `the parent of ${r.path} is not a collection`);
    throw err;
  }
  try {
    let batch: Buffer[] = [];
    let n = 0;
    for await (const chunk of r.req) {
      batch.push(chunk as Buffer);
      n += (chunk as Buffer).length;
      if (n >= WRITE_BATCH) {
        await fs.write(fd, Buffer.concat(batch, n));
        batch = [];
        n = 0;
      }
    }
    if (n > 0) await fs.write(fd, Buffer.concat(batch, n));
  } finally {
    await fs.close(fd);
  }
  const st = await fs.stat(r.vpath);
  await send(r.req, r.res, before ? 204 : 201, { etag: etagOf(st) }, undefined, false);
}

/** MKCOL: 201; 405 when the name exists, 409 without a parent collection, 415 with a body. */
export async function handleMkcol(r: DavRequest): Promise<void> {
  if (hasBody(r.req)) throw new HttpError(415, 'MKCOL with a body is not supported');
  checkLocks(r, r.path, false);
  try {
    await r.settings.fs.mkdir(r.vpath, { mode: 0o777 });
  } catch (err) {
    if (hasCode(err, 'EEXIST')) throw new HttpError(405, `${r.path} already exists`);
    if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) throw new HttpError(409, `the parent of ${r.path} is not a collection`);
    throw err;
  }
  await sendText(r.req, r.res, 201, '');
}

/** DELETE: a file, or a collection with all it holds (Depth must be infinity, or absent); 204. */
export async function handleDelete(r: DavRequest): Promise<void> {
  if (r.segments.length === 0) throw new HttpError(403, 'the root cannot be deleted');
  const depth = header(r, 'depth');
  const st = await r.settings.fs.lstat(r.vpath);
  if (st.isDirectory() && depth !== undefined && depth.trim().toLowerCase() !== 'infinity') throw new HttpError(400, 'DELETE of a collection needs Depth: infinity');
  checkLocks(r, r.path, true);
  await removeTree(r.settings.fs, r.vpath, r.settings.threads);
  r.locks.removeUnder(r.path);
  await sendText(r.req, r.res, 204, '');
}
