import { resolve as resolvePath } from 'node:path';
import { decodeFormat, fsError } from '@juicefs/core';
import type { Format } from '@juicefs/core';
import type { EngineStore } from './wiring.js';

/** The volume's format record, or a clear error on an unformatted database. */
export async function readFormat(store: EngineStore, metaUrl: string): Promise<Format> {
  const raw = await store.getFormat();
  if (raw === undefined) {
    throw fsError('ENOENT', `database ${redactUrl(metaUrl)} is not formatted: run juicefs format ${redactUrl(metaUrl)} NAME first`);
  }
  return decodeFormat(raw);
}

/** A META-URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1****@');
}

/** Volume names: 3-63 of [a-z0-9-], starting and ending alphanumeric (they prefix object keys). */
export function checkVolumeName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
    throw fsError('EINVAL', `invalid volume name "${name}": use 3 to 63 characters of a-z, 0-9 and "-", starting and ending with a letter or digit`);
  }
}


/**
 * A local bucket as JuiceFS stores it: absolute, ending in "/". A relative one kept as typed would
 * be taken from whatever directory each later mount or gc runs in.
 */
export function localBucket(bucket: string): string {
  return `${resolvePath(bucket).replace(/\/+$/, '')}/`;
}
