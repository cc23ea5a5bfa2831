import { createHash, randomUUID } from 'node:crypto';
import { hasCode, NodeType } from '@juicefs/core';
import { fsErrorToS3, s3 } from './errors.js';
import { concatFiles, listDir, mkdirAll, statOrNone, xattrOrNone } from './fs-helpers.js';
import { isUploadId, XATTR_ETAG, XATTR_META, XATTR_TAGS, XATTR_UPLOAD_KEY } from './layout.js';
import type { ObjectStore } from './objects.js';

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  mtime: Date;
}

export interface UploadInfo {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** Part numbers S3 takes. */
export const MAX_PART_NUMBER = 10000;

/**
 * Multipart uploads as JuiceFS's gateway keeps them: a directory per upload under
 * `.sys/uploads/<first 3 characters of the ID>/<ID>` with the key in its `s3-object` xattr (and
 * the upload's tags and metadata in theirs), each part a file named by its number with its MD5
 * in `s3-etag`. Completing concatenates the parts by sharing their slices, then renames the
 * result to the key and removes the upload directory.
 */
export class Multipart {
  constructor(private readonly store: ObjectStore) {}

  private get fs() {
    return this.store.fs;
  }

  async create(bucket: string, key: string, meta: Record<string, string>, tags: string): Promise<string> {
    await this.store.checkBucket(bucket);
    this.store.checkObjectKey(key);
    if (key.endsWith('/')) throw s3.invalidRequest('a directory object ("dir/") cannot be uploaded in parts');
    const uploadId = randomUUID();
    const dir = this.store.layout.uploadDir(bucket, uploadId);
    await mkdirAll(this.fs, dir, key);
    await this.fs.setxattr(dir, XATTR_UPLOAD_KEY, key);
    await this.store.decorate(dir, { etag: '', meta, tags });
    return uploadId;
  }

