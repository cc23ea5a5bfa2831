import { pipeline } from 'node:stream/promises';
import { createReadStream } from '@juicefs/core';
import { payloadOf } from './body.js';
import { OWNER, xmlBody } from './bucket-handlers.js';
import { s3 } from './errors.js';
import { header, intParam, isoTime, quoted, sendEmpty, sendXml, type S3Request } from './http.js';
import { MAX_PART_NUMBER, type Multipart } from './multipart.js';
import { metadataFrom, type ObjectInfo, type ObjectStore } from './objects.js';
import { childNamed as child, childrenNamed as children } from '../xml.js';
import { xmlDocument, type XmlNode } from './xml.js';

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` as [start, end] inclusive; undefined for no (or a multi-) range. */
export function parseRange(text: string, size: number): [number, number] | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(text.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // S3 ignores a Range it cannot parse
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw s3.invalidRange(size);
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || start > end) throw s3.invalidRange(size);
  return [start, end];
}

function objectHeaders(info: ObjectInfo, r: S3Request): Record<string, string | number> {
  const h: Record<string, string | number> = {
    'Last-Modified': info.mtime.toUTCString(),
    'Content-Type': info.contentType,
    'Accept-Ranges': 'bytes',
    'x-amz-request-id': r.requestId,
  };
  if (info.etag !== '') h['ETag'] = quoted(info.etag);
  for (const [k, v] of Object.entries(info.meta)) if (k !== 'content-type') h[k] = v;
  if (info.tags !== '') h['x-amz-tagging-count'] = new URLSearchParams(info.tags).size;
  // A presigned GET may ask for other response headers.
  for (const name of ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding']) {
    const v = r.query.get(`response-${name}`);
    if (v !== undefined) h[name] = v;
  }
  return h;
}

/** If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since, at one-second resolution as HTTP dates go. */
function notModified(r: S3Request, info: ObjectInfo): 304 | 412 | undefined {
  const sec = Math.floor(info.mtime.getTime() / 1000);
  const date = (name: string) => {
    const t = Date.parse(header(r, name));
    return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
  };
  const tags = (name: string) => header(r, name).split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, '')).filter((t) => t !== '');
  const ifMatch = tags('if-match');
  if (ifMatch.length > 0 && !ifMatch.includes('*') && !ifMatch.includes(info.etag)) return 412;
  const unmodifiedSince = date('if-unmodified-since');
  if (ifMatch.length === 0 && unmodifiedSince !== undefined && sec > unmodifiedSince) return 412;
  const ifNoneMatch = tags('if-none-match');
  if (ifNoneMatch.length > 0) return ifNoneMatch.includes('*') || (info.etag !== '' && ifNoneMatch.includes(info.etag)) ? 304 : undefined;
  const modifiedSince = date('if-modified-since');
  if (modifiedSince !== undefined && sec <= modifiedSince) return 304;
  return undefined;
}

export async function getObject(r: S3Request, store: ObjectStore): Promise<void> {
  const info = await store.info(r.bucket, r.key);
  const headers = objectHeaders(info, r);
  const condition = notModified(r, info);
  if (condition === 412) throw s3.preconditionFailed();
  if (condition === 304) {
    r.res.writeHead(304, { 'Last-Modified': headers['Last-Modified']!, ...(info.etag ? { ETag: quoted(info.etag) } : {}) });
    r.res.end();
    return;
  }
  const range = header(r, 'range') === '' || info.isDir ? undefined : parseRange(header(r, 'range'), info.size);
  const [start, end] = range ?? [0, info.size - 1];
  const length = Math.max(0, end - start + 1);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${info.size}`;
  r.res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': length });
  if (r.method === 'HEAD' || length === 0) {
    r.res.end();
    return;
  }
  await pipeline(createReadStream(store.fs, store.layout.objectPath(r.bucket, r.key), { start, end }), r.res);
}

/** x-amz-tagging / a Tagging document as the `k=v&k2=v2` string kept in the xattr. */
function tagsFromHeader(r: S3Request): string {
  const text = header(r, 'x-amz-tagging');
  return text === '' ? '' : new URLSearchParams(text).toString();
}

