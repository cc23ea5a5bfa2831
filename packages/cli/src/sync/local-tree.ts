import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { headFileSystem, temporaryName, walkFileSystem, type ListOptions, type SyncEntry, type SyncTree, type WriteOptions } from './tree.js';

/** A local directory (`/data/`, `file:///data/`). */
export class LocalTree implements SyncTree {
  readonly isFileSystem = true;
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = root;
  }

  private at(key: string): string {
    return path.join(this.root, key);
  }

  async create(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
  }

  async rootIsDirectory(): Promise<boolean> {
    return (await fsp.stat(this.root).catch(() => undefined))?.isDirectory() ?? false;
  }

  private readonly ops = {
    readdir: (k: string) => fsp.readdir(this.at(k)),
    lstat: (k: string) => fsp.lstat(this.at(k)),
    stat: (k: string) => fsp.stat(this.at(k)),
    readlink: (k: string) => fsp.readlink(this.at(k)),
  };

  async list(options: ListOptions): Promise<SyncEntry[]> {
    return walkFileSystem(this.ops, options.links, options);
  }

  async head(key: string, options: { links: boolean }): Promise<SyncEntry | undefined> {
    return headFileSystem(this.ops, key, options.links);
  }

  async read(entry: SyncEntry): Promise<Readable> {
    return createReadStream(this.at(entry.key));
  }

  async write(entry: SyncEntry, data: Readable, { perms, inplace }: WriteOptions): Promise<void> {
    const file = this.at(entry.key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    if (inplace) {
      // --inplace: into the file itself (same inode, hard links and open readers see it), at the
      // price of a short file if the sync is interrupted.
      await pipeline(data, createWriteStream(file));
      if (perms && entry.mode !== undefined) await fsp.chmod(file, entry.mode);
      if (entry.mtime > 0) await fsp.utimes(file, new Date(), new Date(entry.mtime));
      return;
    }
    // Through a temporary name, so an interrupted sync never leaves a short file that a rerun
    // would take for a finished one of another size.
    const temp = temporaryName(file, process.pid);
    try {
      await pipeline(data, createWriteStream(temp));
      if (perms && entry.mode !== undefined) await fsp.chmod(temp, entry.mode);
      if (entry.mtime > 0) await fsp.utimes(temp, new Date(), new Date(entry.mtime));
      await fsp.rename(temp, file);
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw err;
    }
  }

  async removeTemporary(key: string, pid: number): Promise<void> {
    await fsp.rm(temporaryName(this.at(key), pid), { force: true });
  }

  async mkdir(entry: SyncEntry, perms: boolean): Promise<void> {
    const dir = this.at(entry.key);
    await fsp.mkdir(dir, { recursive: true });
    if (perms && entry.mode !== undefined) await fsp.chmod(dir, entry.mode);
  }

  async symlink(entry: SyncEntry): Promise<void> {
    const file = this.at(entry.key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.rm(file, { force: true });
    await fsp.symlink(entry.linkTarget ?? '', file);
  }

  async remove(entry: SyncEntry): Promise<void> {
    if (entry.isDir) await fsp.rmdir(this.at(entry.key)).catch(() => undefined); // kept while it still has entries
    else await fsp.rm(this.at(entry.key), { force: true });
  }

  async close(): Promise<void> {}
}
