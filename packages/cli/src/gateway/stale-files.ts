import type { JuiceFS } from '@juicefs/core';
import { log } from '../log.js';
import { isUploadId, type Layout } from './layout.js';
import type { ObjectStore } from './objects.js';

/**
 * What a gateway leaves in `.sys` when it does not finish: the temporary file of a PUT cut off
 * by a crash, and multipart uploads that were never completed or aborted. JuiceFS's gateway
 * removes such entries once they have not changed for a week, checking once a day; so does this
 * one, and also soon after it starts, so that a gateway restarted more often than daily cleans too.
 */
const STALE_AFTER_MS = 7 * 24 * 3600 * 1000;
const SWEEP_EVERY_MS = 24 * 3600 * 1000;
const FIRST_SWEEP_AFTER_MS = 3_000;

/** The `.sys` directories of temporary files and uploads, for each bucket the gateway serves. */
export function stagingDirs(layout: Layout, buckets: readonly string[]): string[] {
  return [...new Set(buckets.flatMap((b) => [layout.tmpRoot(b), layout.uploadsRoot(b)]))];
}

/**
 * Remove the entries of `dirs` that have not changed for STALE_AFTER_MS before `now`: temporary
 * files and upload directories (UUID names) inside their 3-character fan-out directories, and
 * fan-out directories emptied so. Anything else is named and left alone. Returns how many
 * entries went.
 */
export async function sweepStaleFiles(fs: JuiceFS, dirs: readonly string[], now = Date.now()): Promise<number> {
  let removed = 0;
  /** Sweep one directory; true when every entry in it was removed. */
  const sweep = async (dir: string, depth: number): Promise<boolean> => {
    let names: string[];
    try {
      names = (await fs.readdirEntries(dir)).map((e) => e.name);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') log.warn(`gateway: cannot list ${dir} to remove stale files: ${(err as Error).message}`);
      return false;
    }
    let gone = 0;
    for (const name of names) {
      const path = `${dir}/${name}`;
      const st = await fs.lstat(path).catch(() => undefined);
      if (st === undefined) continue; // removed meanwhile (an upload completed or aborted)
      const fanOut = depth === 0 && st.isDirectory() && name.length === 3;
      if (fanOut) {
        if (!(await sweep(path, 1))) continue;
      } else if (!isUploadId(name)) {
        // Temporary names are UUIDs too (directly in tmp/ before the fan-out, as older gateways
        // left them): anything else was not put here by a gateway.
        log.warn(`gateway: unexpected entry ${path} among the gateway's temporary files; left alone`);
        continue;
      }
      // A fan-out directory's age counts from its last change, which may be this sweep's.
      const mtime = fanOut ? (await fs.lstat(path).catch(() => undefined))?.mtimeMs : st.mtimeMs;
      if (mtime === undefined || now - mtime <= STALE_AFTER_MS) continue;
      try {
        await fs.rm(path, { recursive: true, force: true });
        gone++;
        removed++;
        log.info(`gateway: removed ${path}, stale since ${new Date(mtime).toISOString()}`);
      } catch (err) {
        log.warn(`gateway: cannot remove stale ${path}: ${(err as Error).message}`);
      }
    }
    return gone === names.length;
  };
  for (const dir of dirs) await sweep(dir, 0);
  return removed;
}

/**
 * Sweep the gateway's stale files soon after start and then every SWEEP_EVERY_MS, until
 * `stop()`, which waits for a sweep under way. The buckets are listed each time (with
 * --multi-buckets they come and go).
 */
export function startStaleSweeper(store: ObjectStore): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweepNow = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const buckets = (await store.listBuckets()).map((b) => b.name);
        await sweepStaleFiles(store.fs, stagingDirs(store.layout, buckets));
      } catch (err) {
        log.warn(`gateway: removing stale temporary files failed: ${(err as Error).message}`);
      }
    });
  };
  const first = setTimeout(sweepNow, FIRST_SWEEP_AFTER_MS);
  const daily = setInterval(sweepNow, SWEEP_EVERY_MS);
  first.unref();
  daily.unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(daily);
      await running;
    },
  };
}
