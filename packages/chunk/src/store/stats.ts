import { Histogram, type ObjectMethod } from '@juicefs/core';

/** Counters the store keeps for `stats()`; gauges are read from their owners. */
export class Counters {
  cacheHits = 0;
  cacheMisses = 0;
  cacheHitBytes = 0;
  cacheMissBytes = 0;
  objectGets = 0;
  objectPuts = 0;
  objectDeletes = 0;
  objectErrors = 0;
  getBytes = 0;
  putBytes = 0;
  readonly requests: Record<ObjectMethod, Histogram> = { GET: new Histogram(), PUT: new Histogram(), DELETE: new Histogram() };
  readonly diskCacheReads = new Histogram();
}
