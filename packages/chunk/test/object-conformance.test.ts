import { objectStorageConformance } from '@juicefs/core/conformance/object';
import { createStorage, FileStorage, withPrefix, withRetry } from '../src/object/index.js';
import { S3_KEY, S3_SECRET, S3_URL, dropS3Bucket, freshBucket, requireS3, tempDir } from './services.js';

objectStorageConformance('file', async () => {
  const t = tempDir('obj');
  return { storage: createStorage('file', `${t.dir}/bucket/`), cleanup: async () => t.remove() };
}, { localFile: true });

// Small puts take the direct path by default; this run sends every put to the pool.
objectStorageConformance('file, every put on the thread pool', async () => {
  const t = tempDir('obja');
  return { storage: new FileStorage(`${t.dir}/bucket/`, { directWriteBelow: 0 }), cleanup: async () => t.remove() };
}, { localFile: true });

// And this one writes every object directly, whatever its size.
objectStorageConformance('file, every put direct', async () => {
  const t = tempDir('objs');
  return { storage: new FileStorage(`${t.dir}/bucket/`, { directWriteBelow: Number.MAX_SAFE_INTEGER }), cleanup: async () => t.remove() };
}, { localFile: true });

objectStorageConformance('file through OpenDAL fs', async () => {
  const t = tempDir('objo');
  return { storage: createStorage('file', `${t.dir}/bucket/`, '', '', { engine: 'opendal' }), cleanup: async () => t.remove() };
});

objectStorageConformance('mem', async () => ({ storage: createStorage('mem', 'test') }));

objectStorageConformance('s3 (s3rver)', async () => {
  await requireS3();
  const bucket = freshBucket('obj');
  return { storage: createStorage('s3', `${S3_URL}/${bucket}`, S3_KEY, S3_SECRET), cleanup: () => dropS3Bucket(bucket) };
});

objectStorageConformance('prefixed view over file, with retry', async () => {
  const t = tempDir('objp');
  return { storage: withRetry(withPrefix(createStorage('file', t.dir), 'myjfs/')), cleanup: async () => t.remove() };
}, { localFile: true });

objectStorageConformance('prefixed view over s3 (s3rver)', async () => {
  await requireS3();
  const bucket = freshBucket('objp');
  return { storage: withPrefix(createStorage('s3', `${S3_URL}/${bucket}`, S3_KEY, S3_SECRET), 'vol/'), cleanup: () => dropS3Bucket(bucket) };
});
