/**
 * The one place that knows every implementation: META-URLs become engines and metadata clients
 * here, formats become object storages and chunk stores. Commands take what this returns and code
 * against the contracts.
 */
import { openVolumeStorage } from '@juicefs/chunk';
import { fsError } from '@juicefs/core';
import type { Format, ObjectStorage } from '@juicefs/core';
import { openEngine, openMeta } from '@juicefs/meta';
import type { BaseMeta, EngineStore } from '@juicefs/meta';
import { log } from './log.js';
import { keyPassphrase } from './key-passphrase.js';

export type { BaseMeta, EngineStore };
export { openVolumeStorage };

/**
 * How a command opens META-URL: `create` only for the commands that make a volume (format, load);
 * every other one finds a SQLite file missing "not formatted" instead of leaving an empty one there.
 */
export interface OpenOptions {
  create?: boolean;
}

/** Open META-URL's engine, run `fn`, and always close the connection. */
export async function withEngine<T>(metaUrl: string, fn: (store: EngineStore) => Promise<T>, o: OpenOptions = {}): Promise<T> {
  const store = await openEngine(metaUrl, { create: o.create ?? false });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Open a metadata client (the engine behind the POSIX rules), run `fn`, and shut it down. */
export async function withMeta<T>(metaUrl: string, fn: (meta: BaseMeta) => Promise<T>, o: OpenOptions = {}): Promise<T> {
  const meta = await openMeta(metaUrl, { create: o.create ?? false });
  try {
    return await fn(meta);
  } finally {
    await meta.shutdown();
  }
}

/**
 * The volume's object storage (keys below `<Name>/`), checked to be usable: created when missing
 * (a local directory, an S3 bucket), as `juicefs format` does. `format` must hold plain secrets.
 */
export async function openCheckedStorage(format: Format): Promise<ObjectStorage> {
  const storage = openVolumeStorage(format, { retry: { attempts: 2, baseDelayMs: 100 }, ...keyPassphrase() });
  log.debug(`checking that ${storage.description} is usable`);
  try {
    await storage.create();
  } catch (err) {
    throw fsError(
      'EIO',
      `cannot use ${format.Storage} storage "${format.Bucket}": ${(err as Error).message}; check --storage, --bucket and the access keys`,
      err,
    );
  }
  return storage;
}
