import fs, { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseBlockName } from '../layout/keys.js';
import { DEFAULT_DIRECT_WRITE_BELOW } from '../object/direct-io.js';
import { BackgroundFileWriter } from './background-writer.js';
import { listFiles, readRange, tempNameOf, writeFileAtomic } from './files.js';

export interface DiskCacheOptions {
  /** The `--cache-dir`; blocks go below `<cacheDir>/<uuid>/raw/`. */
  cacheDir: string;
  /** Volume UUID, naming the sub-directory as JuiceFS does. */
  uuid: string;
  /** Upper bound of cached bytes (`--cache-size`). */
  capacity: number;
  /** Keep at least this fraction of the file system free (`--free-space-ratio`, default 0.1). */
  freeSpaceRatio?: number;
  /**
   * Blocks waiting to be written before further (unforced) puts are dropped, as JuiceFS drops
   * them when its caching queue is full (default 15: a fifth of the default 300 MiB buffer in
   * 4 MiB blocks, JuiceFS's own bound).
   */
  maxPending?: number;
}

/**
 * Hard-links `source` as `file`. A file already there (left by a crashed run, or made by another
 * process sharing the cache) is replaced; a directory removed behind our back is made again.
 */
function linkReplacing(source: string, file: string, dir: string): void {
  try {
    fs.linkSync(source, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') fs.rmSync(file, { force: true });
    else if (code === 'ENOENT' && fs.existsSync(source)) fs.mkdirSync(dir, { recursive: true });
    else throw err;
    fs.linkSync(source, file);
  }
}

/** JuiceFS's default bound on blocks queued for the disk cache (see `maxPending`). */
export const DEFAULT_MAX_PENDING_CACHE_WRITES = 15;

interface PendingWrite {
  key: string;
  data: Buffer;
  done: Promise<void>;
  settle: (err?: unknown) => void;
}

/**
 * Uncompressed blocks on local disk, laid out as JuiceFS lays them out (`raw/chunks/...`), so a
 * cache directory survives restarts. The index is rebuilt by scanning on open; files whose size
 * differs from the length in their name (a crash mid-write, a truncation) are dropped.
 */
export class DiskBlockCache {
  readonly root: string;
  // Insertion order of a Map is our LRU order: a hit moves the key to the end.
  private readonly index = new Map<string, number>();
  private used = 0;
  private lastSpaceCheck = 0;
  private lowSpace = false;
  /** Blocks handed to `put` whose files are not written yet: readers are served from here. */
  private readonly writing = new Map<string, PendingWrite>();
  /** Blocks waiting for `drain`, which writes them one at a time: big ones, and small ones the writer thread had no slot for. */
  private readonly queue: PendingWrite[] = [];
  private draining: Promise<void> | undefined;
  /** Small blocks go to a writer thread (see background-writer.ts), one slot per queued block. */
  private readonly writer: BackgroundFileWriter;
  private readonly maxPending: number;
  private dropped = 0;
  /** False once a hard link into the cache failed for a reason that will not go away (see `link`). */
  private linkable = true;
  /** Directories `link` has made (or found) below the root. */
  private readonly madeDirs = new Set<string>();
  /** Every put not yet settled (its file and the evictions it started). */
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly opts: DiskCacheOptions) {
    this.root = path.join(opts.cacheDir, opts.uuid, 'raw');
    this.maxPending = Math.max(1, opts.maxPending ?? DEFAULT_MAX_PENDING_CACHE_WRITES);
    this.writer = new BackgroundFileWriter(this.maxPending, DEFAULT_DIRECT_WRITE_BELOW);
  }

  /** Puts dropped because the queue was full. */
  get drops(): number {
    return this.dropped;
  }

  get usedBytes(): number {
    return this.used;
  }

  get count(): number {
    return this.index.size;
  }

  /** Scans the directory: indexes good blocks, deletes temporary and damaged files. */
  async open(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
    for (const { rel, size } of await listFiles(this.root)) {
      const ref = parseBlockName(rel);
      if (!ref || size !== ref.length || !rel.startsWith('chunks/')) {
        await fsp.rm(path.join(this.root, rel), { force: true });
        continue;
      }
      this.index.set(rel, size);
      this.used += size;
    }
    await this.evictIfNeeded();
  }

  has(key: string): boolean {
    return this.index.has(key) || this.writing.has(key);
  }

  fileOf(key: string): string {
    return path.join(this.root, key);
  }

  /** `size` bytes at `offset` of a cached block, or undefined when not (or no longer) cached. */
  async get(key: string, offset: number, size: number): Promise<Buffer | undefined> {
    const w = this.writing.get(key);
    if (w) return Buffer.from(w.data.subarray(offset, offset + size));
    const len = this.index.get(key);
    if (len === undefined) return undefined;
    const data = await readRange(this.fileOf(key), offset, size);
    if (!data || data.length !== Math.min(size, Math.max(0, len - offset))) {
      await this.remove(key); // vanished or damaged behind our back: fetch again
      return undefined;
    }
    // The read awaited: an eviction may have dropped the key meanwhile. Re-inserting it then would
    // index a deleted file and let `used` drift below what is on disk.
    if (this.index.get(key) === len) {
      this.index.delete(key);
      this.index.set(key, len);
    }
    return data;
  }

  /**
   * Caches a block. Readers see it at once; its file is written in the background, off the event
   * loop, so request handling never waits on the cache disk: small blocks by a writer thread,
   * big ones (where a copy would cost more than the pool's hops) through the thread pool. The
   * returned promise settles when the file is written.
   *
   * When `maxPending` blocks are already waiting the block is dropped instead, unless `force`
   * (warmup): like JuiceFS, a disk slower than the reads and writes feeding it loses cache
   * entries instead of building an unbounded backlog that slows everything after it.
   */
  put(key: string, data: Buffer, force = false): Promise<void> {
    if (this.has(key) || data.length > this.opts.capacity) return Promise.resolve();
    if (!force && this.writing.size >= this.maxPending) {
      this.dropped++;
      return Promise.resolve();
    }
    let settle!: (err?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
    // Tracked apart from `writing`, which forgets the key before its evictions are over; and
    // nobody may be waiting on `done`, so a failed write must not become an unhandled rejection.
    this.track(done);
    const w: PendingWrite = { key, data, done, settle };
    this.writing.set(key, w);
    const file = this.fileOf(key);
    // Small blocks to the writer thread while it has a free slot (forced puts can outnumber
    // them); the rest through the pool.
    let small: Promise<void> | undefined;
    try {
      small = this.writer.write(file, tempNameOf(file), data, 0o600);
    } catch {
      small = undefined; // no writer thread here (a Worker could not start): the pool writes it
    }
    if (small) {
      small.then(
        () => void this.written(w),
        (err: unknown) => this.failed(w, err),
      );
    } else {
      this.queue.push(w);
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
    }
    return done;
  }

  /** Writes queued blocks until none is left (small ones directly, big ones through the pool; files.ts). */
  private async drain(): Promise<void> {
    for (let w = this.queue.shift(); w !== undefined; w = this.queue.shift()) {
      try {
        await writeFileAtomic(this.fileOf(w.key), w.data);
      } catch (err) {
        this.failed(w, err);
        continue;
      }
      await this.written(w);
    }
  }

  private async written(w: PendingWrite): Promise<void> {
    this.account(w.key, w.data.length);
    // Before evicting: an eviction may remove this key and must not wait on us.
    this.writing.delete(w.key);
    try {
      await this.evictIfNeeded();
      w.settle();
    } catch (err) {
      w.settle(err);
    }
  }

  private failed(w: PendingWrite, err: unknown): void {
    this.writing.delete(w.key);
    w.settle(err);
  }

  /**
   * Caches a block whose bytes already sit in a local file (a `file` bucket's object, just put)
   * by hard-linking that file into the cache instead of writing a copy: no second inode, no
   * second write. On this VM's ext4 a fresh file cost 18-830 µs, more than the whole copy.
   * Returns false, caching nothing, when the link cannot be made (the cache on another file
   * system, a file system without hard links): the caller then copies with `put`. After such a
   * failure linking is not tried again. The link is made at once, on the caller's thread: one
   * system call, cheaper than handing the block to the writer thread.
   */
  link(key: string, source: string, size: number): boolean {
    if (!this.linkable) return false;
    if (this.has(key)) return true;
    if (size > this.opts.capacity) return true; // as put: too big to cache is not a failure
    const file = this.fileOf(key);
    const dir = path.dirname(file);
    try {
      if (!this.madeDirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      linkReplacing(source, file, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Anything else (the source gone, a full disk) is about this block only.
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK') this.linkable = false;
      return false;
    }
    this.account(key, size);
    this.track(this.evictIfNeeded());
    return true;
  }

  /** Keeps `p` among the work `flush` waits for, without letting its failure go unhandled. */
  private track(p: Promise<void>): void {
    const settled = p.catch(() => undefined);
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
  }

  /** Waits for cache writes and the evictions they started (before closing, or removing the directory). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Waits for cache writes, then ends the writer thread. */
  async close(): Promise<void> {
    await this.flush();
    await this.writer.close();
  }

  /**
   * Takes in a finished file (a staged block once uploaded) by hard-linking it into the cache, so
   * there is no moment when a reader finds the block in neither place. The caller unlinks `file`.
   */
  async adopt(key: string, file: string, size: number): Promise<void> {
    if (this.index.has(key) || size > this.opts.capacity) return;
    await fsp.mkdir(path.dirname(this.fileOf(key)), { recursive: true });
    await fsp.rm(this.fileOf(key), { force: true });
    await fsp.link(file, this.fileOf(key));
    this.account(key, size);
    await this.evictIfNeeded();
  }

  /** Indexes a block once, even when two writers of the same block raced to put it. */
  private account(key: string, size: number): void {
    const old = this.index.get(key);
    if (old !== undefined) this.used -= old;
    this.index.set(key, size);
    this.used += size;
  }

  async remove(key: string): Promise<void> {
    const w = this.writing.get(key);
    if (w) await w.done.catch(() => undefined);
    const len = this.index.get(key);
    if (len !== undefined) {
      this.index.delete(key);
      this.used -= len;
    }
    await fsp.rm(this.fileOf(key), { force: true });
  }

  /** Evicts least recently used blocks while over capacity or short of free space. */
  private async evictIfNeeded(): Promise<void> {
    await this.checkSpace();
    if (this.used <= this.opts.capacity && !this.lowSpace) return;
    const target = this.lowSpace ? this.used * 0.8 : this.opts.capacity * 0.95;
    for (const key of [...this.index.keys()]) {
      if (this.used <= target) break;
      await this.remove(key);
    }
    this.lowSpace = false;
  }

  private async checkSpace(): Promise<void> {
    const ratio = this.opts.freeSpaceRatio ?? 0.1;
    if (ratio <= 0 || Date.now() - this.lastSpaceCheck < 1000) return;
    this.lastSpaceCheck = Date.now();
    try {
      const st = await fsp.statfs(this.root);
      this.lowSpace = st.blocks > 0 && st.bavail / st.blocks < ratio;
    } catch {
      this.lowSpace = false;
    }
  }
}
