import type { DoneKind } from './checkpoint.js';
import type { SyncCounts } from './execute.js';
import type { WorkItem } from './work-queue.js';

// The messages between a distributed sync's manager and its workers, over HTTP as JuiceFS's
// (GET /fetch for a batch of work, POST /stats for what was done), in this client's own JSON:
// the two ends are always this same program.

/** The header that carries the run's token: only the workers this manager started get work. */
export const TOKEN_HEADER = 'x-juicefs-sync-token';

/** What a worker did since its last report. */
export interface WorkReport {
  /** Counters added since the last report accepted. */
  counts: Partial<Omit<SyncCounts, 'found'>>;
  /** Steps done, for the manager's checkpoint. */
  done: Array<{ kind: DoneKind; key: string }>;
  /** Files a comparison found different (copied by the same worker). */
  differing: string[];
  /** Keys of the items finished, whatever their outcome: no longer on the worker's account. */
  finished: string[];
}

export type FetchReply = WorkItem[];
