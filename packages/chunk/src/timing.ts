/** Seconds since `started` (a performance.now() reading), for the store's Histograms. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
