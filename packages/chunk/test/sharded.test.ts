import { objectStorageConformance } from '@juicefs/core/conformance/object';
import { createStorage, fnv1a32, shardBuckets, withPrefix, withShards } from '../src/object/index.js';
import { tempDir } from './services.js';

describe('sharding (FORMAT.md 7.4)', () => {
  test('FNV-1a-32 of the full key picks the bucket, as in the spec example', () => {
    expect(fnv1a32('myjfs/chunks/0/0/1_0_4194304')).toBe(0x964a9aa8);
    expect(fnv1a32('myjfs/chunks/0/0/1_0_4194304') % 4).toBe(0);
    expect(fnv1a32('')).toBe(0x811c9dc5);
  });

  test('the bucket pattern expands once per shard', () => {
    expect(shardBuckets('https://mybucket-%d.s3.amazonaws.com', 3)).toEqual([
      'https://mybucket-0.s3.amazonaws.com',
      'https://mybucket-1.s3.amazonaws.com',
      'https://mybucket-2.s3.amazonaws.com',
    ]);
    expect(() => shardBuckets('/no/verb', 2)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  test('objects land in the bucket their full key hashes to', async () => {
    const shards = [0, 1, 2, 3].map((i) => createStorage('mem', `s${i}`));
    const vol = withPrefix(withShards(shards), 'myjfs/');
    await vol.put('chunks/0/0/1_0_4194304', Buffer.from('x'));
    expect((await shards[0]?.get('myjfs/chunks/0/0/1_0_4194304'))?.toString()).toBe('x');
    for (const i of [1, 2, 3]) await expect(shards[i]?.get('myjfs/chunks/0/0/1_0_4194304')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

objectStorageConformance('sharded over 3 file buckets', async () => {
  const t = tempDir('shard');
  const storage = withShards(shardBuckets(`${t.dir}/b-%d`, 3).map((b) => createStorage('file', b)));
  return { storage, cleanup: async () => t.remove() };
}, { localFile: true });
