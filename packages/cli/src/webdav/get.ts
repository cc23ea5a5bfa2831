import { createReadStream, type JfsStats } from '@juicefs/core';
import { header, type DavRequest } from './context.js';
import { contentTypeOf } from '../mime.js';
import { handlePropfind } from './propfind.js';
import { etagOf } from './props.js';
import { send, sendText } from './respond.js';

/** One byte range of a `size`-byte file, inclusive; 'unsatisfiable' for 416, undefined to send it all. */
export function parseRange(h: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (h === undefined) return undefined;
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(h.trim());
  // Several ranges, or units other than bytes: RFC 9110 lets a server ignore Range and send it all.
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

const matches = (list: string, etag: string) => list.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === etag);
const seconds = (ms: number) => Math.floor(ms / 1000);

/** RFC 9110 13.2.2: the status the preconditions give, or undefined to go on. */
export function preconditions(r: DavRequest, st: JfsStats, etag: string): 304 | 412 | undefined {
  const ifMatch = header(r, 'if-match');
  const ifUnmod = header(r, 'if-unmodified-since');
  if (ifMatch !== undefined ? !matches(ifMatch, etag) : ifUnmod !== undefined && Date.parse(ifUnmod) >= 0 && seconds(st.mtimeMs) > seconds(Date.parse(ifUnmod))) return 412;
  const ifNone = header(r, 'if-none-match');
  const ifMod = header(r, 'if-modified-since');
  if (ifNone !== undefined) return matches(ifNone, etag) ? 304 : undefined;
  if (ifMod !== undefined && Date.parse(ifMod) >= 0 && seconds(st.mtimeMs) <= seconds(Date.parse(ifMod))) return 304;
  return undefined;
}

/**
 * GET and HEAD. A file: its bytes with ETag, Last-Modified and a type by extension, one byte
 * range when asked (several ranges get the whole file), conditional requests answered. A
 * directory: GET lists it as PROPFIND would (Depth 1 unless the request says otherwise), as
 * JuiceFS's server does, or 403 with --disallowList; HEAD on it is 405, as there.
 */
export async function handleGet(r: DavRequest): Promise<void> {
  const st = await r.settings.fs.stat(r.vpath);
  if (st.isDirectory()) {
    if (r.req.method !== 'GET') return sendText(r.req, r.res, 405, 'a collection has no content: use PROPFIND', { allow: 'OPTIONS, LOCK, DELETE, PROPPATCH, COPY, MOVE, UNLOCK, PROPFIND' });
    if (r.settings.disallowList) return sendText(r.req, r.res, 403, 'Forbidden');
    return handlePropfind(r, 1);
  }
  const etag = etagOf(st);
  const common = { etag, 'last-modified': st.mtime.toUTCString(), 'accept-ranges': 'bytes' };
  const pre = preconditions(r, st, etag);
  if (pre === 304) return send(r.req, r.res, 304, common, undefined, false);
  if (pre === 412) return sendText(r.req, r.res, 412, 'precondition failed', common);
  const ifRange = header(r, 'if-range');
  const rangeAllowed = ifRange === undefined || ifRange === etag || (Date.parse(ifRange) >= 0 && seconds(st.mtimeMs) === seconds(Date.parse(ifRange)));
  const range = rangeAllowed ? parseRange(header(r, 'range'), st.size) : undefined;
  const type = contentTypeOf(r.segments[r.segments.length - 1] ?? '');
  if (range === 'unsatisfiable') return sendText(r.req, r.res, 416, 'requested range not satisfiable', { ...common, 'content-range': `bytes */${st.size}` });
  const head = r.req.method === 'HEAD';
  if (range) {
    const body = head ? undefined : createReadStream(r.settings.fs, r.vpath, range);
    return send(r.req, r.res, 206, { ...common, 'content-type': type, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${st.size}` }, body, false);
  }
  // HEAD sends the headers a GET would (Content-Length included) and no body.
  const body = head ? undefined : createReadStream(r.settings.fs, r.vpath);
  return send(r.req, r.res, 200, { ...common, 'content-type': type, 'content-length': st.size }, body, r.settings.gzip);
}
