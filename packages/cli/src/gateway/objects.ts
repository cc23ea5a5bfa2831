import { createHash } from 'node:crypto';
import * as posix from 'node:path/posix';
import { hasCode, RENAME_NOREPLACE, type JfsStats, type JuiceFS } from '@juicefs/core';
import { fsErrorToS3, s3 } from './errors.js';
import { mkdirAll, setAtime, statOrNone, xattrOrNone } from './fs-helpers.js';
import { checkKey, isValidBucketName, Layout, MINIO_SYS_DIR, SYS_DIR, XATTR_ETAG, XATTR_META, XATTR_TAGS, type GatewayConfig } from './layout.js';
import { contentTypeOf } from '../mime.js';

/** What HEAD/GET and listings say about an object. */
export interface ObjectInfo {
  key: string;
  size: number;
  mtime: Date;
  /** Hex MD5 (or MD5-of-MD5s "-N"), without quotes; empty when not kept (no --keep-etag). */
  etag: string;
  isDir: boolean;
  contentType: string;
  /** --object-meta: lower-case header names (content-type, cache-control, content-disposition, x-amz-meta-*). */
  meta: Record<string, string>;
  /** --object-tag: `k1=v1&k2=v2`. */
  tags: string;
}

/** Headers clients may set that --object-meta keeps (besides x-amz-meta-*), as JuiceFS's gateway. */
const KEPT_SYSTEM_HEADERS = ['cache-control', 'content-disposition', 'content-type'];

