import { generateKeyPairSync } from 'node:crypto';
import { defaultFormat } from '@juicefs/core';
import { chunkStoreOptionsFor, createStorage, openChunkStore, openVolumeStorage } from '../src/index.js';
import { tempDir } from './services.js';

describe('a volume storage from its format record', () => {
  test('plain: objects under <Name>/ in the bucket directory, chunk options from the format', async () => {
    const t = tempDir('vol');
    try {
      const format = { ...defaultFormat('myjfs', '11111111-2222-4333-8444-555555555555', `${t.dir}/bucket/`), BlockSize: 64, Compression: 'lz4' };
      const storage = openVolumeStorage(format);
      await storage.create();
      const opts = chunkStoreOptionsFor(format, { memoryCacheSize: 0 });
      expect(opts).toMatchObject({ blockSize: 65536, compression: 'lz4', hashPrefix: false, uuid: format.UUID, encrypted: false, memoryCacheSize: 0 });
      const store = await openChunkStore(storage, opts);
      const w = store.newWriter(1);
      await w.writeAt(Buffer.from('hello'), 0);
      await w.finish(5);
      await store.close();
      const raw = createStorage('file', `${t.dir}/bucket/`);
      expect((await raw.list('')).map((i) => i.key)).toEqual(['myjfs/chunks/0/0/1_0_5']);
    } finally {
      t.remove();
    }
  });

  test('sharded and encrypted: keys hash over the shard buckets and hold sealed bytes', async () => {
    const t = tempDir('vol2');
    try {
      const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const format = { ...defaultFormat('enc', '11111111-2222-4333-8444-666666666666', `${t.dir}/shard-%d`), Shards: 3, EncryptKey: pem, BlockSize: 64 };
      const storage = openVolumeStorage(format);
      await storage.create();
      const store = await openChunkStore(storage, chunkStoreOptionsFor(format));
      const data = Buffer.alloc(200 * 1024, 7);
      const w = store.newWriter(9);
      await w.writeAt(data, 0);
      await w.finish(data.length);
      await store.close();
      const fresh = await openChunkStore(openVolumeStorage(format), chunkStoreOptionsFor(format, { memoryCacheSize: 0 }));
      expect((await fresh.newReader(9, data.length).readAt(0, data.length)).equals(data)).toBe(true);
      await fresh.close();
      let found = 0;
      for (const i of [0, 1, 2]) {
        for (const o of await createStorage('file', `${t.dir}/shard-${i}`).list('enc/')) {
          found++;
          expect(o.size).toBeGreaterThan(3 + 256 + 12 + 16);
        }
      }
      expect(found).toBe(4);
    } finally {
      t.remove();
    }
  });
});
