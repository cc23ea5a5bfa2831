import fs, { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseBlockName } from '../layout/keys.js';
import { Histogram } from '@juicefs/core';
import { secondsSince } from '../timing.js';
import { DEFAULT_DIRECT_WRITE_BELOW } from '../object/direct-io.js';
import { BackgroundFileWriter } from './background-writer.js';
import { cacheDirMode, listFiles, makeDirs, tempNameOf, writeFileAtomic, type ListedFile } from './files.js';
import { checksumsOf, layoutOf, openCacheFile, readChecked, type ChecksumLevel } from './block-file.js';
import { evictionOrder, type CacheEviction, type CachedBlock } from './eviction.js';

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
  /** Mode of cache files (`--cache-mode`, default 0600); directories get the matching x bits. */
  mode?: number;
  /** Most blocks kept (`--cache-items`); 0: no bound but `capacity`. */
  maxItems?: number;
  /** `--cache-eviction` (default `2-random`). */
  eviction?: CacheEviction;
  /** Blocks not used for this long are removed (`--cache-expire`, ms); 0: never. */
  expireMs?: number;
  /** How often the directory is scanned again (`--cache-scan-interval`, ms); 0: only on open. */
  scanIntervalMs?: number;
  /** `--verify-cache-checksum` (default `extend`): checksums are written, and checked on reads. */
  checksum?: ChecksumLevel;
}

/** Files a scan finds that are not blocks, or a temporary file this old, are removed. */
const STALE_TEMP_MS = 60_000;

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

/** Errors that say the device is failing, not that one file is missing or the disk is full. */
const DEVICE_ERRORS = new Set(['EIO', 'ENOTCONN', 'ECONNABORTED', 'ENXIO', 'ENODEV', 'ESTALE', 'EROFS']);
/** Device errors in a row after which a cache directory is given up (JuiceFS also gives up after a few). */
const DOWN_AFTER = 3;

/** JuiceFS's default bound on blocks queued for the disk cache (see `maxPending`). */
export const DEFAULT_MAX_PENDING_CACHE_WRITES = 15;

interface PendingWrite {
  key: string;
  data: Buffer;
  /** Checksums to write after `data` (when the pool writes it). */
  trailer?: Buffer;
  done: Promise<void>;
  settle: (err?: unknown) => void;
  /** When the block was handed over (performance.now()), for the write timing. */
  since: number;
}

/**
 * Uncompressed blocks on local disk, laid out as JuiceFS lays them out (`raw/chunks/...`, with
 * its checksums after each block: block-file.ts), so a cache directory survives restarts and
 * passes between this client and the Go one. The index is rebuilt by scanning on open, and again
 * every `scanIntervalMs` (picking up blocks put there by someone else, forgetting removed ones);
 * files whose size fits no layout for the length in their name (a crash mid-write, a truncation)
 * are dropped.
 */
export class DiskBlockCache {
  readonly root: string;
  /** Cached blocks by key, with their length and last use. */
  private readonly index = new Map<string, CachedBlock>();
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
  private corrupt = 0;
  /** Blocks written or linked into the cache, and the seconds from being handed over to being on disk. */
  readonly writes = new Histogram();
  /** Bytes of those blocks. */
  writeBytes = 0;
  /** False once a hard link into the cache failed for a reason that will not go away (see `link`). */
  private linkable = true;
  /** Directories made (or found) below the root. */
  private readonly madeDirs = new Set<string>();
  /** Every put not yet settled (its file and the evictions it started). */
  private readonly inflight = new Set<Promise<void>>();
  private readonly mode: number;
  private readonly dirMode: number;
  private readonly eviction: CacheEviction;
  private readonly checksum: ChecksumLevel;
  private readonly timers: NodeJS.Timeout[] = [];
  private scanning: Promise<void> | undefined;

  constructor(private readonly opts: DiskCacheOptions) {
    this.root = path.join(opts.cacheDir, opts.uuid, 'raw');
    this.maxPending = Math.max(1, opts.maxPending ?? DEFAULT_MAX_PENDING_CACHE_WRITES);
    this.writer = new BackgroundFileWriter(this.maxPending, DEFAULT_DIRECT_WRITE_BELOW);
    this.mode = opts.mode ?? 0o600;
    this.dirMode = cacheDirMode(this.mode);
    this.eviction = opts.eviction ?? '2-random';
    this.checksum = opts.checksum ?? 'extend';
  }

  /** Device errors (see DEVICE_ERRORS) in a row: reads and writes that failed since the last good read. */
  private deviceErrors = 0;
  /** The last device error seen. */
  lastDeviceError: unknown;

