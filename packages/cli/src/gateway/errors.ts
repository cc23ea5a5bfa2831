import { xmlDocument } from './xml.js';

/**
 * An S3 error: the code clients match on, the HTTP status, and a message. Answered as S3's
 * `<Error><Code>…</Code><Message>…</Message><Resource>…</Resource></Error>`.
 */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The errors the gateway raises by name, with the status S3 (or MinIO, for XMinio*) gives them. */
export const s3 = {
  accessDenied: (m = 'Access Denied.') => new S3Error('AccessDenied', 403, m),
  signatureMismatch: () =>
    new S3Error('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'),
  invalidAccessKey: () => new S3Error('InvalidAccessKeyId', 403, 'The Access Key Id you provided does not exist in our records.'),
  noSuchBucket: (b: string) => new S3Error('NoSuchBucket', 404, `The specified bucket does not exist: ${b}`),
  noSuchKey: (k: string) => new S3Error('NoSuchKey', 404, `The specified key does not exist: ${k}`),
  noSuchUpload: (id: string) => new S3Error('NoSuchUpload', 404, `The specified multipart upload does not exist: ${id}`),
  invalidPart: (m: string) => new S3Error('InvalidPart', 400, m),
  invalidPartOrder: () => new S3Error('InvalidPartOrder', 400, 'The list of parts was not in ascending order. The parts list must be specified in order by part number.'),
  invalidArgument: (m: string) => new S3Error('InvalidArgument', 400, m),
  invalidRequest: (m: string) => new S3Error('InvalidRequest', 400, m),
  malformedXml: (m: string) => new S3Error('MalformedXML', 400, `The XML you provided was not well-formed or did not validate against our published schema: ${m}`),
  invalidRange: (size: number) => new S3Error('InvalidRange', 416, `The requested range is not satisfiable (the object has ${size} bytes).`),
  invalidBucketName: (b: string) => new S3Error('InvalidBucketName', 400, `The specified bucket is not valid: ${b}`),
  invalidObjectName: (k: string) => new S3Error('XMinioInvalidObjectName', 400, `Object name contains unsupported characters or an empty, "." or ".." path segment: ${k}`),
  keyTooLong: () => new S3Error('KeyTooLongError', 400, 'Your key is too long.'),
  bucketNotEmpty: (b: string) => new S3Error('BucketNotEmpty', 409, `The bucket you tried to delete is not empty: ${b}`),
  bucketExists: (b: string) => new S3Error('BucketAlreadyOwnedByYou', 409, `Your previous request to create the named bucket succeeded and you already own it: ${b}`),
  notImplemented: (what: string) => new S3Error('NotImplemented', 501, `A header or query you provided implies functionality that is not implemented: ${what}`),
  methodNotAllowed: () => new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.'),
  preconditionFailed: () => new S3Error('PreconditionFailed', 412, 'At least one of the preconditions you specified did not hold.'),
  badDigest: () => new S3Error('XAmzContentSHA256Mismatch', 400, 'The provided x-amz-content-sha256 header does not match what was computed.'),
  contentMd5Mismatch: () => new S3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.'),
  incompleteBody: () => new S3Error('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
  requestExpired: () => new S3Error('AccessDenied', 403, 'Request has expired'),
  timeSkewed: () => new S3Error('RequestTimeTooSkewed', 403, 'The difference between the request time and the server\'s time is too large.'),
  parentIsObject: (k: string) => new S3Error('XMinioParentIsObject', 400, `Object-prefix is already an object, please choose a different object-prefix name: ${k}`),
  objectExistsAsDirectory: (k: string) => new S3Error('XMinioObjectExistsAsDirectory', 409, `Object name already exists as a directory: a "dir/" key takes no data (${k})`),
  storageFull: (m: string) => new S3Error('XMinioStorageFull', 507, `Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed. (${m})`),
  internal: (m: string) => new S3Error('InternalError', 500, `We encountered an internal error, please try again. (${m})`),
};

/** What an object/bucket operation was about, to name the missing thing on ENOENT. */
export interface ErrorTarget {
  bucket: string;
  key?: string;
  uploadId?: string;
}

/**
 * A file-system error as S3 answers it, following the gateway JuiceFS ships (MinIO's jfsToObjectErr
 * and toAPIError): a missing path is NoSuchUpload / NoSuchKey / NoSuchBucket by what was asked for;
 * an existing or non-empty path in the way is AccessDenied (MinIO's PrefixAccessDenied); a full
 * volume or quota is MinIO's 507 XMinioStorageFull. Anything unexpected is a 500.
 */
export function fsErrorToS3(err: unknown, t: ErrorTarget): S3Error {
  if (err instanceof S3Error) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      if (t.uploadId !== undefined) return s3.noSuchUpload(t.uploadId);
      if (t.key !== undefined) return s3.noSuchKey(t.key);
      return s3.noSuchBucket(t.bucket);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return s3.accessDenied(`Access Denied. (${message})`);
    case 'EEXIST':
    case 'ENOTEMPTY':
    case 'EISDIR':
      return t.key !== undefined ? s3.accessDenied(`Prefix access is denied: ${t.bucket}/${t.key}`) : s3.bucketExists(t.bucket);
    case 'ENOSPC':
    case 'EDQUOT':
      return s3.storageFull(message);
    case 'ENAMETOOLONG':
      return s3.keyTooLong();
    default:
      return s3.internal(message);
  }
}

/** The XML body of an error. */
export function errorXml(e: S3Error, resource: string, requestId: string): string {
  return xmlDocument('Error', [
    ['Code', e.code],
    ['Message', e.message],
    ['Resource', resource],
    ['RequestId', requestId],
  ], false);
}
