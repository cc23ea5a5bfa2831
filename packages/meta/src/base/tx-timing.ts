import type { TimedCount } from '@juicefs/core';

/**
 * Count one transaction, begun at `started` (process.hrtime.bigint()), into `into`: what JuiceFS
 * observes into `juicefs_transaction_durations_histogram_seconds` around each of its txn() calls.
 */
export function timeTxn(into: TimedCount, started: bigint): void {
  into.total++;
  into.sum += Number(process.hrtime.bigint() - started) / 1e9;
}
