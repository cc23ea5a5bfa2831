import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { s3 } from './errors.js';

/**
 * AWS Signature Version 4 checks for S3 requests, from the Authorization header or from a
 * presigned URL's query. Signatures are recomputed from the request as received and compared
 * in constant time; any region in the credential scope is accepted (as a MinIO server without a
 * configured region does), the service must be `s3`.
 */

export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** How long a request's X-Amz-Date may be away from the server's clock (as S3 and MinIO allow). */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest X-Amz-Expires S3 takes: seven days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface Credentials {
  accessKey: string;
  secretKey: string;
}

/** What a verified request says about its body. */
export interface VerifiedRequest {
  /** `UNSIGNED-PAYLOAD`, one of the STREAMING-* modes, or the hex SHA-256 the body must have. */
  payload: string;
  /** For STREAMING-AWS4-HMAC-SHA256-PAYLOAD: what each chunk's signature is chained from. */
  seedSignature: string;
  signingKey: Buffer;
  amzDate: string;
  scope: string;
}

/** The request parts signing covers. `rawUrl` is the path and query exactly as sent. */
export interface SignedRequest {
  method: string;
  rawUrl: string;
  headers: IncomingHttpHeaders;
}

/** RFC 3986 percent-encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ (and "/" when kept). */
export function uriEncode(text: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray "%": signed as sent
  }
}

/** The canonical URI: each path segment decoded, then encoded once, as S3 signs it. */
function canonicalUri(path: string): string {
  return path.split('/').map((seg) => uriEncode(decode(seg), false)).join('/') || '/';
}

/** Query pairs decoded (a "+" is a literal plus: AWS clients encode spaces as %20). */
export function queryPairs(query: string): Array<[string, string]> {
  if (query === '') return [];
  return query.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [decode(p), ''] : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))];
  });
}

function canonicalQuery(pairs: Array<[string, string]>): string {
  return pairs
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  const joined = Array.isArray(v) ? v.join(',') : (v ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
export const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function signingKeyOf(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `20240102T030405Z` as a time, or NaN. */
function parseAmzDate(d: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(d);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

interface AuthParts {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseCredential(credential: string, signedHeaders: string, signature: string): AuthParts {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') throw s3.invalidArgument(`malformed credential "${credential}"`);
  const [accessKey, date, region, service] = parts as [string, string, string, string];
  if (service !== 's3') throw s3.invalidArgument(`credential scope names service "${service}"; this server is s3`);
  return { accessKey, date, region, service, signedHeaders: signedHeaders.split(';').filter((h) => h !== ''), signature };
}

/** The fields of `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
function parseAuthorization(header: string): AuthParts {
  if (!header.startsWith('AWS4-HMAC-SHA256 ')) {
    if (header.startsWith('AWS ')) throw s3.accessDenied('Signature Version 2 is not supported by this gateway: sign requests with Signature Version 4');
    throw s3.invalidArgument('unsupported Authorization header: sign requests with AWS Signature Version 4');
  }
  const fields = new Map<string, string>();
  for (const kv of header.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = kv.indexOf('=');
    if (eq > 0) fields.set(kv.slice(0, eq).trim(), kv.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signed || !signature) throw s3.invalidArgument('the Authorization header lacks Credential, SignedHeaders or Signature');
  return parseCredential(credential, signed, signature);
}

/**
 * Check a request's signature against `creds`; returns what the body must then satisfy.
 * Throws S3Error: AccessDenied for an unsigned request, InvalidAccessKeyId, SignatureDoesNotMatch,
 * RequestTimeTooSkewed, or AccessDenied "Request has expired" for an old presigned URL.
 */
export function verifyRequest(req: SignedRequest, creds: Credentials, now = Date.now()): VerifiedRequest {
  const q = req.rawUrl.indexOf('?');
  const path = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const pairs = queryPairs(q < 0 ? '' : req.rawUrl.slice(q + 1));
  const query = new Map(pairs);
  const authorization = headerValue(req.headers, 'authorization');
  let auth: AuthParts;
  let amzDate: string;
  let payload: string;
  let signedPairs = pairs;
  if (authorization !== '') {
    auth = parseAuthorization(authorization);
    amzDate = headerValue(req.headers, 'x-amz-date') || '';
    if (amzDate === '') {
      // Only a Date header: SigV4 then signs it in the same basic format.
      const d = new Date(headerValue(req.headers, 'date'));
      if (Number.isNaN(d.getTime())) throw s3.accessDenied('AWS authentication requires a valid Date or x-amz-date header');
      amzDate = d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    }
    payload = headerValue(req.headers, 'x-amz-content-sha256') || EMPTY_SHA256;
    const t = parseAmzDate(amzDate);
    if (Number.isNaN(t)) throw s3.accessDenied(`malformed X-Amz-Date "${amzDate}"`);
    if (Math.abs(now - t) > MAX_SKEW_MS) throw s3.timeSkewed();
  } else if (query.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
    auth = parseCredential(query.get('X-Amz-Credential') ?? '', query.get('X-Amz-SignedHeaders') ?? '', query.get('X-Amz-Signature') ?? '');
    amzDate = query.get('X-Amz-Date') ?? '';
    const t = parseAmzDate(amzDate);
    const expires = Number(query.get('X-Amz-Expires') ?? '');
    if (Number.isNaN(t)) throw s3.accessDenied(`malformed X-Amz-Date "${amzDate}"`);
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) throw s3.accessDenied('X-Amz-Expires must be between 1 and 604800 seconds');
    if (t - now > MAX_SKEW_MS) throw s3.accessDenied('Request is not valid yet');
    if (now > t + expires * 1000) throw s3.requestExpired();
    payload = query.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD;
    signedPairs = pairs.filter(([k]) => k !== 'X-Amz-Signature');
  } else if (query.has('X-Amz-Algorithm')) {
    throw s3.invalidArgument(`unsupported X-Amz-Algorithm "${query.get('X-Amz-Algorithm')}"`);
  } else if (query.has('Signature') || query.has('AWSAccessKeyId')) {
    throw s3.accessDenied('Signature Version 2 presigned URLs are not supported by this gateway: presign with Signature Version 4');
  } else {
    throw s3.accessDenied('Access Denied. (anonymous requests are not allowed: sign the request with the gateway\'s access key)');
  }
  if (auth.accessKey !== creds.accessKey) throw s3.invalidAccessKey();
  if (!amzDate.startsWith(auth.date)) throw s3.signatureMismatch();
  if (!auth.signedHeaders.includes('host')) throw s3.accessDenied('the signature must cover the Host header');
  const canonicalHeaders = auth.signedHeaders.map((h) => `${h}:${headerValue(req.headers, h)}\n`).join('');
  const canonical = [req.method, canonicalUri(path), canonicalQuery(signedPairs), canonicalHeaders, auth.signedHeaders.join(';'), payload].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const signingKey = signingKeyOf(creds.secretKey, auth.date, auth.region, auth.service);
  const expected = hmac(signingKey, stringToSign).toString('hex');
  if (!sameHex(expected, auth.signature)) throw s3.signatureMismatch();
  return { payload, seedSignature: expected, signingKey, amzDate, scope };
}

/** The signature of one aws-chunked chunk, chained from the previous chunk's (or the seed). */
export function chunkSignature(v: VerifiedRequest, previous: string, chunkSha256: string): string {
  const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', v.amzDate, v.scope, previous, EMPTY_SHA256, chunkSha256].join('\n');
  return hmac(v.signingKey, stringToSign).toString('hex');
}

export { sameHex };
