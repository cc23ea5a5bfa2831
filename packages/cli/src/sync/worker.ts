import { fsError } from '@juicefs/core';
import { log } from '../log.js';
import type { DoneKind } from './checkpoint.js';
import { failureCounter, inParallel, runItem, type ItemContext, type SyncCounts } from './execute.js';
import { TOKEN_HEADER, type FetchReply, type WorkReport } from './work-report.js';

export interface WorkerOptions {
  /** The manager's HOST:PORT (`--manager`). */
  manager: string;
  /** The run's token and this worker's name, from the environment the manager gave it. */
  token: string;
  id: string;
  threads: number;
  item: Omit<ItemContext, 'counts' | 'fail' | 'progress'>;
}

/** How often a worker reports, as JuiceFS's do. */
const REPORT_EVERY_MS = 1000;
const COUNTERS = ['copied', 'copiedBytes', 'skipped', 'deleted', 'failed', 'checked'] as const;

function isRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED' || (err as { code?: string }).code === 'ECONNREFUSED';
}

/**
 * The worker side of a distributed sync (`--manager`, set by the manager that launched it):
 * fetches batches of work until the manager has none, does them `threads` at a time, and reports
 * every second and at the end. Returns what it did.
 */
export async function runWorker(o: WorkerOptions): Promise<SyncCounts> {
  const counts: SyncCounts = { found: 0, copied: 0, copiedBytes: 0, skipped: 0, deleted: 0, failed: 0, checked: 0 };
  const reported: Record<(typeof COUNTERS)[number], number> = { copied: 0, copiedBytes: 0, skipped: 0, deleted: 0, failed: 0, checked: 0 };
  let done: WorkReport['done'] = [];
  let differing: string[] = [];
  let finished: string[] = [];
  const base = `http://${o.manager}`;
  // The pid names this process's temporary files, which the manager removes if it dies.
  const query = `worker=${encodeURIComponent(o.id)}&pid=${process.pid}`;
  const headers = { [TOKEN_HEADER]: o.token };
  const ctx: ItemContext = {
    ...o.item,
    counts,
    fail: failureCounter(counts, 0),
    progress: {
      markDone: (kind: DoneKind, e) => void done.push({ kind, key: e.key }),
      markDiffering: (e) => void differing.push(e.key),
    },
  };

  /** Set once the manager refuses connections: it has gone, and this worker stops too. */
  let gone: Error | undefined;
  const managerGone = (err: unknown) => fsError('ECONNREFUSED', `the manager at ${o.manager} has stopped, so this worker stops too`, err);
  // One report at a time; one that fails keeps its content for the next.
  let reporting: Promise<void> = Promise.resolve();
  const report = (): Promise<void> => {
    reporting = reporting.then(async () => {
      const snapshot = { ...counts };
      const body: WorkReport = {
        counts: Object.fromEntries(COUNTERS.map((k) => [k, snapshot[k] - reported[k]])),
        done,
        differing,
        finished,
      };
      [done, differing, finished] = [[], [], []];
      try {
        const res = await fetch(`${base}/stats?${query}`, { method: 'POST', headers, body: JSON.stringify(body) });
        const text = await res.text();
        if (res.status === 410) {
          gone ??= fsError('ECANCELED', `the manager at ${o.manager} wrote this worker off: ${text}`);
          return;
        }
        if (!res.ok || text !== 'OK') throw new Error(`${res.status} ${text}`);
        for (const k of COUNTERS) reported[k] = snapshot[k];
      } catch (err) {
        done = [...body.done, ...done];
        differing = [...body.differing, ...differing];
        finished = [...body.finished, ...finished];
        if (isRefused(err)) gone ??= managerGone(err);
        else log.warn(`juicefs sync worker: reporting to ${o.manager} failed (${(err as Error).message}); trying again`);
      }
    });
    return reporting;
  };
  const timer = setInterval(() => void report(), REPORT_EVERY_MS);
  try {
    for (;;) {
      let batch: FetchReply;
      try {
        const res = await fetch(`${base}/fetch?${query}`, { headers });
        if (res.status === 410) throw fsError('ECANCELED', `the manager at ${o.manager} wrote this worker off: ${await res.text()}`);
        if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
        batch = (await res.json()) as FetchReply;
      } catch (err) {
        if ((err as { code?: string }).code === 'ECANCELED') throw err;
        if (isRefused(err)) throw managerGone(err);
        log.warn(`juicefs sync worker: fetching work from ${o.manager} failed (${(err as Error).message}); trying again`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (batch.length === 0) break;
      log.debug(`juicefs sync worker: got ${batch.length} items`);
      await inParallel(batch, o.threads, async (item) => {
        await runItem(item, ctx);
        finished.push(item.entry.key);
      }, () => gone !== undefined);
      if (gone) throw gone;
    }
  } finally {
    clearInterval(timer);
  }
  // The last report must arrive: the manager counts on it before it closes the run.
  for (let tries = 0; ; tries++) {
    await report();
    if (gone) throw gone;
    if (finished.length === 0 && done.length === 0 && COUNTERS.every((k) => counts[k] === reported[k])) break;
    if (tries >= 10) throw fsError('EIO', `could not report the last of this worker's work to ${o.manager}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return counts;
}
