import { Operator, type Entry, type Metadata } from 'opendal';
import { fsError, type ListOptions, type ObjectInfo, type ObjectStorage, type PutOptions, type RestoreState } from '@juicefs/core';
import { isNotFound, toStorageError } from './errors.js';
import { walkPrefix } from './walk.js';
import { compareKeys } from './compare.js';

export interface OpendalStorageInit {
  /** OpenDAL scheme: fs, memory, s3, oss, gcs, azblob, webdav, cos, obs, swift. */
  scheme: string;
  options: Record<string, string>;
  /** For messages and `description`, e.g. "s3://bucket/". */
  description: string;
  /** Creates the bucket when `create()` finds it missing (S3-style services). */
  createBucket?: () => Promise<void>;
  /** RestoreObject, which OpenDAL lacks (S3-style services). */
  restore?: (key: string) => Promise<RestoreState>;
  /** PutObject with object tags, which OpenDAL cannot send (S3-style services). */
  putTagged?: (key: string, data: Buffer, options: PutOptions) => Promise<void>;
}

/** An ObjectStorage over one OpenDAL operator. */
export class OpendalStorage implements ObjectStorage {
  readonly description: string;
  private readonly op: Operator;
  private readonly recursiveList: boolean;
  // The memory service panics on ranges past the end; look the size up first there.
  private readonly clampRangesFirst: boolean;
  private readonly listReportsSize: boolean;
  private readonly pagedList: boolean;
  /** Operators writing with another storage class than the bucket's (tiers), made on first use. */
  private readonly classed = new Map<string, Operator>();

  /** Present where the service has archive classes to restore from (S3). */
  readonly restore?: (key: string) => Promise<RestoreState>;

  constructor(private readonly init: OpendalStorageInit) {
    this.description = init.description;
    if (init.restore) this.restore = init.restore;
    this.op = new Operator(init.scheme, init.options);
    this.recursiveList = this.op.capability().listWithRecursive;
    this.clampRangesFirst = init.scheme === 'memory';
    this.listReportsSize = init.scheme !== 'memory' && init.scheme !== 'fs';
    const cap = this.op.capability();
    this.pagedList = cap.listWithRecursive && cap.listWithStartAfter;
  }

  async create(): Promise<void> {
    try {
      if (this.init.scheme === 'fs') await this.op.createDir('/');
      else await this.op.list('', { limit: 1 });
    } catch (err) {
      const e = toStorageError(err, 'create', '/', this.description);
      if (e.code === 'ENOENT' && this.init.createBucket) return this.init.createBucket();
      throw e;
    }
  }

  async get(key: string, offset = 0, limit = -1): Promise<Buffer> {
    try {
      if (offset === 0 && limit < 0) return await this.op.read(key);
      if (limit === 0) {
        await this.op.stat(key);
        return Buffer.alloc(0);
      }
      if (this.clampRangesFirst) return await this.readClamped(key, offset, limit);
      try {
        return await this.op.read(key, rangeOptions(offset, limit));
      } catch (err) {
        if (isNotFound(err)) throw err;
        // A range past the end of the object: services differ (error, short read); clamp and retry.
        return await this.readClamped(key, offset, limit);
      }
    } catch (err) {
      throw toStorageError(err, 'get', key, this.description);
    }
  }

  private async readClamped(key: string, offset: number, limit: number): Promise<Buffer> {
    const size = Number((await this.op.stat(key)).contentLength ?? 0n);
    const end = limit < 0 ? size : Math.min(size, offset + limit);
    if (offset >= end) return Buffer.alloc(0);
    return this.op.read(key, { offset: BigInt(offset), size: BigInt(end - offset) });
  }

  async put(key: string, data: Buffer, options: PutOptions = {}): Promise<void> {
    // Tags (a tier's) go in the same request as the data, so no object is ever untagged.
    if (options.tags && this.init.putTagged) {
      const storageClass = options.storageClass || this.init.options['default_storage_class'];
      return this.init.putTagged(key, data, { ...options, ...(storageClass ? { storageClass } : {}) });
    }
    try {
      await this.writerFor(options.storageClass).write(key, data);
    } catch (err) {
      throw toStorageError(err, 'put', key, this.description);
    }
  }