export async function putObject(r: S3Request, store: ObjectStore): Promise<void> {
  const md5 = header(r, 'content-md5');
  const etag = await store.put(r.bucket, r.key, payloadOf(r.req, r.auth), {
    meta: metadataFrom(r.req.headers), tags: tagsFromHeader(r), createOnly: header(r, 'if-none-match').trim() === '*',
    ...(md5 !== '' ? { contentMd5: md5 } : {}),
  });
  sendEmpty(r, 200, { ETag: quoted(etag) });
}

/** `x-amz-copy-source: /bucket/key` (URL-encoded, optionally `?versionId=`): the bucket and key. */
function copySource(r: S3Request): { bucket: string; key: string } {
  let src = header(r, 'x-amz-copy-source');
  const q = src.indexOf('?');
  if (q >= 0) {
    if (!/^versionId=(null)?$/.test(src.slice(q + 1))) throw s3.notImplemented('object versions (x-amz-copy-source versionId)');
    src = src.slice(0, q);
  }
  src = decodeURIComponent(src).replace(/^\//, '');
  const slash = src.indexOf('/');
  if (slash <= 0 || slash === src.length - 1) throw s3.invalidArgument('x-amz-copy-source must be /bucket/key');
  return { bucket: src.slice(0, slash), key: src.slice(slash + 1) };
}

export async function copyObject(r: S3Request, store: ObjectStore): Promise<void> {
  const src = copySource(r);
  const replaceMeta = header(r, 'x-amz-metadata-directive').toUpperCase() === 'REPLACE';
  const replaceTags = header(r, 'x-amz-tagging-directive').toUpperCase() === 'REPLACE';
  const sameKey = src.bucket === r.bucket && src.key === r.key;
  if (sameKey && !replaceMeta && !replaceTags) {
    throw s3.invalidRequest('This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata.');
  }
  const before = await store.info(src.bucket, src.key);
  const replace = {
    meta: replaceMeta ? metadataFrom(r.req.headers) : before.meta,
    tags: replaceTags ? tagsFromHeader(r) : before.tags,
  };
  const info = await store.copy(src, { bucket: r.bucket, key: r.key }, replace);
  sendXml(r, 200, xmlDocument('CopyObjectResult', [['LastModified', isoTime(info.mtime)], ['ETag', quoted(info.etag)]]));
}

export async function deleteObject(r: S3Request, store: ObjectStore): Promise<void> {
  await store.delete(r.bucket, r.key);
  sendEmpty(r, 204);
}

export async function createUpload(r: S3Request, multipart: Multipart): Promise<void> {
  const uploadId = await multipart.create(r.bucket, r.key, metadataFrom(r.req.headers), tagsFromHeader(r));
  sendXml(r, 200, xmlDocument('InitiateMultipartUploadResult', [['Bucket', r.bucket], ['Key', r.key], ['UploadId', uploadId]]));
}

function partNumber(r: S3Request): number {
  return intParam(r, 'partNumber', 0, 1, MAX_PART_NUMBER, s3.invalidArgument);
}

export async function uploadPart(r: S3Request, store: ObjectStore, multipart: Multipart): Promise<void> {
  const uploadId = r.query.get('uploadId') ?? '';
  const n = partNumber(r);
  if (header(r, 'x-amz-copy-source') !== '') {
    // UploadPartCopy: the source's bytes (or x-amz-copy-source-range of them) become the part.
    const src = copySource(r);
    const info = await store.info(src.bucket, src.key);
    const rangeText = header(r, 'x-amz-copy-source-range');
    const [start, end] = rangeText === '' ? [0, info.size - 1] : (parseRange(rangeText, info.size) ?? [0, info.size - 1]);
    const source = info.size === 0 ? (async function* () {})() : createReadStream(store.fs, store.layout.objectPath(src.bucket, src.key), { start, end });
    const etag = await multipart.uploadPart(r.bucket, r.key, uploadId, n, source);
    sendXml(r, 200, xmlDocument('CopyPartResult', [['LastModified', isoTime(new Date())], ['ETag', quoted(etag)]]));
    return;
  }
  const md5 = header(r, 'content-md5');
  const etag = await multipart.uploadPart(r.bucket, r.key, uploadId, n, payloadOf(r.req, r.auth), md5 === '' ? undefined : md5);
  sendEmpty(r, 200, { ETag: quoted(etag) });
}

export async function listParts(r: S3Request, multipart: Multipart): Promise<void> {
  const uploadId = r.query.get('uploadId') ?? '';
  const marker = intParam(r, 'part-number-marker', 0, 0, MAX_PART_NUMBER, s3.invalidArgument);
  const max = intParam(r, 'max-parts', 1000, 0, 1000, s3.invalidArgument);
  const { parts, truncated } = await multipart.listParts(r.bucket, r.key, uploadId, marker, max);
  sendXml(r, 200, xmlDocument('ListPartsResult', [
    ['Bucket', r.bucket], ['Key', r.key], ['UploadId', uploadId], ['Initiator', OWNER], ['Owner', OWNER], ['StorageClass', 'STANDARD'],
    ['PartNumberMarker', marker],
    ['NextPartNumberMarker', parts[parts.length - 1]?.partNumber ?? 0],
    ['MaxParts', max],
    ['IsTruncated', truncated],
    ...parts.map((p): XmlNode => ['Part', [['PartNumber', p.partNumber], ['LastModified', isoTime(p.mtime)], ['ETag', quoted(p.etag)], ['Size', p.size]]]),
  ]));
}

export async function completeUpload(r: S3Request, multipart: Multipart): Promise<void> {
  const uploadId = r.query.get('uploadId') ?? '';
  const doc = await xmlBody(r);
  if (doc.local !== 'CompleteMultipartUpload') throw s3.malformedXml(`expected <CompleteMultipartUpload>, got <${doc.local}>`);
  const parts = children(doc, 'Part').map((p) => {
    const n = Number(child(p, 'PartNumber')?.text.trim());
    if (!Number.isInteger(n)) throw s3.malformedXml('a Part without a PartNumber');
    return { partNumber: n, etag: child(p, 'ETag')?.text.trim() ?? '' };
  });
  const etag = await multipart.complete(r.bucket, r.key, uploadId, parts);
  sendXml(r, 200, xmlDocument('CompleteMultipartUploadResult', [
    ['Location', `/${r.bucket}/${r.key}`], ['Bucket', r.bucket], ['Key', r.key], ['ETag', quoted(etag)],
  ]));
}

export async function abortUpload(r: S3Request, multipart: Multipart): Promise<void> {
  await multipart.abort(r.bucket, r.key, r.query.get('uploadId') ?? '');
  sendEmpty(r, 204);
}

// ---------------------------------------------------------------- --object-tag

export async function getTagging(r: S3Request, store: ObjectStore): Promise<void> {
  const info = await store.info(r.bucket, r.key);
  const tags = [...new URLSearchParams(info.tags)].map(([k, v]): XmlNode => ['Tag', [['Key', k], ['Value', v]]]);
  sendXml(r, 200, xmlDocument('Tagging', [['TagSet', tags]]));
}

export async function putTagging(r: S3Request, store: ObjectStore): Promise<void> {
  const doc = await xmlBody(r);
  const set = child(doc, 'TagSet');
  if (doc.local !== 'Tagging' || !set) throw s3.malformedXml('expected <Tagging><TagSet>…');
  const params = new URLSearchParams();
  for (const t of children(set, 'Tag')) params.append(child(t, 'Key')?.text ?? '', child(t, 'Value')?.text ?? '');
  if ([...params.keys()].length > 10) throw s3.invalidArgument('an object can have at most 10 tags');
  await store.setTags(r.bucket, r.key, params.toString());
  sendEmpty(r, 200);
}

export async function deleteTagging(r: S3Request, store: ObjectStore): Promise<void> {
  await store.setTags(r.bucket, r.key, '');
  sendEmpty(r, 204);
}
