import { Readable } from 'node:stream';
import { hasCode, type ObjectStorage } from '@juicefs/core';
import { compareKeys, type SyncEntry, type SyncTree } from './tree.js';

/** Listing page size: what S3 returns per request anyway. */
const PAGE = 1000;
/** Objects are read in ranged GETs of this size, so a big object never sits in memory whole on the way out. */
const READ_PIECE = 4 << 20;

/**
 * An object storage prefix (`s3://…/prefix/`, `minio://…`, `file:` buckets…). Object stores have
 * no directories, modes or links: directories are implied by keys, and a write is one PUT of the
 * whole object (held in memory for it).
 */
export class ObjectTree implements SyncTree {
  readonly isFileSystem = false;

  constructor(
    private readonly storage: ObjectStorage,
    readonly description: string,
  ) {}

  async create(): Promise<void> {
    await this.storage.create();
  }

  async list(): Promise<SyncEntry[]> {
    const out: SyncEntry[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.storage.list('', { limit: PAGE, ...(after !== undefined ? { startAfter: after } : {}) });
      for (const o of page) if (!o.isDir && !o.key.endsWith('/')) out.push({ key: o.key, size: o.size, mtime: o.mtime, isDir: false });
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.key;
    }
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async head(key: string): Promise<SyncEntry | undefined> {
    try {
      const o = await this.storage.head(key);
      return { key, size: o.size, mtime: o.mtime, isDir: false };
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async read(entry: SyncEntry): Promise<Readable> {
    const storage = this.storage;
    async function* pieces(): AsyncGenerator<Buffer> {
      if (entry.size === 0) return;
      for (let at = 0; at < entry.size; at += READ_PIECE) yield await storage.get(entry.key, at, Math.min(READ_PIECE, entry.size - at));
    }
    return Readable.from(pieces());
  }

  async write(entry: SyncEntry, data: Readable): Promise<void> {
    const parts: Buffer[] = [];
    for await (const chunk of data) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    await this.storage.put(entry.key, Buffer.concat(parts));
  }

  async mkdir(): Promise<void> {
    // Implied by the keys below it.
  }

  async symlink(entry: SyncEntry): Promise<void> {
    throw new Error(`${entry.key}: object storage has no symlinks (leave --links out to copy what they point to)`);
  }

  async remove(entry: SyncEntry): Promise<void> {
    if (!entry.isDir) await this.storage.delete(entry.key);
  }

  async close(): Promise<void> {}
}