/** The subset of request headers kept as object metadata. */
export function metadataFrom(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const name = k.toLowerCase();
    if (name.startsWith('x-amz-meta-') || KEPT_SYSTEM_HEADERS.includes(name)) out[name] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

export interface PutOptions {
  meta: Record<string, string>;
  tags: string;
  /** Content-MD5 (base64) the body must have. */
  contentMd5?: string;
  /** If-None-Match: * — fail rather than replace an existing object. */
  createOnly?: boolean;
}

/** Bytes gathered before one write into the volume: fewer, larger VFS writes. */
const WRITE_BATCH = 1 << 20;

/**
 * Buckets and objects over the path API, as JuiceFS's gateway lays them out: objects are files,
 * "dir/" objects are directories marked with atime 0, new objects are written under `.sys/tmp`
 * and renamed into place, so readers never see a partial object.
 */
export class ObjectStore {
  readonly layout: Layout;

  constructor(
    readonly fs: JuiceFS,
    readonly config: GatewayConfig,
  ) {
    this.layout = new Layout(config);
  }

  // ---------------------------------------------------------------- buckets

  /** The bucket exists (NoSuchBucket / InvalidBucketName otherwise). */
  async checkBucket(bucket: string): Promise<void> {
    if (!isValidBucketName(bucket)) throw s3.invalidBucketName(bucket);
    if (!this.config.multiBuckets) {
      if (bucket !== this.config.bucket) throw s3.noSuchBucket(bucket);
      return;
    }
    const st = await statOrNone(this.fs, this.layout.bucketRoot(bucket));
    if (!st?.isDirectory()) throw s3.noSuchBucket(bucket);
  }

  /** Buckets and their creation times (the root's or each top directory's atime, as upstream reports it). */
  async listBuckets(): Promise<Array<{ name: string; created: Date }>> {
    if (!this.config.multiBuckets) {
      const st = await this.fs.stat('/');
      return [{ name: this.config.bucket, created: new Date(Math.floor(st.atimeMs / 1000) * 1000) }];
    }
    const out: Array<{ name: string; created: Date }> = [];
    for (const e of await this.fs.readdirEntries('/')) {
      if (e.name === SYS_DIR || e.name === MINIO_SYS_DIR || !isValidBucketName(e.name)) continue;
      const st = await statOrNone(this.fs, `/${e.name}`);
      if (st?.isDirectory()) out.push({ name: e.name, created: new Date(Math.floor(st.atimeMs / 1000) * 1000) });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async createBucket(bucket: string): Promise<void> {
    if (!isValidBucketName(bucket)) throw s3.invalidBucketName(bucket);
    if (!this.config.multiBuckets) {
      // One bucket, always there: creating it again succeeds, as MinIO's answer for its own bucket.
      if (bucket !== this.config.bucket) throw s3.accessDenied(`this gateway serves one bucket, ${this.config.bucket}; start it with --multi-buckets to create others`);
      return;
    }
    try {
      await this.fs.mkdir(`/${bucket}`, { mode: 0o777 });
    } catch (err) {
      throw fsErrorToS3(err, { bucket });
    }
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.checkBucket(bucket);
    if (!this.config.multiBuckets) throw s3.bucketNotEmpty(bucket);
    try {
      await this.fs.rmdir(`/${bucket}`);
    } catch (err) {
      if (hasCode(err, 'ENOTEMPTY')) throw s3.bucketNotEmpty(bucket);
      throw fsErrorToS3(err, { bucket });
    }
  }

  // ---------------------------------------------------------------- objects

  /** Refuse keys that would reach the gateway's own directories at the volume root. */
  checkObjectKey(key: string): void {
    checkKey(key);
    const first = key.split('/')[0];
    if (!this.config.multiBuckets && (first === SYS_DIR || first === MINIO_SYS_DIR)) throw s3.accessDenied(`${first}/ is reserved for the gateway's own files`);
  }

  /**
   * HEAD: "dir/" names an object only for a directory made as one (atime 0), a plain key only a
   * non-directory; with --head-dir any directory answers. NoSuchKey otherwise.
   */
  async info(bucket: string, key: string): Promise<ObjectInfo> {
    await this.checkBucket(bucket);
    this.checkObjectKey(key);
    const path = this.layout.objectPath(bucket, key);
    let st: JfsStats;
    try {
      st = await this.fs.stat(path);
    } catch (err) {
      throw fsErrorToS3(err, { bucket, key });
    }
    const isObject = key.endsWith('/') ? st.isDirectory() && st.atimeMs === 0 : !st.isDirectory();
    if (!isObject && !this.config.headDir) throw s3.noSuchKey(key);
    return this.infoOf(path, key, st);
  }

  async infoOf(path: string, key: string, st: JfsStats): Promise<ObjectInfo> {
    const dir = st.isDirectory();
    const etag = this.config.keepEtag && !dir ? ((await xattrOrNone(this.fs, path, XATTR_ETAG)) ?? '') : '';
    const tags = this.config.objectTag ? ((await xattrOrNone(this.fs, path, XATTR_TAGS)) ?? '') : '';
    let meta: Record<string, string> = {};
    if (this.config.objectMeta) {
      const json = await xattrOrNone(this.fs, path, XATTR_META);
      if (json) meta = JSON.parse(json) as Record<string, string>;
    }
    return {
      key, size: dir ? 0 : st.size, mtime: st.mtime, etag, isDir: dir, contentType: meta['content-type'] || contentTypeOf(key), meta, tags,
    };
  }

  /** PUT: a "dir/" key makes a directory object (empty body only); anything else a file, written aside and renamed in. */
  async put(bucket: string, key: string, body: AsyncIterable<Buffer>, o: PutOptions): Promise<string> {
    await this.checkBucket(bucket);
    this.checkObjectKey(key);
    const path = this.layout.objectPath(bucket, key);
    if (key.endsWith('/')) {
      for await (const piece of body) {
        if (piece.length > 0) throw s3.objectExistsAsDirectory(key);
      }
      await mkdirAll(this.fs, path, key);
      await setAtime(this.fs, path, 0);
      return createHash('md5').digest('hex');
    }
    const tmp = await this.writeTemp(bucket, body, o.contentMd5);
    try {
      await this.decorate(tmp.path, { etag: tmp.md5, meta: o.meta, tags: o.tags });
      await this.commit(tmp.path, path, key, o.createOnly === true);
    } catch (err) {
      await this.fs.unlink(tmp.path).catch(() => undefined);
      throw err;
    }
    return tmp.md5;
  }

  /** Stream `body` into a fresh temporary file; returns its path and MD5. Removed again on failure. */
  async writeTemp(bucket: string, body: AsyncIterable<Buffer>, contentMd5?: string): Promise<{ path: string; md5: string; size: number }> {
    const path = this.layout.tmpPath(bucket);
    let fd: number;
    try {
      fd = await this.fs.open(path, 'wx', 0o666);
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) throw err;
      await this.fs.mkdir(posix.dirname(path), { recursive: true });
      fd = await this.fs.open(path, 'wx', 0o666);
    }
    const md5 = createHash('md5');
    let size = 0;
    let failure: unknown;
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        await this.fs.write(fd, data, size);
        size += data.length;
      };
      for await (const piece of body) {
        md5.update(piece);
        pending.push(piece);
        pendingBytes += piece.length;
        if (pendingBytes >= WRITE_BATCH) await flush();
      }
      await flush();
    } catch (err) {
      failure = err;
    }
    try {
      await this.fs.close(fd);
    } catch (err) {
      failure ??= err;
    }
    const digest = md5.digest();
    if (failure === undefined && contentMd5 !== undefined && digest.toString('base64') !== contentMd5) failure = s3.contentMd5Mismatch();
    if (failure !== undefined) {
      await this.fs.unlink(path).catch(() => undefined);
      throw failure;
    }
    return { path, md5: digest.toString('hex'), size };
  }

  /** The xattrs an object carries, by the flags asked for. */
  async decorate(path: string, d: { etag: string; meta: Record<string, string>; tags: string }): Promise<void> {
    if (this.config.keepEtag && d.etag !== '') await this.fs.setxattr(path, XATTR_ETAG, d.etag);
    if (this.config.objectTag && d.tags !== '') await this.fs.setxattr(path, XATTR_TAGS, d.tags);
    if (this.config.objectMeta && Object.keys(d.meta).length > 0) await this.fs.setxattr(path, XATTR_META, JSON.stringify(d.meta));
  }

  /** Rename a prepared file to its key, making the directories on the way. */
  async commit(tmp: string, path: string, key: string, createOnly: boolean): Promise<void> {
    const flags = createOnly ? RENAME_NOREPLACE : 0;
    try {
      try {
        await this.fs.rename(tmp, path, flags);
      } catch (err) {
        if (!hasCode(err, 'ENOENT')) throw err;
        await mkdirAll(this.fs, posix.dirname(path), key);
        await this.fs.rename(tmp, path, flags);
      }
    } catch (err) {
      if (createOnly && hasCode(err, 'EEXIST')) throw s3.preconditionFailed();
      if (hasCode(err, 'ENOTDIR')) throw s3.parentIsObject(key);
      throw err;
    }
  }

  /**
   * DELETE, as JuiceFS's gateway does it: remove the file (or empty directory), then each parent
   * directory left empty, up to the bucket root or a directory that is itself a "dir/" object.
   * Deleting "dir/" first unmarks it, so a non-empty directory stops being an object but stays.
   * A missing key is not an error.
   */
  async delete(bucket: string, key: string): Promise<void> {
    await this.checkBucket(bucket);
    this.checkObjectKey(key);
    let path = this.layout.objectPath(bucket, key);
    const root = this.layout.bucketRoot(bucket);
    if (key.endsWith('/')) await setAtime(this.fs, path, Math.floor(Date.now() / 1000)).catch(() => undefined);
    while (path !== root && path !== '/') {
      try {
        const st = await this.fs.lstat(path);
        if (st.isDirectory()) await this.fs.rmdir(path);
        else await this.fs.unlink(path);
      } catch (err) {
        if (hasCode(err, 'ENOTEMPTY') || hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) return;
        throw fsErrorToS3(err, { bucket, key });
      }
      path = posix.dirname(path);
      const parent = await statOrNone(this.fs, path);
      if (!parent || parent.atimeMs === 0) return;
    }
  }

  /**
   * CopyObject: the data shares the source's slices (nothing is read or written), into a
   * temporary file renamed over the destination. The same key with REPLACE only rewrites metadata.
   */
  async copy(src: { bucket: string; key: string }, dst: { bucket: string; key: string }, replace: { meta: Record<string, string>; tags: string } | undefined): Promise<ObjectInfo> {
    const from = await this.info(src.bucket, src.key);
    if (from.isDir) throw s3.invalidRequest('the copy source is a directory');
    await this.checkBucket(dst.bucket);
    this.checkObjectKey(dst.key);
    if (dst.key.endsWith('/')) throw s3.invalidRequest('the copy destination cannot be a directory object ("dir/")');
    const srcPath = this.layout.objectPath(src.bucket, src.key);
    const dstPath = this.layout.objectPath(dst.bucket, dst.key);
    const meta = replace?.meta ?? from.meta;
    const tags = replace?.tags ?? from.tags;
    if (srcPath === dstPath) {
      if (this.config.objectMeta) await this.fs.setxattr(dstPath, XATTR_META, JSON.stringify(meta));
      if (this.config.objectTag) await this.fs.setxattr(dstPath, XATTR_TAGS, tags);
      return this.info(dst.bucket, dst.key);
    }
    const tmp = this.layout.tmpPath(dst.bucket);
    await this.fs.mkdir(posix.dirname(tmp), { recursive: true });
    try {
      await this.fs.copyFile(srcPath, tmp, { exclusive: true });
      await this.decorate(tmp, { etag: from.etag, meta, tags });
      await this.commit(tmp, dstPath, dst.key, false);
    } catch (err) {
      await this.fs.unlink(tmp).catch(() => undefined);
      throw fsErrorToS3(err, { bucket: src.bucket, key: src.key });
    }
    return this.info(dst.bucket, dst.key);
  }

  /** --object-tag: replace or clear an object's tags. */
  async setTags(bucket: string, key: string, tags: string): Promise<void> {
    await this.info(bucket, key);
    const path = this.layout.objectPath(bucket, key);
    if (tags !== '') await this.fs.setxattr(path, XATTR_TAGS, tags);
    else await this.fs.removexattr(path, XATTR_TAGS).catch((err: unknown) => {
      if (!hasCode(err, 'ENODATA')) throw err;
    });
  }
}
