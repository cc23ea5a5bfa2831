import type { TimedCount } from '@juicefs/core';

/** A count and the seconds it took, observed one event at a time. */
export class Timing implements TimedCount {
  total = 0;
  sum = 0;

  observe(seconds: number): void {
    this.total++;
    this.sum += seconds;
  }

  /** A copy, so a stats() result does not change under its reader. */
  snapshot(): TimedCount {
    return { total: this.total, sum: this.sum };
  }
}

/** Seconds since `started` (a performance.now() reading). */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
