import { CHANGELOG_TRIM_INTERVAL, trimChangeLog } from './changelog.js';
import { cleanupDeleted, cleanupTrash } from './cleanup.js';
import { cleanStaleSessions } from './session.js';
import type { MetaState } from './state.js';
import { unixNow } from './tx-util.js';

/** Seconds between runs of each shared job (as the Go client schedules them). */
export const JOB_INTERVALS = {
  lastCleanupSessions: 60,
  lastCleanupTrash: 3600,
  lastCleanupChangelog: CHANGELOG_TRIM_INTERVAL,
} as const;

export interface BackgroundPassResult {
  staleSessions: number;
  deletedFiles: number;
  deletedSlices: number;
  trashEntries: number;
  /** Change log lines dropped by the retention rules. */
  changeLogLines: number;
}

/**
 * Claim a shared job: only the client that moves the counter forward by at least 90% of the
 * interval runs it (compare-and-set in one transaction), so clients take turns.
 */
export async function claimJob(m: MetaState, counter: string, interval: number, now: number): Promise<boolean> {
  return m.store.txn(async (tx) => {
    const last = await tx.getCounter(counter);
    if (now - last < interval * 0.9) return false;
    tx.addCounter(counter, now - last);
    return true;
  });
}

/**
 * One pass of the background work: data of deleted files and unreferenced slices every time
 * (JuiceFS deletes them right after the unlink); stale sessions and expired trash when this
 * client wins the claim for them.
 */
export async function backgroundPass(m: MetaState, now = unixNow()): Promise<BackgroundPassResult> {
  const result: BackgroundPassResult = { staleSessions: 0, deletedFiles: 0, deletedSlices: 0, trashEntries: 0, changeLogLines: 0 };
  if (m.readOnly) return result;
  if (await claimJob(m, 'lastCleanupSessions', JOB_INTERVALS.lastCleanupSessions, now)) {
    result.staleSessions = await cleanStaleSessions(m, now);
  }
  if ((m.format?.TrashDays ?? 0) > 0 && (await claimJob(m, 'lastCleanupTrash', JOB_INTERVALS.lastCleanupTrash, now))) {
    result.trashEntries = await cleanupTrash(m, now);
  }
  const f = m.format;
  const retention = (f?.ChangeLogMaxAge ?? 0) > 0 || (f?.ChangeLogMaxLines ?? 0) > 0;
  if (m.store.changeLog && retention && (await claimJob(m, 'lastCleanupChangelog', JOB_INTERVALS.lastCleanupChangelog, now))) {
    result.changeLogLines = await trimChangeLog(m, now);
  }
  const deleted = await cleanupDeleted(m);
  result.deletedFiles = deleted.files;
  result.deletedSlices = deleted.slices;
  return result;
}

export interface BackgroundJobOptions {
  /** Seconds between passes (default 60). */
  tickSeconds?: number;
  /** Receives the failure of a pass; the next tick tries again. */
  onError?: (err: unknown) => void;
}

/** Run `backgroundPass` every tick on an unref'd timer; a slow pass is never overlapped. */
export function startJobs(m: MetaState, options: BackgroundJobOptions = {}): void {
  stopJobs(m);
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    backgroundPass(m)
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        running = false;
      });
  }, (options.tickSeconds ?? 60) * 1000);
  timer.unref();
  m.jobsTimer = timer;
}

export function stopJobs(m: MetaState): void {
  if (m.jobsTimer) clearInterval(m.jobsTimer);
  m.jobsTimer = undefined;
}
