import { tiersOf, type Format } from '@juicefs/core';
import { takesStorageClass } from '@juicefs/chunk';

// What this client does with JuiceFS 1.4's storage tiers (ids 0-3, each a storage class and object
// tags): it applies tier 0's class to the objects it writes on s3 and minio buckets, and keeps the
// tier ids in the metadata (new nodes inherit their directory's). The other tiers' classes, and
// tags, are applied by the Go client only.

/** The rows `tier list` prints: id, storage class (an empty one is the bucket's default) and tags, by id. */
export function tierRows(format: Format): string[][] {
  return Object.values(tiersOf(format))
    .sort((x, y) => x.ID - y.ID)
    .map((t) => [String(t.ID), t.StorageClass === '' ? '(bucket default)' : t.StorageClass, t.Tag]);
}

/** A warning for a mount or `config` of this volume when its tiers ask for what this client does not do; undefined when nothing is lost. */
export function unappliedTiersWarning(format: Format): string | undefined {
  const tiers = Object.values(tiersOf(format));
  const classed = takesStorageClass(format.Storage || 'file');
  const lost: string[] = [];
  for (const t of tiers) {
    if (t.StorageClass !== '' && (t.ID !== 0 || !classed)) lost.push(`tier ${t.ID}'s storage class ${t.StorageClass}`);
    if (t.Tag !== '') lost.push(`tier ${t.ID}'s tags`);
  }
  if (lost.length === 0) return undefined;
  return `this client does not apply ${lost.join(', ')}: objects it writes get ${classed && (tiersOf(format)['0']?.StorageClass ?? '') !== '' ? `tier 0's class` : "the bucket's default class"} and no tags (the Go client applies them)`;
}
