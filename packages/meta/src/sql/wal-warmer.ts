import * as fs from 'node:fs';

/**
 * A COMMIT that took longer than this (µs) probably read the write-ahead log back from disk.
 * Commits with the log's pages in the page cache take 30–50 µs here.
 */
const SLOW_COMMIT_MICROS = 250;
/**
 * Slow commits in a row that start a warm-up. A checkpoint makes one slow commit, sometimes two
 * (the one after it starts the log over); an evicted log makes a run of ~170.
 */
const SLOW_RUN = 3;
/** At least this long (ms) between two warm-ups; doubled while they come within a second, up to WARM_GAP_MAX_MS. */
const WARM_GAP_MS = 50;
const WARM_GAP_MAX_MS = 5000;
/** Read in pieces this large (one buffer per warm-up). */
const WARM_CHUNK = 1 << 20;
/**
 * Read at most the log's first this many bytes: after a checkpoint SQLite rewrites it from the
 * start, and a log that grew past its usual ~4 MiB (checkpoints held back by a reader) need not be
 * read whole.
 */
const WARM_LIMIT = 16 << 20;

/**
 * Brings SQLite's write-ahead log back into the page cache once its pages were evicted.
 *
 * A WAL frame is a 24-byte header and a 4 KiB page, so frames straddle page-cache pages. Once a
 * checkpoint lets SQLite start the log over, each COMMIT rewrites old frames in place, and each
 * page-cache page it touches that is not cached (after `drop_caches` or under memory pressure)
 * is first read from disk, synchronously, one page at a time, on the event loop (`perf`:
 * `ext4_block_write_begin` waiting on the read). After the bench's `drop_caches`, about 170
 * commits in a row took 300–450 µs instead of 30–50. Three slow commits in a row (SLOW_RUN)
 * start one read of the log on the thread pool, in big sequential
 * reads: 3–10 ms of a pool thread, after which the commits are fast again. In a probe writing
 * 1200 small files through the mount with the caches dropped every 300, slow commits went from
 * 510–517 to 33–36 and the time in COMMIT from 366–404 ms to 160–175 ms.
 */
export class WalWarmer {
  private lastWarm = 0;
  private gap = WARM_GAP_MS;
  private warming = false;
  /** Slow commits in a row, up to now. */
  private slowRun = 0;

  constructor(private readonly walFile: string) {}

  /**
   * Called after each COMMIT with how long it took. Returns the warm-up it started, if any
   * (it never fails: a warm-up is only a hint to the page cache).
   */
  committed(micros: number): Promise<void> | undefined {
    this.slowRun = micros >= SLOW_COMMIT_MICROS ? this.slowRun + 1 : 0;
    if (this.slowRun < SLOW_RUN || this.warming) return undefined;
    const now = Date.now();
    const since = now - this.lastWarm;
    if (since < this.gap) return undefined;
    // Commits that stay slow although the log was just read are slow for another reason (a busy
    // disk): warm-ups then come ever more rarely.
    this.gap = since < 1000 ? Math.min(this.gap * 2, WARM_GAP_MAX_MS) : WARM_GAP_MS;
    this.lastWarm = now;
    this.warming = true;
    return this.warm().finally(() => (this.warming = false));
  }

  private async warm(): Promise<void> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.walFile, 'r');
    } catch {
      return; // no log (yet): nothing to warm
    }
    try {
      const buf = Buffer.allocUnsafe(WARM_CHUNK);
      for (let at = 0; at < WARM_LIMIT; at += WARM_CHUNK) {
        const { bytesRead } = await handle.read(buf, 0, WARM_CHUNK, at);
        if (bytesRead < WARM_CHUNK) break;
      }
    } catch {
      // A failed read leaves the cache as it was: nothing to report.
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
}
