import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorXml, S3Error } from './errors.js';
import { uriEncode } from './sigv4.js';
import type { VerifiedRequest } from './sigv4.js';

/** One S3 request as the handlers see it: the bucket and key it names, its query, its signature check. */
export interface S3Request {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** "" for the service (ListBuckets). */
  bucket: string;
  /** "" for bucket-level requests. */
  key: string;
  query: Map<string, string>;
  requestId: string;
  auth: VerifiedRequest;
}

/** A header's value as one string ("" when absent). */
export function header(r: S3Request, name: string): string {
  const v = r.req.headers[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}

export function sendXml(r: S3Request, status: number, xml: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(xml);
  r.res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': body.length, ...headers });
  r.res.end(r.method === 'HEAD' ? undefined : body);
}

export function sendEmpty(r: S3Request, status: number, headers: Record<string, string | number> = {}): void {
  r.res.writeHead(status, { 'Content-Length': 0, ...headers });
  r.res.end();
}

/** An S3 error answered as XML (HEAD gets the status only, as S3 answers it). */
export function sendError(res: ServerResponse, method: string, e: S3Error, resource: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy(e); // mid-body: the client sees a broken response rather than a truncated object
    return;
  }
  const body = Buffer.from(errorXml(e, resource, requestId));
  res.writeHead(e.status, { 'Content-Type': 'application/xml', 'Content-Length': method === 'HEAD' ? 0 : body.length, 'x-amz-request-id': requestId });
  res.end(method === 'HEAD' ? undefined : body);
}

/** S3 timestamps in listings: ISO 8601 with milliseconds. */
export const isoTime = (d: Date) => d.toISOString();

/** `"etag"` as S3 quotes it. */
export const quoted = (etag: string) => `"${etag}"`;

/** encoding-type=url: keys and prefixes URL-encoded ("/" kept), as boto3 and the AWS CLI ask. */
export function encoderFor(r: S3Request): (s: string) => string {
  return r.query.get('encoding-type') === 'url' ? (s) => uriEncode(s, true) : (s) => s;
}

/** A whole-number query parameter within [min, max] (default when absent). */
export function intParam(r: S3Request, name: string, def: number, min: number, max: number, invalid: (m: string) => S3Error): number {
  const text = r.query.get(name);
  if (text === undefined || text === '') return def;
  if (!/^-?\d+$/.test(text)) throw invalid(`${name} must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min) throw invalid(`${name} must be at least ${min}, got ${n}`);
  return Math.min(n, max);
}
