import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseBlockName } from '../layout/keys.js';
import { cacheDirMode, listFiles, makeDirs, readRange, writeFileAtomic } from './files.js';
import { checksumsOf, layoutOf, type ChecksumLevel } from './block-file.js';

/**
 * Writeback staging: blocks acknowledged to writers but not yet in object storage, kept as
 * uncompressed files under `<cacheDir>/<uuid>/rawstaging/chunks/...` as JuiceFS keeps them. A
 * staged block is the only copy until uploaded, so readers look here first.
 */
export class StagingArea {
  readonly root: string;
  private readonly staged = new Map<string, number>();
  /** The free fraction of the file system last seen (space or inodes, the lower), and when. */
  private free = 1;
  private freeCheckedAt = 0;

  /**
   * Staged files are written as cache files are (block-file.ts): with `mode` (`--cache-mode`) and,
   * unless `checksum` is `none`, JuiceFS's checksums after the block; once uploaded they are
   * linked into the cache as they are.
   */
  constructor(cacheDir: string, uuid: string, private readonly mode = 0o600, private readonly checksum: ChecksumLevel = 'extend') {
    this.root = path.join(cacheDir, uuid, 'rawstaging');
  }

  get count(): number {
    return this.staged.size;
  }

  /** Blocks found from an earlier run (left by a crash or an unclean stop); damaged ones are dropped. */
  async scan(): Promise<string[]> {
    makeDirs(this.root, cacheDirMode(this.mode));
    const found: string[] = [];
    for (const { rel, size } of await listFiles(this.root)) {
      const ref = parseBlockName(rel);
      // A staged block may carry checksums (and, from newer Go clients, a footer) after its bytes.
      if (!ref || layoutOf(size, ref.length) === undefined || !rel.startsWith('chunks/')) {
        await fsp.rm(path.join(this.root, rel), { force: true });
        continue;
      }
      this.staged.set(rel, ref.length);
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
    const file = this.fileOf(key);
    makeDirs(path.dirname(file), cacheDirMode(this.mode));
    await writeFileAtomic(file, data, this.mode, this.checksum === 'none' ? undefined : checksumsOf(data));
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

  /**
   * The free fraction of the staging directory's file system, the lower of space and inodes as
   * JuiceFS takes it; looked up at most once a second. 1 when it cannot be looked up.
   */
  async freeRatio(): Promise<number> {
    if (Date.now() - this.freeCheckedAt < 1000) return this.free;
    this.freeCheckedAt = Date.now();
    try {
      const st = await fsp.statfs(path.dirname(this.root));
      const space = st.blocks > 0 ? st.bavail / st.blocks : 1;
      const inodes = st.files > 0 ? st.ffree / st.files : 1;
      this.free = Math.min(space, inodes);
    } catch {
      this.free = 1;
    }
    return this.free;
  }
}
