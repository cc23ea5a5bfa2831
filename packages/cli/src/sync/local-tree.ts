import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compareKeys, type SyncEntry, type SyncTree } from './tree.js';

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

  async list(options: { links: boolean }): Promise<SyncEntry[]> {
    const out: SyncEntry[] = [];
    const walk = async (rel: string): Promise<void> => {
      let names: string[];
      try {
        names = await fsp.readdir(this.at(rel));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return; // a destination not made yet
        throw err;
      }
      for (const name of names) {
        const key = rel + name;
        const file = this.at(key);
        let st = await fsp.lstat(file);
        if (st.isSymbolicLink()) {
          if (options.links) {
            out.push({ key, size: 0, mtime: st.mtimeMs, mode: st.mode & 0o7777, isDir: false, linkTarget: await fsp.readlink(file) });
            continue;
          }
          st = await fsp.stat(file).catch(() => st); // a dangling link is skipped below
          if (st.isSymbolicLink()) continue;
        }
        if (st.isDirectory()) {
          out.push({ key: `${key}/`, size: 0, mtime: st.mtimeMs, mode: st.mode & 0o7777, isDir: true });
          await walk(`${key}/`);
        } else if (st.isFile()) {
          out.push({ key, size: st.size, mtime: st.mtimeMs, mode: st.mode & 0o7777, isDir: false });
        }
      }
    };
    await walk('');
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async read(entry: SyncEntry): Promise<Readable> {
    return createReadStream(this.at(entry.key));
  }

  async write(entry: SyncEntry, data: Readable, perms: boolean): Promise<void> {
    const file = this.at(entry.key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    // Through a temporary name, so an interrupted sync never leaves a short file that a rerun
    // would take for a finished one of another size.
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.jfssync${process.pid}`);
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