  /**
   * True once DOWN_AFTER device errors came in a row: the disk is failing (an I/O error, a mount
   * that went away), and the caller stops using this directory, as JuiceFS takes such a
   * directory out of its ring.
   */
  get down(): boolean {
    return this.deviceErrors >= DOWN_AFTER;
  }

  private sawError(err: unknown): void {
    if (!DEVICE_ERRORS.has(String((err as { code?: unknown })?.code))) return;
    this.deviceErrors++;
    this.lastDeviceError = err;
  }

  /** Puts dropped because the queue was full (or the cache, with `eviction: none`). */
  get drops(): number {
    return this.dropped;
  }

  /** Cache files dropped because their checksums did not match. */
  get corruptions(): number {
    return this.corrupt;
  }

  get usedBytes(): number {
    return this.used;
  }

  get count(): number {
    return this.index.size;
  }

  /**
   * Scans the directory (indexes good blocks, deletes temporary and damaged files) and starts the
   * periodic scan and expiry.
   */
  async open(): Promise<void> {
    const volumeDir = path.dirname(this.root);
    makeDirs(this.root, this.dirMode);
    // As JuiceFS: the cache's own directories follow --cache-mode even when made by an earlier run.
    for (const dir of [volumeDir, this.root]) await fsp.chmod(dir, this.dirMode).catch(() => undefined);
    await this.scan(true);
    await this.evictIfNeeded();
    const every = (ms: number, job: () => Promise<void>): void => {
      const t = setInterval(() => void job().catch(() => undefined), ms);
      t.unref(); // the cache never keeps the process alive
      this.timers.push(t);
    };
    if ((this.opts.scanIntervalMs ?? 0) > 0) every(this.opts.scanIntervalMs!, () => this.rescan());
    const expire = this.opts.expireMs ?? 0;
    // JuiceFS looks for expired blocks every minute, or as often as they expire when that is sooner.
    if (expire > 0) every(Math.min(60_000, expire), () => this.removeExpired());
  }

  /**
   * Walks the directory and makes the index what is on disk: blocks found that the index does
   * not know are taken in (with their file's atime as last use), indexed blocks whose files are
   * gone are forgotten. On open temporary files are removed at once; later only when older than
   * a minute, as they may be ours, being written.
   */
  private async scan(opening: boolean): Promise<void> {
    const found = new Set<string>();
    const now = Date.now();
    for (const f of await listFiles(this.root)) {
      const file = path.join(this.root, f.rel);
      const ref = parseBlockName(f.rel);
      if (!ref || !f.rel.startsWith('chunks/') || layoutOf(f.size, ref.length) === undefined) {
        if (opening || now - f.mtimeMs > STALE_TEMP_MS) await fsp.rm(file, { force: true });
        continue;
      }
      found.add(f.rel);
      if (!this.index.has(f.rel) && !this.writing.has(f.rel)) this.account(f.rel, ref.length, lastUse(f));
    }
    for (const key of [...this.index.keys()]) {
      // Not listed: removed behind our back, unless written after the listing started.
      if (!found.has(key) && !this.writing.has(key) && !fs.existsSync(this.fileOf(key))) this.forget(key);
    }
  }

