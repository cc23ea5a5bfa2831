import { randomUUID } from 'node:crypto';
import { s3 } from './errors.js';

/** How the gateway maps buckets and keys onto the volume (the flags of `juicefs gateway`). */
export interface GatewayConfig {
  /** The one bucket's name (the volume name, or --bucket-name); unused with multiBuckets. */
  bucket: string;
  /** --multi-buckets: every top-level directory is a bucket. */
  multiBuckets: boolean;
  /** --keep-etag: store each object's ETag in its `s3-etag` xattr and answer it on reads. */
  keepEtag: boolean;
  /** --object-tag: object tagging API, tags kept in the `s3-tags` xattr. */
  objectTag: boolean;
  /** --object-meta: Content-Type, Cache-Control, Content-Disposition and x-amz-meta-* kept in the `s3-meta` xattr. */
  objectMeta: boolean;
  /** --head-dir: HEAD/GET answer for any directory, not only those made as "dir/" objects. */
  headDir: boolean;
  /** --hide-dir-object: listings leave out the directories made as "dir/" objects. */
  hideDirObject: boolean;
  /** --read-only: every write is refused. */
  readOnly: boolean;
}

/**
 * Where JuiceFS's gateway keeps its own files: `.sys` at the volume root holds `tmp/` (objects
 * being written, renamed into place when complete) and `uploads/` (multipart uploads, one
 * directory per upload ID under a 3-character fan-out), per bucket with --multi-buckets.
 * `.minio.sys` is MinIO's own bucket metadata; both are hidden from listings.
 */
export const SYS_DIR = '.sys';
export const MINIO_SYS_DIR = '.minio.sys';
/** Upload IDs are UUIDs; their first 3 characters name the fan-out directory (4096 slots). */
const FANOUT = 3;

/** Xattr names, as JuiceFS's gateway writes them, so either gateway reads the other's objects. */
export const XATTR_ETAG = 's3-etag';
export const XATTR_TAGS = 's3-tags';
export const XATTR_META = 's3-meta';
export const XATTR_UPLOAD_KEY = 's3-object';

/** S3's strict bucket naming: 3–63 lowercase letters, digits, dots and hyphens, not an IP address. */
export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !/\.\.|\.-|-\./.test(name) && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * Reject keys the volume cannot hold as a path: empty, over 1024 bytes, NUL, or an empty, "."
 * or ".." segment (a trailing "/" is fine: it names a directory object).
 */
export function checkKey(key: string): void {
  if (key === '') throw s3.invalidObjectName(key);
  if (Buffer.byteLength(key) > 1024) throw s3.keyTooLong();
  const segs = (key.endsWith('/') ? key.slice(0, -1) : key).split('/');
  if (key.includes('\0') || segs.some((s) => s === '' || s === '.' || s === '..')) throw s3.invalidObjectName(key);
}

export class Layout {
  constructor(readonly config: GatewayConfig) {}

  /** The volume path of a bucket's root. */
  bucketRoot(bucket: string): string {
    return this.config.multiBuckets ? `/${bucket}` : '/';
  }

  /** The volume path of a key (a trailing "/" dropped: "dir/" is the directory "dir"). */
  objectPath(bucket: string, key: string): string {
    const k = key.endsWith('/') ? key.slice(0, -1) : key;
    return this.config.multiBuckets ? `/${bucket}/${k}` : `/${k}`;
  }

  private sysPath(bucket: string, ...rest: string[]): string {
    return ['', SYS_DIR, ...(this.config.multiBuckets ? [bucket] : []), ...rest].join('/');
  }

  tmpRoot(bucket: string): string {
    return this.sysPath(bucket, 'tmp');
  }

  /** A fresh temporary name for an object being written. */
  tmpPath(bucket: string): string {
    const id = randomUUID();
    return `${this.tmpRoot(bucket)}/${id.slice(0, FANOUT)}/${id}`;
  }

  uploadsRoot(bucket: string): string {
    return this.sysPath(bucket, 'uploads');
  }

  uploadDir(bucket: string, uploadId: string): string {
    return this.sysPath(bucket, 'uploads', uploadId.slice(0, FANOUT), uploadId);
  }

  partPath(bucket: string, uploadId: string, part: number | string): string {
    return `${this.uploadDir(bucket, uploadId)}/${part}`;
  }
}

/** Upload IDs this gateway hands out: UUIDs (anything else cannot name an upload directory). */
export function isUploadId(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);
}
