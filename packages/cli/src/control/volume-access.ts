import { chunkStoreOptionsFor, openChunkStore, openVolumeStorage, type JuiceChunkStore } from '@juicefs/chunk';
import type { Format, ObjectStorage } from '@juicefs/core';
import { BaseMeta, openEngine } from '@juicefs/meta';
import { decryptSecret } from '../secrets.js';
import { readFormat } from '../volume.js';
import { keyPassphrase } from '../key-passphrase.js';

/**
 * A volume opened for the operator tools (gc, fsck): its metadata client (with the engine's raw
 * store for the queues it keeps), its format (secrets as stored), and its object storage (keys
 * below the `<Name>/` prefix, opened with the secrets decrypted when first used). `chunks()`
 * opens a chunk store on demand, with a memory cache only, so the tools never touch a mount's
 * disk cache.
 */
export interface ToolVolume {
  meta: BaseMeta;
  format: Format;
  readonly storage: ObjectStorage;
  chunks(): Promise<JuiceChunkStore>;
  close(): Promise<void>;
}

/** The format with SecretKey/SessionToken/EncryptKey in plain text (FORMAT.md 6.1). */
export function plainFormat(format: Format): Format {
  if (!format.KeyEncrypted) return format;
  const f: Format = { ...format, KeyEncrypted: false };
  for (const k of ['SecretKey', 'SessionToken', 'EncryptKey'] as const) {
    const v = f[k];
    if (typeof v === 'string' && v !== '') f[k] = decryptSecret(f.UUID, v, f.EncryptAlgo);
  }
  return f;
}

export async function openToolVolume(metaUrl: string): Promise<ToolVolume> {
  const store = await openEngine(metaUrl, { create: false });
  let chunkStore: JuiceChunkStore | undefined;
  try {
    const format = await readFormat(store, metaUrl);
    const meta = new BaseMeta(store);
    await meta.load();
    // Opened (and its secrets decrypted) on first use only: quota and restore work on the
    // metadata alone, as JuiceFS's do, so a volume whose secret key a dump removed still serves them.
    let storage: ObjectStorage | undefined;
    const openStorage = (): ObjectStorage => {
      storage ??= openVolumeStorage(plainFormat(format), { retry: { attempts: 2, baseDelayMs: 50 }, ...keyPassphrase() });
      return storage;
    };
    return {
      meta,
      format,
      get storage() {
        return openStorage();
      },
      chunks: async () => {
        chunkStore ??= await openChunkStore(openStorage(), chunkStoreOptionsFor(format, { cacheDir: 'memory', cacheSize: 64 << 20 }));
        return chunkStore;
      },
      close: async () => {
        await chunkStore?.close();
        await meta.shutdown(); // closes the engine store too
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** Runs `work` on the volume at `metaUrl` opened for a tool, and closes it whatever happens. */
export async function withToolVolume<T>(metaUrl: string, work: (vol: ToolVolume) => Promise<T>): Promise<T> {
  const vol = await openToolVolume(metaUrl);
  try {
    return await work(vol);
  } finally {
    await vol.close();
  }
}
