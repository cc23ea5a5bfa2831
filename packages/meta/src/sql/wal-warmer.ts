import * as fs from 'node:fs';

/**
 * A COMMIT that took longer than this (µs) probably read the write-ahead log back from disk.
 * Commits with the log's pages in the page cache take 30–50 µs here.
 */
const SLOW_COMMIT_MICROS = 250;
/** At least this long (ms) between two warm-ups. */
const WARM_EVERY_MS = 50;
/** Read in pieces this large (one buffer per warm-up). */
const WARM_CHUNK = 1 << 20;

/**
 * Brings SQLite's write-ahead log back into the page cache once its pages were evicted.
 *
 * A WAL frame is a 24-byte header and a 4 KiB page, so frames straddle page-cache pages. Once a
 * checkpoint lets SQLite start the log over, each COMMIT rewrites old frames in place, and each
 * page-cache page it touches that is not cached (after `drop_caches` or under memory pressure)
 * is first read from disk, synchronously, one page at a time, on the event loop (`perf`:
 * `ext4_block_write_begin` waiting on the read). After the bench's `drop_caches`, about 170
 * commits in a row took 300–450 µs instead of 30–50. Two slow commits in a row (one alone is
 * usually a checkpoint) start one read of the whole log on the thread pool, in big sequential
 * reads: 3–10 ms of a pool thread, after which the commits are fast again. In a probe writing
 * 1200 small files through the mount with the caches dropped every 300, slow commits went from
 * 510–517 to 33–36 and the time in COMMIT from 366–404 ms to 160–175 ms.
 */
export class WalWarmer {
  private lastWarm = 0;
  private warming = false;
  private lastSlow = false;

  constructor(private readonly walFile: string) {}

  /**
   * Called after each COMMIT with how long it took. Returns the warm-up it started, if any
   * (it never fails: a warm-up is only a hint to the page cache).
   */
  committed(micros: number): Promise<void> | undefined {
    const slow = micros >= SLOW_COMMIT_MICROS;
    const again = slow && this.lastSlow;
    this.lastSlow = slow;
    if (!again || this.warming) return undefined;
    const now = Date.now();
    if (now - this.lastWarm < WARM_EVERY_MS) return undefined;
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
      for (let at = 0; ; at += WARM_CHUNK) {
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