  /**
   * The operator that writes with `storageClass`. OpenDAL takes the class per operator
   * (`default_storage_class`), so a tier's objects go through an operator of their own; only S3
   * has the setting, other services write as the bucket does.
   */
  private writerFor(storageClass: string | undefined): Operator {
    if (!storageClass || this.init.scheme !== 's3' || storageClass === this.init.options['default_storage_class']) return this.op;
    let op = this.classed.get(storageClass);
    if (op === undefined) this.classed.set(storageClass, (op = new Operator(this.init.scheme, { ...this.init.options, default_storage_class: storageClass })));
    return op;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.op.delete(key);
    } catch (err) {
      if (isNotFound(err)) return;
      throw toStorageError(err, 'delete', key, this.description);
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    let md: Metadata;
    try {
      md = await this.op.stat(key);
    } catch (err) {
      throw toStorageError(err, 'head', key, this.description);
    }
    if (md.isDirectory()) throw fsError('ENOENT', `head ${key}: a directory, not an object, in ${this.description}`);
    return infoOf(key, md);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ObjectInfo[]> {
    let entries: Entry[];
    try {
      entries =
        this.pagedList && options.delimiter === undefined && options.limit !== undefined
          ? await this.page(prefix, options.startAfter, options.limit)
          : await this.entries(prefix, options.delimiter);
    } catch (err) {
      throw toStorageError(err, 'list', prefix, this.description);
    }
    const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    let infos = entries
      .map((e) => infoOf(e.path(), e.metadata()))
      .filter((i) => i.key.startsWith(prefix) && i.key !== dir && i.key !== '/');
    infos.sort((a, b) => compareKeys(a.key, b.key));
    const after = options.startAfter;
    if (after !== undefined) infos = infos.filter((i) => compareKeys(i.key, after) > 0);
    if (options.limit !== undefined && options.limit >= 0) infos = infos.slice(0, options.limit);
    if (!this.listReportsSize) await this.fillSizes(infos);
    return infos;
  }

  /** Local services list names only; their sizes and times come from a stat of each file. */
  private async fillSizes(infos: ObjectInfo[]): Promise<void> {
    const files = infos.filter((i) => !i.isDir);
    for (let at = 0; at < files.length; at += 64) {
      await Promise.all(
        files.slice(at, at + 64).map(async (i) => {
          try {
            const md = await this.op.stat(i.key);
            const full = infoOf(i.key, md);
            i.size = full.size;
            i.mtime = full.mtime;
          } catch (err) {
            if (!isNotFound(err)) throw toStorageError(err, 'list', i.key, this.description);
          }
        }),
      );
    }
  }

  /**
   * One page from a service that lists in key order and can start after a key (S3 and kin): reads
   * only as far as the page needs, so paging through a large bucket is not quadratic.
   */
  private async page(prefix: string, startAfter: string | undefined, limit: number): Promise<Entry[]> {
    const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const from = startAfter !== undefined && compareKeys(startAfter, dir) > 0 ? startAfter : undefined;
    const out: Entry[] = [];
    if (limit <= 0) return out;
    let lister;
    try {
      lister = await this.op.lister(dir, from === undefined ? { recursive: true } : { recursive: true, startAfter: from });
    } catch (err) {
      if (isNotFound(err)) return out;
      throw err;
    }
    for (let e = await lister.next(); e; e = await lister.next()) {
      const key = e.path();
      if (key.endsWith('/')) continue;
      if (key.startsWith(prefix)) {
        if (startAfter === undefined || compareKeys(key, startAfter) > 0) out.push(e);
        if (out.length >= limit) break;
      } else if (compareKeys(key, prefix) > 0) {
        break; // keys with the prefix are contiguous in key order: we are past them
      }
    }
    return out;
  }

  private async entries(prefix: string, delimiter: string | undefined): Promise<Entry[]> {
    const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    if (delimiter !== undefined) {
      if (delimiter !== '/') throw fsError('EINVAL', `list: only "/" is supported as delimiter, got "${delimiter}"`);
      try {
        return await this.op.list(dir);
      } catch (err) {
        if (isNotFound(err)) return [];
        throw err;
      }
    }
    if (!this.recursiveList) return walkPrefix(this.op, prefix);
    try {
      return (await this.op.list(dir, { recursive: true })).filter((e) => !e.path().endsWith('/'));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }
}

function rangeOptions(offset: number, limit: number): { offset: bigint; size?: bigint } {
  return limit < 0 ? { offset: BigInt(offset) } : { offset: BigInt(offset), size: BigInt(limit) };
}

function infoOf(key: string, md: Metadata): ObjectInfo {
  const modified = md.lastModified;
  const mtime = modified ? Date.parse(modified) : 0;
  return {
    key,
    size: Number(md.contentLength ?? 0n),
    mtime: Number.isFinite(mtime) ? mtime : 0,
    isDir: md.isDirectory(),
  };
}
