import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { HttpError } from './status.js';

/** Longest XML body accepted (PROPFIND, PROPPATCH, LOCK): WebDAV bodies are small. */
export const MAX_XML_BODY = 1 << 20;

export type Body = string | Buffer | Readable;

/**
 * Send a response. With `gzip` (--gzip) and a client that accepts it, bodies of 200 and 207
 * responses are compressed on the fly (no Content-Length then); partial content is never,
 * since its Content-Range counts bytes of the file. HEAD gets the headers only.
 */
export async function send(req: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Body | undefined, gzip: boolean): Promise<void> {
  const compress = gzip && body !== undefined && (status === 200 || status === 207) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const h: OutgoingHttpHeaders = { ...headers };
  if (compress) {
    delete h['content-length'];
    h['content-encoding'] = 'gzip';
    h['vary'] = 'Accept-Encoding';
  } else if (body !== undefined && !(body instanceof Readable) && h['content-length'] === undefined) {
    h['content-length'] = Buffer.byteLength(body);
  }
  res.writeHead(status, h);
  if (body === undefined || req.method === 'HEAD') {
    if (body instanceof Readable) body.destroy();
    res.end();
    return;
  }
  const source = body instanceof Readable ? body : Readable.from([typeof body === 'string' ? Buffer.from(body) : body]);
  if (compress) await pipeline(source, createGzip(), res);
  else await pipeline(source, res);
}

/** A short text/plain answer (errors, and statuses without a body of their own). */
export function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): Promise<void> {
  return send(req, res, status, { 'content-type': 'text/plain; charset=utf-8', ...headers }, text === '' ? undefined : text + '\n', false);
}

/** The request body as text, at most `limit` bytes (413 past it). */
export async function readBody(req: IncomingMessage, limit = MAX_XML_BODY): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Whether the request carries a body (MKCOL refuses one with 415). */
export function hasBody(req: IncomingMessage): boolean {
  const len = Number(req.headers['content-length'] ?? 0);
  return len > 0 || req.headers['transfer-encoding'] !== undefined;
}
