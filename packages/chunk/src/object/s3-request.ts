import { fsError, type RestoreState } from '@juicefs/core';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

// The few S3 calls OpenDAL does not make (creating and deleting a bucket, restoring an archived
// object, putting an object with tags): one request signed with AWS Signature V4, path-style.

export interface S3Target {
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
  sessionToken?: string;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters (and `/` in paths). */
function awsEncode(text: string, keepSlash: boolean): string {
  const e = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? e.replace(/%2F/g, '/') : e;
}

/**
 * Sends `method` to `/<bucket>[/<key>]` with `query` (e.g. `{ restore: '' }`), `body` and the
 * `x-amz-*` headers in `amzHeaders` (lower-case names; signed with the rest), signed for `t`;
 * resolves with the status and the body text, whatever the status.
 */
export async function signedS3Request(
  t: S3Target,
  method: 'PUT' | 'DELETE' | 'POST',
  key: string | undefined,
  query: Record<string, string> = {},
  body: string | Buffer = '',
  amzHeaders: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const path = `/${awsEncode(t.bucket, false)}${key === undefined ? '' : `/${awsEncode(key, true)}`}`;
  const canonicalQuery = Object.entries(query)
    .map(([k, v]) => `${awsEncode(k, false)}=${awsEncode(v, false)}`)
    .sort()
    .join('&');
  const url = new URL(`${t.endpoint.replace(/\/+$/, '')}${path}${canonicalQuery ? `?${canonicalQuery}` : ''}`);
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = now.slice(0, 8);
  const headers: Record<string, string> = {
    ...amzHeaders,
    host: url.host,
    'x-amz-content-sha256': sha256(body),
    'x-amz-date': now,
  };
  if (t.sessionToken) headers['x-amz-security-token'] = t.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = [method, path, canonicalQuery, ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), headers['x-amz-content-sha256']].join('\n');
  const scope = `${day}/${t.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${t.secretKey}`, day), t.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${t.accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  const send = url.protocol === 'https:' ? httpsRequest : request;
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = send(url, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Asks S3 for a readable copy of an archived object (RestoreObject: one day, the Standard
 * retrieval tier). 202: started; 200: a restored copy exists; 409 RestoreAlreadyInProgress;
 * 403 InvalidObjectState: the object is not in an archive class.
 */
export async function restoreS3Object(t: S3Target, key: string): Promise<RestoreState> {
  const body = '<RestoreRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Days>1</Days><GlacierJobParameters><Tier>Standard</Tier></GlacierJobParameters></RestoreRequest>';
  const { status, text } = await signedS3Request(t, 'POST', key, { restore: '' }, body);
  if (status === 202) return 'started';
  if (status === 200) return 'restored';
  if (status === 409 && /RestoreAlreadyInProgress/.test(text)) return 'in-progress';
  if (status === 403 && /InvalidObjectState/.test(text)) return 'not-archived';
  if (status === 404) throw fsError('ENOENT', `restore ${key}: no such object in bucket "${t.bucket}" at ${t.endpoint}`);
  throw fsError(status === 403 ? 'EACCES' : 'EIO', `restore ${key} in bucket "${t.bucket}" at ${t.endpoint}: HTTP ${status} ${text.slice(0, 200)}`);
}

/**
 * PutObject with the object tags of a JuiceFS 1.4 storage tier (`x-amz-tagging`, in its
 * `k=v&k2=v2` form) and its storage class, in one request, so that no object is ever seen
 * without them (OpenDAL cannot send tags).
 */
export async function putS3Object(
  t: S3Target,
  key: string,
  data: Buffer,
  options: { tags?: string | undefined; storageClass?: string | undefined },
): Promise<void> {
  const amz: Record<string, string> = {};
  if (options.tags) amz['x-amz-tagging'] = options.tags;
  if (options.storageClass) amz['x-amz-storage-class'] = options.storageClass;
  const { status, text } = await signedS3Request(t, 'PUT', key, {}, data, amz);
  if (status >= 200 && status < 300) return;
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${status}`;
  const where = `bucket "${t.bucket}" at ${t.endpoint}`;
  if (status === 404) throw fsError('ENOENT', `put ${key}: ${code}: ${where}`);
  if (status === 403) throw fsError('EACCES', `put ${key}: ${code}: ${where} refused the key`);
  if (status === 400 && /InvalidTag|InvalidArgument/.test(code)) {
    throw fsError('EINVAL', `put ${key}: ${code}: the tier's tags "${options.tags ?? ''}" are not valid S3 tags (juicefs config --tier N --tag k=v&k2=v2)`);
  }
  throw fsError('EIO', `put ${key} with tags in ${where}: ${code} ${text.slice(0, 200)}`);
}
