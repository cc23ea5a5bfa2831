import { defaultFormat } from '@juicefs/core';
import { createStorage } from '../src/object/create-storage.js';
import { openChunkStore } from '../src/store/index.js';
import { chunkStoreOptionsFor, openVolumeStorage, tierClassesOf, tierTagsOf } from '../src/volume/open.js';
import { slowServer } from './http-stubs.js';
import { tempDir } from './services.js';

// JuiceFS 1.4 storage tiers on the write path: a slice written for a file in tier N is put with
// tier N's storage class (S3's x-amz-storage-class) and tags (x-amz-tagging, in the same signed
// PUT), through the volume's real S3 client to a local HTTP server that records what it was sent.

const UUID = '00000000-0000-0000-0000-00000000beef';

function tieredFormat(url: string) {
  return {
    ...defaultFormat('vol1', UUID, `${url}/bucket`),
    Storage: 's3',
    AccessKey: 'ak',
    SecretKey: 'sk',
    BlockSize: 64,
    Tiers: {
      '0': { ID: 0, StorageClass: 'STANDARD', Tag: '' },
      '1': { ID: 1, StorageClass: 'STANDARD_IA', Tag: '' },
      '2': { ID: 2, StorageClass: 'GLACIER_IR', Tag: '' },
      '3': { ID: 3, StorageClass: '', Tag: 'k=v' },
    },
  };
}

describe('storage tiers', () => {
  it('classes of tiers 1-3 and tags of every tier come from the format where the storage takes them', () => {
    expect(tierClassesOf(tieredFormat('http://127.0.0.1:1'))).toEqual({ 1: 'STANDARD_IA', 2: 'GLACIER_IR' });
    expect(tierTagsOf(tieredFormat('http://127.0.0.1:1'))).toEqual({ 3: 'k=v' });
    expect(tierTagsOf({ ...tieredFormat('http://127.0.0.1:1'), Storage: 'file' })).toBeUndefined();
    expect(tierClassesOf({ ...tieredFormat('http://127.0.0.1:1'), Storage: 'file' })).toBeUndefined();
    expect(tierClassesOf(defaultFormat('vol1', UUID, '/tmp/b'))).toBeUndefined();
  });

  for (const writeback of [false, true]) {
    it(`each slice's objects are put with its file's tier's class and tags${writeback ? ' (through writeback staging)' : ''}`, async () => {
      const server = await slowServer(0);
      const t = tempDir('tiers');
      try {
        const format = tieredFormat(server.url);
        const store = await openChunkStore(
          openVolumeStorage(format),
          chunkStoreOptionsFor(format, { cacheDir: `${t.dir}/cache`, memoryCacheSize: 0, readahead: 0, writeback }),
        );
        try {
          for (const [id, tier] of [[11, 0], [12, 1], [13, 2], [14, 3], [15, undefined]] as const) {
            const w = store.newWriter(id, tier === undefined ? undefined : { tier });
            await w.writeAt(Buffer.alloc(100 * 1024, id), 0); // two 64 KiB blocks
            await w.finish(100 * 1024);
          }
        } finally {
          await store.close();
        }
        const puts = new Map<string, string>();
        server.requests.forEach((r, i) => {
          const m = /^PUT \/bucket\/vol1\/chunks\/0\/0\/(\d+)_(\d)_\d+$/.exec(r);
          const h = server.headers[i];
          if (m) puts.set(`${m[1]}_${m[2]}`, [h?.['x-amz-storage-class'], h?.['x-amz-tagging']].filter(Boolean).join(' '));
        });
        expect(Object.fromEntries([...puts].sort())).toEqual({
          '11_0': 'STANDARD', '11_1': 'STANDARD', // tier 0: the bucket's class from Tiers["0"]
          '12_0': 'STANDARD_IA', '12_1': 'STANDARD_IA',
          '13_0': 'GLACIER_IR', '13_1': 'GLACIER_IR',
          '14_0': 'STANDARD k=v', '14_1': 'STANDARD k=v', // tier 3 has tags only: the default class, and its tags
          '15_0': 'STANDARD', '15_1': 'STANDARD',
        });
      } finally {
        t.remove();
        await server.close();
      }
    });
  }

  it('a tagged put, like a restore, goes below the path of the bucket URL, where OpenDAL puts the rest', async () => {
    const server = await slowServer(0);
    try {
      const storage = createStorage('s3', `${server.url}/bucket/deep/er`, 'ak', 'sk');
      await storage.put('k1', Buffer.from('plain'));
      await storage.put('k2', Buffer.from('tagged'), { tags: 'a=b' });
      expect(server.requests.filter((r) => r.startsWith('PUT'))).toEqual(['PUT /bucket/deep/er/k1', 'PUT /bucket/deep/er/k2']);
    } finally {
      await server.close();
    }
  });
});
