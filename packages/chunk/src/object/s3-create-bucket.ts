import { fsError } from '@juicefs/core';
import { signedS3Request, type S3Target } from './s3-request.js';

// OpenDAL cannot create or delete buckets, and `juicefs format` creates one
// (ObjectStorage.create). One signed request (AWS Signature V4, path-style) is all it takes.

export type CreateBucketTarget = S3Target;

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

function bucketRequest(method: 'PUT' | 'DELETE', t: CreateBucketTarget): Promise<{ status: number; text: string }> {
  const body =
    method === 'DELETE' || t.region === 'us-east-1'
      ? ''
      : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${t.region}</LocationConstraint></CreateBucketConfiguration>`;
  return signedS3Request(t, method, undefined, {}, body);
}
