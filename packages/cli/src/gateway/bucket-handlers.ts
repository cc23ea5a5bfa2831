import { readSmallBody } from './body.js';
import { fsErrorToS3, s3, S3Error } from './errors.js';
import { encoderFor, intParam, isoTime, quoted, sendEmpty, sendXml, type S3Request } from './http.js';
import { listObjects, type ListResult } from './listing.js';
import type { Multipart } from './multipart.js';
import type { ObjectStore } from './objects.js';
import { childNamed as child, childrenNamed as children, parseXml, XmlError } from '../xml.js';
import { xmlDocument, type XmlNode } from './xml.js';

/** The owner every listing names: the gateway has one user. */
const OWNER: XmlNode[] = [['ID', '02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4'], ['DisplayName', 'minio']];

/** Most keys one listing returns, as S3. */
const MAX_KEYS = 1000;

export async function listBuckets(r: S3Request, store: ObjectStore): Promise<void> {
  const buckets = await store.listBuckets();
  sendXml(r, 200, xmlDocument('ListAllMyBucketsResult', [
    ['Owner', OWNER],
    ['Buckets', buckets.map((b): XmlNode => ['Bucket', [['Name', b.name], ['CreationDate', isoTime(b.created)]]])],
  ]));
}

export async function headBucket(r: S3Request, store: ObjectStore): Promise<void> {
  await store.checkBucket(r.bucket);
  sendEmpty(r, 200, { 'x-amz-bucket-region': 'us-east-1' });
}

export async function bucketLocation(r: S3Request, store: ObjectStore): Promise<void> {
  await store.checkBucket(r.bucket);
  // An empty LocationConstraint is us-east-1, the region this gateway answers as.
  sendXml(r, 200, xmlDocument('LocationConstraint', []));
}

function contents(r: S3Request, list: ListResult, withOwner: boolean): XmlNode[] {
  const enc = encoderFor(r);
  return [
    ...list.objects.map((o): XmlNode => ['Contents', [
      ['Key', enc(o.key)],
      ['LastModified', isoTime(o.mtime)],
      ['ETag', quoted(o.etag)],
      ['Size', o.size],
      ['Owner', withOwner ? OWNER : undefined],
      ['StorageClass', 'STANDARD'],
    ]]),
    ...list.prefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', enc(p)]]]),
  ];
}

/** ListObjects (V1): prefix, delimiter, marker, max-keys; NextMarker when truncated. */
export async function listObjectsV1(r: S3Request, store: ObjectStore): Promise<void> {
  const enc = encoderFor(r);
  const req = {
    prefix: r.query.get('prefix') ?? '', delimiter: r.query.get('delimiter') ?? '', marker: r.query.get('marker') ?? '',
    maxKeys: intParam(r, 'max-keys', MAX_KEYS, 0, MAX_KEYS, s3.invalidArgument),
  };
  const list = await listObjects(store, r.bucket, req);
  sendXml(r, 200, xmlDocument('ListBucketResult', [
    ['Name', r.bucket],
    ['Prefix', enc(req.prefix)],
    ['Marker', enc(req.marker)],
    ['NextMarker', list.truncated ? enc(list.nextMarker) : undefined],
    ['MaxKeys', req.maxKeys],
    ['Delimiter', req.delimiter === '' ? undefined : enc(req.delimiter)],
    ['EncodingType', r.query.get('encoding-type') === 'url' ? 'url' : undefined],
    ['IsTruncated', list.truncated],
    ...contents(r, list, true),
  ]));
}

