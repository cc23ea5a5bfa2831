// Builds chunk stores for the conformance suite over the real backends, with a fault-injecting
// view between the store and the storage.
import type { ChunkStoreUnderTest } from '@juicefs/core/conformance/chunk';
import type { ObjectStorage } from '@juicefs/core';
import { generateKeyPairSync } from 'node:crypto';
import { createStorage, FaultyStorage, withEncryption, withPrefix, withRetry } from '../src/object/index.js';
import { openChunkStore, type ChunkStoreOptions } from '../src/store/index.js';
import { S3_KEY, S3_SECRET, S3_URL, dropS3Bucket, freshBucket, requireS3, tempDir } from './services.js';

export type Backend = 'file' | 'mem' | 's3';

export interface StoreConfig {
  backend: Backend;
  compression?: 'none' | 'lz4' | 'zstd';
  diskCache?: boolean;
  writeback?: boolean;
  memoryCache?: boolean;
  hashPrefix?: boolean;
  /** Disk cache (and writeback staging) over this many directories, as `--cache-dir a:b:c` (default 1). */
  cacheDirs?: number;
  /** Encrypt objects with a fresh RSA key (FORMAT.md 7.3). */
  encrypt?: 'aes256gcm-rsa' | 'chacha20-rsa' | 'sm4gcm';
}

let testKey: string | undefined;
function rsaKey(): string {
  testKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return testKey;
}

/** A fresh empty storage, and how to get rid of it. */
export async function rawStorage(backend: Backend, dir: string): Promise<{ storage: ObjectStorage; drop: () => Promise<void> }> {
  const none = async (): Promise<void> => undefined;
  if (backend === 'file') return { storage: createStorage('file', `${dir}/bucket`), drop: none };
  if (backend === 'mem') return { storage: createStorage('mem', 'test'), drop: none };
  await requireS3();
  const bucket = freshBucket('chunk');
  return { storage: createStorage('s3', `${S3_URL}/${bucket}`, S3_KEY, S3_SECRET), drop: () => dropS3Bucket(bucket) };
}

/** `<dir>/cache`, or `<dir>/cache1:<dir>/cache2:…` for several. */
function cacheDirList(dir: string, n: number): string {
  return n === 1 ? `${dir}/cache` : Array.from({ length: n }, (_, i) => `${dir}/cache${i + 1}`).join(':');
}

export function harnessFactory(cfg: StoreConfig) {
  return async ({ blockSize }: { blockSize: number }): Promise<ChunkStoreUnderTest> => {
    const t = tempDir('store');
    const { storage: raw, drop } = await rawStorage(cfg.backend, t.dir);
    await raw.create();
    const faulty = new FaultyStorage(raw, 7);
    // Quick retries: the suite injects faults and must not wait seconds on each.
    const prefixed = withPrefix(faulty, 'myjfs/');
    const sealed = cfg.encrypt ? withEncryption(prefixed, { privateKeyPem: rsaKey(), algo: cfg.encrypt }) : prefixed;
    const storage = withRetry(sealed, { attempts: 3, baseDelayMs: 2, maxDelayMs: 10 });
    const options: ChunkStoreOptions = {
      blockSize,
      compression: cfg.compression ?? 'none',
      hashPrefix: cfg.hashPrefix ?? false,
      memoryCacheSize: cfg.memoryCache === false ? 0 : 32 << 20,
      uuid: '0ac3b2de-1111-4c5e-9a1b-5d7b3c2e9f00',
      ...(cfg.diskCache || cfg.writeback ? { cacheDir: cacheDirList(t.dir, cfg.cacheDirs ?? 1), cacheSize: 256 << 20 } : {}),
      ...(cfg.writeback ? { writeback: true } : {}),
      ...(cfg.encrypt ? { encrypted: true } : {}),
    };
    const store = await openChunkStore(storage, options);
    return {
      store,
      listKeys: async () => (await raw.list('myjfs/')).map((i) => i.key.slice('myjfs/'.length)),
      objectCalls: () => ({ get: faulty.calls.get, put: faulty.calls.put }),
      failPuts: (times?: number) => faulty.inject({ ops: ['put'], ...(times === undefined ? {} : { times }) }),
      failGets: (mode, probability) => faulty.inject({ ops: ['get'], mode, ...(probability === undefined ? {} : { probability }) }),
      clearFaults: () => faulty.clear(),
      cleanup: async () => {
        faulty.clear();
        await store.close(); // waits for staged uploads, so nothing writes into the removed directory
        t.remove();
        await drop();
      },
    };
  };
}