  /** The periodic scan (`scanIntervalMs`); one at a time. */
  async rescan(): Promise<void> {
    this.scanning ??= (async () => {
      await this.scan(false);
      await this.evictIfNeeded();
      await this.removeExpired();
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** Removes blocks not used for `expireMs` (JuiceFS's `--cache-expire`). */
  async removeExpired(): Promise<void> {
    const expire = this.opts.expireMs ?? 0;
    if (expire <= 0) return;
    const before = Date.now() - expire;
    for (const [key, e] of [...this.index]) {
      if (e.atime < before && !this.writing.has(key)) await this.remove(key);
    }
  }

  has(key: string): boolean {
    return this.index.has(key) || this.writing.has(key);
  }

  fileOf(key: string): string {
    return path.join(this.root, key);
  }

  /**
   * `size` bytes at `offset` of a cached block, or undefined when not (or no longer) cached. A
   * file that fails its checks (its size, its checksums) is removed: the caller fetches the block
   * from object storage, and the next put writes a good copy.
   */
  async get(key: string, offset: number, size: number): Promise<Buffer | undefined> {
    const w = this.writing.get(key);
    if (w) return Buffer.from(w.data.subarray(offset, offset + size));
    const entry = this.index.get(key);
    if (entry === undefined) return undefined;
    const len = entry.size;
    const want = Math.min(size, Math.max(0, len - offset));
    let got: Buffer | undefined;
    try {
      got = await this.readFile(key, len, offset, want);
      this.deviceErrors = 0;
    } catch (err) {
      // The disk failed us (EIO, a dead mount): a miss, so the block comes from object storage.
      this.sawError(err);
      this.forget(key);
      return undefined;
    }
    if (got === undefined) {
      await this.remove(key); // vanished or damaged behind our back: fetch again
      return undefined;
    }
    // The read awaited: an eviction may have dropped the key meanwhile. Touching it then would
    // index a deleted file and let `used` drift below what is on disk.
    if (this.index.get(key) === entry) entry.atime = Date.now();
    return got;
  }

  /** Reads and checks a range of a block's file; undefined when it must not be used. */
  private async readFile(key: string, len: number, offset: number, size: number): Promise<Buffer | undefined> {
    const f = openCacheFile(this.fileOf(key));
    if (!f) return undefined;
    try {
      const layout = layoutOf(f.size, len);
      if (layout === undefined) return undefined;
      let level = this.checksum;
      if (layout === 'plain') {
        // No checksums to check. Trusted only without checking at all, or when the file is a hard
        // link (a local bucket's object linked in by `link`: fetching again would read the same
        // bytes); otherwise fetched again, so a copy with checksums replaces it.
        if (level !== 'none' && f.links < 2) return undefined;
        level = 'none';
      }
      const r = await readChecked(f.fd, len, offset, size, level);
      if ('bad' in r) {
        this.corrupt++;
        return undefined;
      }
      return r.data.length === size ? r.data : undefined;
    } finally {
      fs.closeSync(f.fd);
    }
  }

  /** True when a block of `size` bytes may not be cached now: too big, or a full cache that never evicts. */
  private refuses(size: number): boolean {
    return size > this.opts.capacity || (this.eviction === 'none' && this.isFull(1));
  }

  /** Over `capacity` or `maxItems` (after adding `adding` blocks), or short of free disk space. */
  private isFull(adding = 0): boolean {
    const items = this.opts.maxItems ?? 0;
    return this.used > this.opts.capacity || (items > 0 && this.index.size + this.writing.size + adding > items) || this.lowSpace;
  }

  /**
   * Caches a block. Readers see it at once; its file is written in the background, off the event
   * loop, so request handling never waits on the cache disk: small blocks by a writer thread,
   * big ones (where a copy would cost more than the pool's hops) through the thread pool. The
   * returned promise settles when the file is written.
   *
   * When `maxPending` blocks are already waiting the block is dropped instead, unless `force`
   * (warmup): like JuiceFS, a disk slower than the reads and writes feeding it loses cache
   * entries instead of building an unbounded backlog that slows everything after it. With
   * `eviction: none` a full cache drops new blocks too (JuiceFS: "caching directory is full").
   */
  put(key: string, data: Buffer, force = false): Promise<void> {
    if (this.has(key) || this.refuses(data.length)) {
      if (this.eviction === 'none' && !this.has(key)) this.dropped++;
      return Promise.resolve();
    }
    if (!force && this.writing.size >= this.maxPending) {
      this.dropped++;
      return Promise.resolve();
    }
    let settle!: (err?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
    // Tracked apart from `writing`, which forgets the key before its evictions are over; and
    // nobody may be waiting on `done`, so a failed write must not become an unhandled rejection.
    this.track(done);
    const w: PendingWrite = { key, data, done, settle, since: performance.now() };
    this.writing.set(key, w);
    const file = this.fileOf(key);
    // Small blocks to the writer thread while it has a free slot (forced puts can outnumber
    // them); the rest through the pool. Checksums of a small block are computed here (at most
    // ~0.3 ms); a big block's later, in `drain`, after the caller has gone on with its read.
    const fits = data.length <= this.writer.slotSize;
    const trailer = fits && this.checksum !== 'none' ? checksumsOf(data) : undefined;
    let small: Promise<void> | undefined;
    try {
      this.ensureDir(path.dirname(file));
      small = fits ? this.writer.write(file, tempNameOf(file), data, this.mode, this.dirMode, trailer) : undefined;
    } catch {
      small = undefined; // no writer thread here (a Worker could not start): the pool writes it
    }
    if (small) {
      small.then(
        () => void this.written(w),
        (err: unknown) => this.failed(w, err),
      );
    } else {
      this.queue.push({ ...w, ...(trailer ? { trailer } : {}) });
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
    }
    return done;
  }

  /** Makes a directory below the root with the cache's directory mode, once. */
  private ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    makeDirs(dir, this.dirMode);
    this.madeDirs.add(dir);
  }

  /** Writes queued blocks until none is left (small ones directly, big ones through the pool; files.ts). */
  private async drain(): Promise<void> {
    // Not in the caller's turn of the event loop: a read that fetched this block answers first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (let w = this.queue.shift(); w !== undefined; w = this.queue.shift()) {
      try {
        this.ensureDir(path.dirname(this.fileOf(w.key)));
        const trailer = w.trailer ?? (this.checksum === 'none' ? undefined : checksumsOf(w.data));
        await writeFileAtomic(this.fileOf(w.key), w.data, this.mode, trailer);
      } catch (err) {
        this.failed(w, err);
        continue;
      }
      await this.written(w);
    }
  }

  private async written(w: PendingWrite): Promise<void> {
    this.writes.observe(secondsSince(w.since));
    this.writeBytes += w.data.length;
    this.account(w.key, w.data.length, this.newBlockTime());
    // Before evicting: an eviction may remove this key and must not wait on us.
    this.writing.delete(w.key);
    try {
      await this.evictIfNeeded();
      w.settle();
    } catch (err) {
      w.settle(err);
    }
  }

  /**
   * The last use a new block starts with. As JuiceFS, half the expiry in the past: a burst of new
   * blocks then goes before blocks that readers came back to.
   */
  private newBlockTime(): number {
    return Date.now() - (this.opts.expireMs ?? 0) / 2;
  }

  private failed(w: PendingWrite, err: unknown): void {
    this.sawError(err);
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
   * system call, cheaper than handing the block to the writer thread. The linked file has no
   * checksums; `get` trusts it because it is a link (see readFile).
   */
  link(key: string, source: string, size: number): boolean {
    if (!this.linkable) return false;
    if (this.has(key)) return true;
    if (this.refuses(size)) return true; // as put: not caching is not a failure
    const file = this.fileOf(key);
    const dir = path.dirname(file);
    const started = performance.now();
    try {
      this.ensureDir(dir);
      linkReplacing(source, file, dir);
    } catch (err) {
      this.sawError(err);
      const code = (err as NodeJS.ErrnoException).code;
      // Anything else (the source gone, a full disk) is about this block only.
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EMLINK') this.linkable = false;
      return false;
    }
    this.writes.observe(secondsSince(started));
    this.writeBytes += size;
    this.account(key, size, this.newBlockTime());
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

  /** Stops the periodic scan and expiry, waits for cache writes, then ends the writer thread. */
  async close(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.scanning?.catch(() => undefined);
    await this.flush();
    await this.writer.close();
  }

  /**
   * Takes in a finished file (a staged block once uploaded) by hard-linking it into the cache, so
   * there is no moment when a reader finds the block in neither place. The caller unlinks `file`.
   */
  async adopt(key: string, file: string, size: number): Promise<void> {
    if (this.index.has(key) || this.refuses(size)) return;
    this.ensureDir(path.dirname(this.fileOf(key)));
    await fsp.rm(this.fileOf(key), { force: true });
    await fsp.link(file, this.fileOf(key));
    this.account(key, size, this.newBlockTime());
    await this.evictIfNeeded();
  }

  /** Indexes a block once, even when two writers of the same block raced to put it. */
  private account(key: string, size: number, atime: number): void {
    const old = this.index.get(key);
    if (old !== undefined) this.used -= old.size;
    this.index.set(key, { size, atime });
    this.used += size;
  }

  /** Drops a key from the index (not its file). */
  private forget(key: string): void {
    const e = this.index.get(key);
    if (e === undefined) return;
    this.index.delete(key);
    this.used -= e.size;
  }

  async remove(key: string): Promise<void> {
    const w = this.writing.get(key);
    if (w) await w.done.catch(() => undefined);
    this.forget(key);
    await fsp.rm(this.fileOf(key), { force: true });
  }

  /**
   * Evicts blocks, in the order `eviction` picks them, while over capacity, over `maxItems` or
   * short of free space: down to 95% of the bytes and 99% of the items, as JuiceFS does, so
   * evictions come in batches. With `eviction: none` nothing is evicted.
   */
  private async evictIfNeeded(): Promise<void> {
    await this.checkSpace();
    if (this.eviction === 'none' || !this.isFull()) return;
    const items = this.opts.maxItems ?? 0;
    const byteGoal = this.lowSpace ? this.used * 0.8 : this.opts.capacity * 0.95;
    const itemGoal = items > 0 ? Math.floor((items * 99) / 100) : Infinity;
    const enough = (): boolean => this.used <= byteGoal && this.index.size <= itemGoal;
    const expiredBefore = (this.opts.expireMs ?? 0) > 0 ? Date.now() - this.opts.expireMs! : 0;
    // One pass of 2-random leaves half the blocks it looked at: go round again while needed.
    while (!enough() && this.index.size > 0) {
      const before = this.index.size;
      for (const key of evictionOrder(this.eviction, this.index, expiredBefore)) {
        if (enough()) break;
        await this.remove(key);
      }
      if (this.index.size === before) break;
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

/** When a block found on disk was last used: its atime, unless the file changed since. */
function lastUse(f: ListedFile): number {
  return Math.max(f.atimeMs, f.mtimeMs);
}