/** ListObjectsV2: continuation tokens are the last key returned, base64-encoded (opaque to clients). */
export async function listObjectsV2(r: S3Request, store: ObjectStore): Promise<void> {
  const enc = encoderFor(r);
  const token = r.query.get('continuation-token');
  let marker = r.query.get('start-after') ?? '';
  if (token !== undefined) {
    marker = Buffer.from(token, 'base64url').toString('utf8');
    if (token !== '' && Buffer.from(marker).toString('base64url') !== token.replace(/=+$/, '')) throw s3.invalidArgument('The continuation token provided is incorrect');
  }
  const req = {
    prefix: r.query.get('prefix') ?? '', delimiter: r.query.get('delimiter') ?? '', marker,
    maxKeys: intParam(r, 'max-keys', MAX_KEYS, 0, MAX_KEYS, s3.invalidArgument),
  };
  const list = await listObjects(store, r.bucket, req);
  sendXml(r, 200, xmlDocument('ListBucketResult', [
    ['Name', r.bucket],
    ['Prefix', enc(req.prefix)],
    ['StartAfter', r.query.has('start-after') ? enc(r.query.get('start-after') ?? '') : undefined],
    ['ContinuationToken', token],
    ['NextContinuationToken', list.truncated ? Buffer.from(list.nextMarker).toString('base64url') : undefined],
    ['KeyCount', list.objects.length + list.prefixes.length],
    ['MaxKeys', req.maxKeys],
    ['Delimiter', req.delimiter === '' ? undefined : enc(req.delimiter)],
    ['EncodingType', r.query.get('encoding-type') === 'url' ? 'url' : undefined],
    ['IsTruncated', list.truncated],
    ...contents(r, list, r.query.get('fetch-owner') === 'true'),
  ]));
}

export async function createBucket(r: S3Request, store: ObjectStore): Promise<void> {
  await store.createBucket(r.bucket);
  sendEmpty(r, 200, { Location: `/${r.bucket}` });
}

export async function deleteBucket(r: S3Request, store: ObjectStore): Promise<void> {
  await store.deleteBucket(r.bucket);
  sendEmpty(r, 204);
}

/** Parse a request body as XML, any syntax error being S3's MalformedXML. */
export async function xmlBody(r: S3Request) {
  const body = await readSmallBody(r.req, r.auth);
  try {
    return parseXml(body.toString('utf8'));
  } catch (err) {
    if (err instanceof XmlError) throw s3.malformedXml(err.message);
    throw err;
  }
}

/** DeleteObjects: each key deleted as DeleteObject does; failures reported per key. Quiet lists only failures. */
export async function deleteObjects(r: S3Request, store: ObjectStore): Promise<void> {
  const doc = await xmlBody(r);
  if (doc.local !== 'Delete') throw s3.malformedXml(`expected <Delete>, got <${doc.local}>`);
  const quiet = child(doc, 'Quiet')?.text.trim() === 'true';
  const keys = children(doc, 'Object').map((o) => child(o, 'Key')?.text ?? '');
  if (keys.length > 1000) throw s3.malformedXml('more than 1000 keys in one Delete');
  await store.checkBucket(r.bucket);
  const results: XmlNode[] = [];
  for (const key of keys) {
    try {
      await store.delete(r.bucket, key);
      if (!quiet) results.push(['Deleted', [['Key', key]]]);
    } catch (err) {
      const e = err instanceof S3Error ? err : fsErrorToS3(err, { bucket: r.bucket, key });
      results.push(['Error', [['Key', key], ['Code', e.code], ['Message', e.message]]]);
    }
  }
  sendXml(r, 200, xmlDocument('DeleteResult', results));
}

export async function listUploads(r: S3Request, multipart: Multipart): Promise<void> {
  const prefix = r.query.get('prefix') ?? '';
  const keyMarker = r.query.get('key-marker') ?? '';
  const uploadIdMarker = r.query.get('upload-id-marker') ?? '';
  const max = intParam(r, 'max-uploads', 1000, 0, 1000, s3.invalidArgument);
  const { uploads, truncated } = await multipart.list(r.bucket, prefix, keyMarker, uploadIdMarker, max);
  const enc = encoderFor(r);
  const last = uploads[uploads.length - 1];
  sendXml(r, 200, xmlDocument('ListMultipartUploadsResult', [
    ['Bucket', r.bucket],
    ['KeyMarker', enc(keyMarker)],
    ['UploadIdMarker', uploadIdMarker],
    ['NextKeyMarker', last ? enc(last.key) : ''],
    ['NextUploadIdMarker', last?.uploadId ?? ''],
    ['Prefix', enc(prefix)],
    ['MaxUploads', max],
    ['IsTruncated', truncated],
    ...uploads.map((u): XmlNode => ['Upload', [
      ['Key', enc(u.key)], ['UploadId', u.uploadId], ['Initiator', OWNER], ['Owner', OWNER], ['StorageClass', 'STANDARD'], ['Initiated', isoTime(u.initiated)],
    ]]),
  ]));
}

export { OWNER };
