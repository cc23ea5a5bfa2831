import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createReadStream, createWriteStream, fsError, type JuiceFS } from '@juicefs/core';
import { openVolumeFs } from '../volume-fs.js';
import { headFileSystem, temporaryName, walkFileSystem, type ListOptions, type SyncEntry, type SyncTree, type WriteOptions } from './tree.js';

/**
 * A directory of a JuiceFS volume, opened in this process (no mount needed): `jfs://NAME/path`
 * where the environment variable NAME holds the META-URL, as JuiceFS's sync reads it (so the
 * URL, password included, stays out of the command line).
 */
export class JfsTree implements SyncTree {
  readonly isFileSystem = true;

  private constructor(
    private readonly fs: JuiceFS,
    private readonly root: string,
    readonly description: string,
    private readonly shutdown: () => Promise<void>,
  ) {}

  static async open(metaUrl: string, root: string, description: string): Promise<JfsTree> {
    const v = await openVolumeFs(metaUrl);
    return new JfsTree(v.fs, root.replace(/\/+$/, ''), description, () => v.close());
  }

  private at(key: string): string {
    return `${this.root}/${key}`.replace(/\/+$/, '') || '/';
  }

  async create(): Promise<void> {
    await this.fs.mkdir(this.at(''), { recursive: true });
  }

  async rootIsDirectory(): Promise<boolean> {
    return (await this.fs.stat(this.at('')).catch(() => undefined))?.isDirectory() ?? false;
  }

  private readonly ops = {
    readdir: (k: string) => this.fs.readdir(this.at(k)),
    lstat: (k: string) => this.fs.lstat(this.at(k)),
    stat: (k: string) => this.fs.stat(this.at(k)),
    readlink: (k: string) => this.fs.readlink(this.at(k)),
  };

  async list(options: ListOptions): Promise<SyncEntry[]> {
    return walkFileSystem(this.ops, options.links, options);
  }

  async head(key: string, options: { links: boolean }): Promise<SyncEntry | undefined> {
    return headFileSystem(this.ops, key, options.links);
  }

  async read(entry: SyncEntry): Promise<Readable> {
    return createReadStream(this.fs, this.at(entry.key));
  }

  private async parentOf(key: string): Promise<void> {
    const cut = key.replace(/\/$/, '').lastIndexOf('/');
    await this.fs.mkdir(this.at(cut < 0 ? '' : key.slice(0, cut)), { recursive: true });
  }

  async write(entry: SyncEntry, data: Readable, { perms, inplace }: WriteOptions): Promise<void> {
    await this.parentOf(entry.key);
    const file = this.at(entry.key);
    // As for local directories: through a temporary name renamed over the file, so an
    // interrupted sync never leaves a short file behind; --inplace writes the file itself.
    const target = inplace ? file : temporaryName(file, process.pid);
    try {
      await pipeline(data, createWriteStream(this.fs, target));
      if (perms && entry.mode !== undefined) await this.fs.chmod(target, entry.mode);
      if (entry.mtime > 0) await this.fs.utimes(target, new Date(), new Date(entry.mtime));
      if (!inplace) await this.fs.rename(target, file);
    } catch (err) {
      if (!inplace) await this.fs.rm(target, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async removeTemporary(key: string, pid: number): Promise<void> {
    await this.fs.rm(temporaryName(this.at(key), pid), { force: true });
  }

  async mkdir(entry: SyncEntry, perms: boolean): Promise<void> {
    await this.fs.mkdir(this.at(entry.key), { recursive: true });
    if (perms && entry.mode !== undefined) await this.fs.chmod(this.at(entry.key), entry.mode);
  }

  async symlink(entry: SyncEntry): Promise<void> {
    await this.parentOf(entry.key);
    await this.fs.rm(this.at(entry.key), { force: true });
    await this.fs.symlink(entry.linkTarget ?? '', this.at(entry.key));
  }

  async remove(entry: SyncEntry): Promise<void> {
    if (entry.isDir) await this.fs.rmdir(this.at(entry.key)).catch(() => undefined);
    else await this.fs.rm(this.at(entry.key), { force: true });
  }

  async close(): Promise<void> {
    await this.shutdown();
  }
}

/** The META-URL behind `jfs://NAME/…`: the environment variable NAME. */
export function metaUrlOf(name: string): string {
  const url = process.env[name];
  if (url === undefined || url === '') {
    throw fsError('EINVAL', `jfs://${name}/: set the environment variable ${name} to the volume's META-URL (e.g. export ${name}=redis://host:6379/1)`);
  }
  return url;
}
