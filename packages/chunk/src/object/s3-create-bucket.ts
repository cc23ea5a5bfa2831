import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { fsError } from '@juicefs/core';

// OpenDAL cannot create or delete buckets, and `juicefs format` creates one
// (ObjectStorage.create). One signed request (AWS Signature V4, path-style) is all it takes.

export interface CreateBucketTarget {
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
  sessionToken?: string;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** Sends PUT /<bucket>; an existing bucket owned by us is fine. */
export async function createS3Bucket(t: CreateBucketTarget): Promise<void> {
  const { status, text } = await bucketRequest('PUT', t);
  if (status >= 200 && status < 300) return;
  if (/BucketAlreadyOwnedByYou/.test(text)) return;
  const code = status === 403 ? 'EACCES' : 'EIO';
  throw fsError(code, `cannot create bucket "${t.bucket}" at ${t.endpoint}: HTTP ${status} ${text.slice(0, 200)}`);
}

/** Sends DELETE /<bucket> (the bucket must be empty); a missing bucket is fine. */
export async function deleteS3Bucket(t: CreateBucketTarget): Promise<void> {
  const { status, text } = await bucketRequest('DELETE', t);
  if ((status >= 200 && status < 300) || status === 404) return;
  throw fsError(status === 403 ? 'EACCES' : 'EIO', `cannot delete bucket "${t.bucket}" at ${t.endpoint}: HTTP ${status} ${text.slice(0, 200)}`);
}

async function bucketRequest(method: 'PUT' | 'DELETE', t: CreateBucketTarget): Promise<{ status: number; text: string }> {
  const url = new URL(`${t.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(t.bucket)}`);
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = now.slice(0, 8);
  const body =
    method === 'DELETE' || t.region === 'us-east-1'
      ? ''
      : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${t.region}</LocationConstraint></CreateBucketConfiguration>`;
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': sha256(body),
    'x-amz-date': now,
  };
  if (t.sessionToken) headers['x-amz-security-token'] = t.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = [method, url.pathname, '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), headers['x-amz-content-sha256']].join('\n');
  const scope = `${day}/${t.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${t.secretKey}`, day), t.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
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
