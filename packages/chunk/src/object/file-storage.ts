import fs, { promises as fsp, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsError, type ListOptions, type ObjectInfo, type ObjectStorage } from '@juicefs/core';
import { compareKeys } from './compare.js';
import { DEFAULT_DIRECT_WRITE_BELOW, readFully } from './direct-io.js';

export { DEFAULT_DIRECT_WRITE_BELOW };
import type { StorageFailure } from './errors.js';

// Temporary files of puts in progress: hidden, and skipped by list.
const TEMP = /^\..*\.jfstmp\.[0-9a-f]+$/;

// Unique per process and put: the pid keeps processes sharing a bucket apart, the counter puts
// within one. (randomBytes here cost ~25 µs a put, more than the rest of the name.)
const tempTag = `${process.pid.toString(16)}${randomBytes(2).toString('hex')}`;
let tempCount = 0;

function tempOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.jfstmp.${tempTag}${(tempCount++).toString(16)}`);
}

export interface FileStorageOptions {
  /** Largest object (bytes) written with direct calls (see DEFAULT_DIRECT_WRITE_BELOW); 0: every put on the pool. */
  directWriteBelow?: number;
}

/**
 * JuiceFS's `file` storage: a plain directory where key `a/b/c` is the file `<root>/a/b/c`, the
 * layout `juicefs format --storage file` makes. Written with node:fs because OpenDAL's fs service
 * read 4 MiB blocks at about a third of the speed of one pread here (see the bench). Puts go
 * through a temporary file and a rename, so a reader never sees a partial object.
 */
export class FileStorage implements ObjectStorage {
  readonly description: string;
  private readonly madeDirs = new Set<string>();
  private readonly directWriteBelow: number;

  constructor(
    private readonly root: string,
    options: FileStorageOptions = {},
  ) {
    this.root = path.resolve(root);
    this.description = `file://${this.root}/`;
    this.directWriteBelow = options.directWriteBelow ?? DEFAULT_DIRECT_WRITE_BELOW;
  }

  async create(): Promise<void> {
    await this.call('create', '/', () => fsp.mkdir(this.root, { recursive: true }));
  }

  private fileOf(key: string): string {
    return path.join(this.root, key);
  }

  /** Objects are plain files holding the bytes as put. */
  localFile(key: string): string {
    return this.fileOf(key);
  }

  async get(key: string, offset = 0, limit = -1): Promise<Buffer> {
    return this.call('get', key, async () => {
      // open, fstat and close are quick metadata calls: never worth a trip through the pool.
      const fd = fs.openSync(this.fileOf(key), 'r');
      try {
        if (limit === 0) return Buffer.alloc(0);
        // A bounded read past the end just comes back short, so only a whole-object read stats.
        const end = limit > 0 ? offset + limit : fs.fstatSync(fd).size;
        if (offset >= end) return Buffer.alloc(0);
        // One buffer of the exact size, filled by as few preads as the kernel allows: no copies.
        return await readFully(fd, Buffer.allocUnsafe(end - offset), offset);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  async put(key: string, data: Buffer): Promise<void> {
    if (data.length <= this.directWriteBelow) return this.call('put', key, () => Promise.resolve(this.putSync(key, data)));
    await this.call('put', key, async () => {
      const file = this.fileOf(key);
      const dir = path.dirname(file);
      const tmp = tempOf(file);
      if (!this.madeDirs.has(dir)) {
        await fsp.mkdir(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      try {
        await fsp.writeFile(tmp, data);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // The directory went away (removed by someone else) since we made it: make it again.
        await fsp.mkdir(dir, { recursive: true });
        await fsp.writeFile(tmp, data);
      }
      try {
        await fsp.rename(tmp, file);
      } catch (err) {
        await fsp.rm(tmp, { force: true });
        throw err;
      }
    });
  }

  /** put for a small object, without the thread pool (see DEFAULT_DIRECT_WRITE_BELOW); same steps. */
  private putSync(key: string, data: Buffer): void {
    const file = this.fileOf(key);
    const dir = path.dirname(file);
    const tmp = tempOf(file);
    if (!this.madeDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    try {
      fs.writeFileSync(tmp, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(tmp, data);
    }
    try {
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await fsp.unlink(this.fileOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.failure(err, 'delete', key);
    }
  }

  async head(key: string): Promise<ObjectInfo> {
    const st = await this.call('head', key, () => fsp.stat(this.fileOf(key)));
    if (st.isDirectory()) throw fsError('ENOENT', `head ${key}: a directory, not an object, in ${this.description}`);
    return { key, size: st.size, mtime: Math.floor(st.mtimeMs), isDir: false };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ObjectInfo[]> {
    if (options.delimiter !== undefined && options.delimiter !== '/') {
      throw fsError('EINVAL', `list: only "/" is supported as delimiter, got "${options.delimiter}"`);
    }
    const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const found: Array<{ key: string; isDir: boolean }> = [];
    await this.call('list', prefix, () => this.walk(dir, prefix, options.delimiter === undefined, found));
    found.sort((a, b) => compareKeys(a.key, b.key));
    let page = found;
    const after = options.startAfter;
    if (after !== undefined) page = page.filter((f) => compareKeys(f.key, after) > 0);
    if (options.limit !== undefined && options.limit >= 0) page = page.slice(0, options.limit);
    // Sizes and times only for the page returned.
    const out: ObjectInfo[] = [];
    for (let at = 0; at < page.length; at += 64) {
      const infos = await Promise.all(
        page.slice(at, at + 64).map(async (f): Promise<ObjectInfo | undefined> => {
          if (f.isDir) return { key: f.key, size: 0, mtime: 0, isDir: true };
          try {
            return await this.head(f.key);
          } catch (err) {
            if ((err as StorageFailure).code === 'ENOENT') return undefined; // deleted meanwhile
            throw err;
          }
        }),
      );
      for (const i of infos) if (i) out.push(i);
    }
    return out;
  }

  /** Keys under `dir` that start with `prefix`; into sub-directories only when `recursive`. */
  private async walk(dir: string, prefix: string, recursive: boolean, out: Array<{ key: string; isDir: boolean }>): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(path.join(this.root, dir), { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    for (const e of entries) {
      const key = dir + e.name;
      if (e.isDirectory()) {
        const sub = key + '/';
        if (!recursive) {
          if (sub.startsWith(prefix)) out.push({ key: sub, isDir: true });
        } else if (sub.startsWith(prefix) || prefix.startsWith(sub)) {
          await this.walk(sub, prefix, true, out);
        }
      } else if (key.startsWith(prefix) && !TEMP.test(e.name)) {
        out.push({ key, isDir: false });
      }
    }
  }

  private async call<T>(op: string, key: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw this.failure(err, op, key);
    }
  }

  private failure(err: unknown, op: string, key: string): StorageFailure {
    const e = err as NodeJS.ErrnoException;
    if (e.name === 'FsError') return err as StorageFailure;
    switch (e.code) {
      case 'ENOENT':
      case 'ENOTDIR':
      case 'EISDIR':
        // A put that cannot make its file found something else where a directory should be.
        if (op === 'put') return fsError('ENOENT', `put ${key}: cannot create its file in ${this.description}: ${e.message ?? e.code}`, err);
        return fsError('ENOENT', `${op} ${key}: no such object in ${this.description}`, err);
      case 'EACCES':
      case 'EPERM':
        return fsError('EACCES', `${op} ${key}: permission denied in ${this.description}; check the directory's owner and mode`, err);
      default: {
        const out: StorageFailure = fsError('EIO', `${op} ${key} on ${this.description} failed: ${e.message ?? String(err)}`, err);
        // Running out of descriptors or memory passes; a full disk or a bad path does not.
        out.transient = e.code === 'EMFILE' || e.code === 'ENFILE' || e.code === 'EAGAIN' || e.code === 'ENOMEM';
        return out;
      }
    }
  }
}
