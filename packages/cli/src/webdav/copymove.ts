import { hasCode, type JuiceFS } from '@juicefs/core';
import { header, type DavRequest } from './context.js';
import { isUnder } from './locks.js';
import { BadPath, destinationPath, isInternalPath, urlSegments, volumePath } from './paths.js';
import { removeTree } from './remove.js';
import { sendText } from './respond.js';
import { HttpError } from './status.js';
import { checkLocks, parentOf } from './write.js';

/** Copy `src` to `dst` (which does not exist): files share their slices, directories are made and, with depth infinity, filled. */
export async function copyTree(fs: JuiceFS, src: string, dst: string, depth: 0 | 'infinity'): Promise<void> {
  const st = await fs.lstat(src);
  if (st.isSymbolicLink()) return fs.symlink(await fs.readlink(src), dst);
  if (!st.isDirectory()) return fs.copyFile(src, dst);
  await fs.mkdir(dst, { mode: st.mode & 0o7777 });
  if (depth === 0) return;
  for (const e of await fs.readdirEntries(src)) await copyTree(fs, `${src}/${e.name}`, `${dst}/${e.name}`, depth);
}

/**
 * COPY and MOVE (RFC 4918 9.8, 9.9): Destination on this server, Overwrite T (default) or F,
 * Depth 0 or infinity for COPY and infinity only for MOVE. 201 when the destination was made,
 * 204 when it replaced something (removed first, as Go's server does); 412 for Overwrite: F on
 * an existing destination, 409 when its parent is missing, 403 onto itself or inside itself.
 */
export async function handleCopyMove(r: DavRequest): Promise<void> {
  const move = r.req.method === 'MOVE';
  const destHeader = header(r, 'destination');
  if (destHeader === undefined) throw new HttpError(400, 'Destination header missing');
  const dest = destinationPath(destHeader, r.req.headers.host);
  if ('error' in dest) throw new HttpError(dest.error === 'other-host' ? 502 : 400, dest.error === 'other-host' ? 'Destination is on another server' : `bad Destination ${destHeader}`);
  let dstSegments: string[];
  try {
    dstSegments = urlSegments(dest.path);
  } catch (err) {
    if (err instanceof BadPath) throw new HttpError(400, `bad Destination: ${err.message}`);
    throw err;
  }
  const dstPath = '/' + dstSegments.join('/');
  const dstV = volumePath(r.settings.root, dstSegments);
  if (isInternalPath(dstV)) throw new HttpError(403, `${dstPath} is reserved for the volume's internal files`);
  const ow = (header(r, 'overwrite') ?? 'T').trim().toUpperCase();
  if (ow !== 'T' && ow !== 'F') throw new HttpError(400, `Overwrite: ${ow} is not T or F`);
  const d = (header(r, 'depth') ?? 'infinity').trim().toLowerCase();
  if (move ? d !== 'infinity' : d !== '0' && d !== 'infinity') throw new HttpError(400, `Depth: ${d} is not allowed for ${r.req.method}`);
  if (r.segments.length === 0) throw new HttpError(403, `the root cannot be the source of ${r.req.method}`);
  if (dstSegments.length === 0 || isUnder(dstPath, r.path)) throw new HttpError(403, `${dstPath} is the source or inside it`);
  // Overwriting a directory that holds the source would remove the source first.
  if (isUnder(r.path, dstPath)) throw new HttpError(409, `${dstPath} holds the source ${r.path}`);
  const fs = r.settings.fs;
  await fs.lstat(r.vpath); // a missing source is 404 before anything else
  if (move) checkLocks(r, r.path, true);
  checkLocks(r, dstPath, true);
  const parent = await fs.stat(volumePath(r.settings.root, dstSegments.slice(0, -1))).catch(() => undefined);
  if (!parent?.isDirectory()) throw new HttpError(409, `the parent of ${dstPath} (${parentOf(dstPath)}) is not a collection`);
  const existing = await fs.lstat(dstV).catch((err: unknown) => (hasCode(err, 'ENOENT') ? undefined : Promise.reject(err)));
  if (existing && ow === 'F') throw new HttpError(412, `${dstPath} exists and Overwrite is F`);
  if (existing) {
    await removeTree(fs, dstV, r.settings.threads);
    r.locks.removeUnder(dstPath);
  }
  if (move) {
    await fs.rename(r.vpath, dstV);
    r.locks.removeUnder(r.path);
  } else {
    await copyTree(fs, r.vpath, dstV, d === '0' ? 0 : 'infinity');
  }
  await sendText(r.req, r.res, existing ? 204 : 201, '');
}
