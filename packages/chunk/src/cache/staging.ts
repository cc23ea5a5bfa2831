import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseBlockName } from '../layout/keys.js';
import { listFiles, readRange, writeFileAtomic } from './files.js';

/**
 * Writeback staging: blocks acknowledged to writers but not yet in object storage, kept as
 * uncompressed files under `<cacheDir>/<uuid>/rawstaging/chunks/...` as JuiceFS keeps them. A
 * staged block is the only copy until uploaded, so readers look here first.
 */
export class StagingArea {
  readonly root: string;
  private readonly staged = new Map<string, number>();

  constructor(cacheDir: string, uuid: string) {
    this.root = path.join(cacheDir, uuid, 'rawstaging');
  }

  get count(): number {
    return this.staged.size;
  }

  /** Blocks found from an earlier run (left by a crash or an unclean stop); damaged ones are dropped. */
  async scan(): Promise<string[]> {
    await fsp.mkdir(this.root, { recursive: true });
    const found: string[] = [];
    for (const { rel, size } of await listFiles(this.root)) {
      const ref = parseBlockName(rel);
      if (!ref || size !== ref.length || !rel.startsWith('chunks/')) {
        await fsp.rm(path.join(this.root, rel), { force: true });
        continue;
      }
      this.staged.set(rel, size);
      found.push(rel);
    }
    return found;
  }

  fileOf(key: string): string {
    return path.join(this.root, key);
  }

  has(key: string): boolean {
    return this.staged.has(key);
  }

  async stage(key: string, data: Buffer): Promise<void> {
    await writeFileAtomic(this.fileOf(key), data);
    this.staged.set(key, data.length);
  }

  async read(key: string, offset: number, size: number): Promise<Buffer | undefined> {
    if (!this.staged.has(key)) return undefined;
    return readRange(this.fileOf(key), offset, size);
  }

  /** Forgets a block (uploaded, or its slice removed); `keepFile` when the cache adopts the file. */
  async drop(key: string, keepFile = false): Promise<void> {
    this.staged.delete(key);
    if (!keepFile) await fsp.rm(this.fileOf(key), { force: true });
  }

  /** When a staged block was written (its file's mtime), in ms since the epoch; now if unknown. */
  async stagedAt(key: string): Promise<number> {
    try {
      return (await fsp.stat(this.fileOf(key))).mtimeMs;
    } catch {
      return Date.now();
    }
  }

  sizeOf(key: string): number | undefined {
    return this.staged.get(key);
  }
}
