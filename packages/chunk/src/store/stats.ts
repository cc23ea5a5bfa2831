/** Counters the store keeps for `stats()`; gauges are read from their owners. */
export class Counters {
  cacheHits = 0;
  cacheMisses = 0;
  objectGets = 0;
  objectPuts = 0;
  objectDeletes = 0;
  getBytes = 0;
  putBytes = 0;
}
