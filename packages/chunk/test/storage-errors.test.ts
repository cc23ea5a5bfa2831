import { createStorage, FaultyStorage, retrying, withRetry } from '../src/object/index.js';
import { S3_KEY, S3_SECRET, S3_URL, dropS3Bucket, freshBucket, requireS3, tempDir } from './services.js';

describe('retry', () => {
  test('transient failures are retried up to the bound, then surface', async () => {
    const mem = createStorage('mem', 'r');
    await mem.put('k', Buffer.from('v'));
    const faulty = new FaultyStorage(mem);
    faulty.inject({ ops: ['get'], times: 2 });
    const s = withRetry(faulty, { attempts: 3, baseDelayMs: 1 });
    expect((await s.get('k')).toString()).toBe('v');
    expect(faulty.injected.get).toBe(2);
    faulty.inject({ ops: ['get'], times: 3 });
    await expect(s.get('k')).rejects.toMatchObject({ code: 'EIO' });
    expect(faulty.injected.get).toBe(5);
  });

  test('a missing key is not retried', async () => {
    let calls = 0;
    const mem = createStorage('mem', 'r2');
    await expect(
      retrying(async () => {
        calls++;
        return mem.get('missing');
      }, { attempts: 5, baseDelayMs: 1 }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    expect(calls).toBe(1);
  });
});

describe('s3 failures name the bucket and fail fast (s3rver)', () => {
  beforeAll(requireS3);

  test('create() makes a missing bucket; a missing bucket before that is ENOENT naming it', async () => {
    const bucket = freshBucket('err');
    const s = createStorage('s3', `${S3_URL}/${bucket}`, S3_KEY, S3_SECRET);
    const err = await s.put('x', Buffer.from('y')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOENT' });
    expect(String((err as Error).message)).toContain(bucket);
    await s.create();
    await s.create(); // idempotent
    await s.put('x', Buffer.from('y'));
    expect((await s.get('x')).toString()).toBe('y');
    await dropS3Bucket(bucket);
  });

  test('a wrong access key is EACCES, not retried', async () => {
    const bucket = freshBucket('acc');
    await createStorage('s3', `${S3_URL}/${bucket}`, S3_KEY, S3_SECRET).create();
    const bad = new FaultyStorage(createStorage('s3', `${S3_URL}/${bucket}`, 'WRONG', S3_SECRET));
    const s = withRetry(bad, { attempts: 5, baseDelayMs: 1 });
    await expect(s.put('x', Buffer.from('y'))).rejects.toMatchObject({ code: 'EACCES' });
    expect(bad.calls.put).toBe(1);
    await dropS3Bucket(bucket);
  });

  test('an unreachable endpoint is a transient EIO', async () => {
    const s = createStorage('s3', 'http://127.0.0.1:1/b', S3_KEY, S3_SECRET);
    const err = await s.get('x').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EIO', transient: true });
  });
});

describe('file storage', () => {
  test('create() makes the directory; objects are files below it named by key', async () => {
    const t = tempDir('fs');
    try {
      const s = createStorage('file', `${t.dir}/deep/bucket/`);
      await s.create();
      await s.put('myjfs/chunks/0/0/1_0_3', Buffer.from('abc'));
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(`${t.dir}/deep/bucket/myjfs/chunks/0/0/1_0_3`, 'utf8')).toBe('abc');
    } finally {
      t.remove();
    }
  });
});
