import { backoff, sleep } from './driver.js';
import type { ConflictGate } from './mutex.js';

export interface ConflictRetryOptions {
  /** Whether an error is a lost conflict (serialization failure, deadlock…) worth running again. */
  retryable: (err: unknown) => boolean;
  /** Attempts after the first exclusive one before the conflict is reported. */
  maxRetries: number;
  /** Called from inside one of this client's own transactions (on another connection). */
  nested: boolean;
  /** Counts each lost conflict. */
  onConflict: () => void;
}

/**
 * The server-side SQL engines' transaction policy (PostgreSQL, MySQL): a transaction runs under
 * the client's gate, concurrently with the others; one that lost a conflict re-runs alone, with
 * backoff, so a burst on one hot row turns into serial execution instead of a retry storm (see
 * ConflictGate). A nested transaction must not queue on the gate its outer one holds, so it only
 * retries.
 */
export async function runWithConflictRetry<T>(gate: ConflictGate, attempt: () => Promise<T>, o: ConflictRetryOptions): Promise<T> {
  if (o.nested) return retrying(attempt, 0, o);
  try {
    return await gate.runShared(attempt);
  } catch (err) {
    if (!o.retryable(err)) throw err;
  }
  o.onConflict();
  return gate.runExclusive(() => retrying(attempt, 1, o));
}

async function retrying<T>(attempt: () => Promise<T>, first: number, o: ConflictRetryOptions): Promise<T> {
  for (let n = first; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!o.retryable(err) || n >= o.maxRetries) throw err;
      o.onConflict();
      await sleep(backoff(n));
    }
  }
}
