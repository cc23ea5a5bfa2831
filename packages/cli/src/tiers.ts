import { tierStorageClass, tiersOf, type Format } from '@juicefs/core';
import { takesStorageClass } from '@juicefs/chunk';

// What this client does with JuiceFS 1.4's storage tiers (ids 0-3, each a storage class and object
// tags): on s3 and minio buckets it writes each file's objects with its tier's class (tier 0's is
// the bucket's own) and tags, and new nodes inherit their directory's tier id. Other storages take
// neither, here as with the Go client's object stores that lack them.

/** The rows `tier list` prints: id, storage class (an empty one is the bucket's default) and tags, by id. */
export function tierRows(format: Format): string[][] {
  return Object.values(tiersOf(format))
    .sort((x, y) => x.ID - y.ID)
    .map((t) => [String(t.ID), t.StorageClass === '' ? '(bucket default)' : t.StorageClass, t.Tag]);
}

/** A warning for a mount or `config` of this volume when its tiers ask for what this client does not do; undefined when nothing is lost. */
export function unappliedTiersWarning(format: Format): string | undefined {
  if (takesStorageClass(format.Storage || 'file')) return undefined;
  const lost: string[] = [];
  for (const t of Object.values(tiersOf(format))) {
    if (tierStorageClass(t) !== '') lost.push(`tier ${t.ID}'s storage class ${t.StorageClass}`);
    if (t.Tag !== '') lost.push(`tier ${t.ID}'s tags`);
  }
  if (lost.length === 0) return undefined;
  return `this client does not apply ${lost.join(', ')} on ${format.Storage || 'file'} storage (s3 and minio buckets take them): objects it writes get the bucket's defaults`;
}