  /** The upload's directory; NoSuchUpload when it is not there or belongs to another key. */
  private async uploadDir(bucket: string, key: string, uploadId: string): Promise<string> {
    await this.store.checkBucket(bucket);
    if (!isUploadId(uploadId)) throw s3.noSuchUpload(uploadId);
    const dir = this.store.layout.uploadDir(bucket, uploadId);
    const owner = await xattrOrNone(this.fs, dir, XATTR_UPLOAD_KEY).catch((err: unknown) => {
      if (hasCode(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (owner === undefined || owner !== key) throw s3.noSuchUpload(uploadId);
    return dir;
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: AsyncIterable<Buffer>, contentMd5?: string): Promise<string> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw s3.invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
    }
    const dir = await this.uploadDir(bucket, key, uploadId);
    const tmp = await this.store.writeTemp(bucket, body, contentMd5);
    try {
      await this.fs.setxattr(tmp.path, XATTR_ETAG, tmp.md5);
      await this.fs.rename(tmp.path, `${dir}/${partNumber}`);
    } catch (err) {
      await this.fs.unlink(tmp.path).catch(() => undefined);
      throw fsErrorToS3(err, { bucket, key, uploadId });
    }
    return tmp.md5;
  }

  async listParts(bucket: string, key: string, uploadId: string, marker: number, maxParts: number): Promise<{ parts: PartInfo[]; truncated: boolean }> {
    const dir = await this.uploadDir(bucket, key, uploadId);
    const parts: PartInfo[] = [];
    for (const e of await listDir(this.fs, dir)) {
      if (!/^[1-9]\d*$/.test(e.name) || e.attr.type !== NodeType.File) continue;
      const n = Number(e.name);
      if (n <= marker) continue;
      const etag = (await xattrOrNone(this.fs, `${dir}/${e.name}`, XATTR_ETAG)) ?? '';
      parts.push({ partNumber: n, etag, size: e.attr.length, mtime: new Date(e.attr.mtime * 1000) });
    }
    parts.sort((a, b) => a.partNumber - b.partNumber);
    const truncated = parts.length > maxParts;
    return { parts: parts.slice(0, maxParts), truncated };
  }

  /**
   * Assemble the listed parts (ascending numbers, ETags matching the stored ones) into the key.
   * The ETag is S3's: the MD5 of the parts' binary MD5s, "-" and the part count.
   */
  async complete(bucket: string, key: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<string> {
    const dir = await this.uploadDir(bucket, key, uploadId);
    if (parts.length === 0) throw s3.malformedXml('CompleteMultipartUpload lists no parts');
    const sources: Array<{ path: string; size: number }> = [];
    const md5s: Buffer[] = [];
    let previous = 0;
    for (const p of parts) {
      if (p.partNumber <= previous) throw s3.invalidPartOrder();
      previous = p.partNumber;
      const path = `${dir}/${p.partNumber}`;
      const st = await statOrNone(this.fs, path);
      if (!st?.isFile()) throw s3.invalidPart(`One or more of the specified parts could not be found: part ${p.partNumber}`);
      const stored = (await xattrOrNone(this.fs, path, XATTR_ETAG)) ?? '';
      const given = p.etag.replace(/^"|"$/g, '');
      if (stored !== '' && stored !== given) throw s3.invalidPart(`part ${p.partNumber} has ETag ${stored}, not ${given}`);
      sources.push({ path, size: st.size });
      md5s.push(Buffer.from(stored || given, 'hex'));
    }
    const etag = `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}`;
    const assembled = `${dir}/complete`;
    await this.fs.unlink(assembled).catch(() => undefined);
    try {
      await concatFiles(this.fs, sources, assembled);
      const meta = this.store.config.objectMeta ? JSON.parse((await xattrOrNone(this.fs, dir, XATTR_META)) ?? '{}') as Record<string, string> : {};
      const tags = this.store.config.objectTag ? ((await xattrOrNone(this.fs, dir, XATTR_TAGS)) ?? '') : '';
      await this.store.decorate(assembled, { etag, meta, tags });
      await this.store.commit(assembled, this.store.layout.objectPath(bucket, key), key, false);
    } catch (err) {
      await this.fs.unlink(assembled).catch(() => undefined);
      throw fsErrorToS3(err, { bucket, key });
    }
    await this.fs.rm(dir, { recursive: true }).catch(() => undefined);
    return etag;
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const dir = await this.uploadDir(bucket, key, uploadId);
    await this.fs.rm(dir, { recursive: true });
  }

  /** Uploads in progress, sorted by key then ID; `prefix` narrows, markers continue a listing. */
  async list(bucket: string, prefix: string, keyMarker: string, uploadIdMarker: string, maxUploads: number): Promise<{ uploads: UploadInfo[]; truncated: boolean }> {
    await this.store.checkBucket(bucket);
    const root = this.store.layout.uploadsRoot(bucket);
    const uploads: UploadInfo[] = [];
    if (await statOrNone(this.fs, root)) {
      for (const fan of await listDir(this.fs, root)) {
        if (fan.attr.type !== NodeType.Directory) continue;
        for (const u of await listDir(this.fs, `${root}/${fan.name}`)) {
          if (!isUploadId(u.name)) continue;
          const key = await xattrOrNone(this.fs, `${root}/${fan.name}/${u.name}`, XATTR_UPLOAD_KEY).catch(() => undefined);
          if (key === undefined || !key.startsWith(prefix)) continue;
          if (keyMarker !== '' && !(key > keyMarker || (key === keyMarker && u.name > uploadIdMarker))) continue;
          uploads.push({ key, uploadId: u.name, initiated: new Date(u.attr.atime * 1000) });
        }
      }
    }
    uploads.sort((a, b) => (a.key === b.key ? (a.uploadId < b.uploadId ? -1 : 1) : a.key < b.key ? -1 : 1));
    return { uploads: uploads.slice(0, maxUploads), truncated: uploads.length > maxUploads };
  }
}
