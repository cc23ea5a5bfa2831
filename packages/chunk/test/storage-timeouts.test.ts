import {
  checkStorage,
  createStorage,
  FaultyStorage,
  juicefsDelayMs,
  withRetry,
  withTimeouts,
} from '../src/object/index.js';
import { defaultFormat } from '@juicefs/core';
import { openVolumeStorage } from '../src/volume/open.js';
import { silentServer, slowServer } from './http-stubs.js';
import { tempDir } from './services.js';

// --get-timeout / --put-timeout / --io-retries against a real S3 client (OpenDAL) talking to a
// local server that never answers or answers late, and --storage-class as the header it sends.

const errorOf = async (p: Promise<unknown>): Promise<{ code?: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a failure');
};

describe('--get-timeout / --put-timeout with --io-retries', () => {
  test('a GET nobody answers fails after the timeout as EIO, retried io-retries times', async () => {
    const server = await silentServer();
    try {
      const s3 = createStorage('s3', `${server.url}/bucket`, 'ak', 'sk');
      const storage = withRetry(withTimeouts(s3, { getMs: 300 }), { retries: 2 });
      const err = await errorOf(storage.get('chunks/0/0/1_0_4'));
      expect(err.code).toBe('EIO');
      expect(err.message).toBe(
        'EIO: get chunks/0/0/1_0_4 on s3://bucket/ had no answer within 0.3 s (--get-timeout); gave up after 3 attempts (--io-retries 2)',
      );
      // One request per attempt reached the server: the first try and two retries.
      await new Promise((r) => setTimeout(r, 200));
      expect(server.requests.filter((r) => r.startsWith('GET /bucket/chunks/0/0/1_0_4'))).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  test('an answer slower than --get-timeout fails, the same answer within it succeeds', async () => {
    const server = await slowServer(800, 'hello');
    try {
      const s3 = createStorage('s3', `${server.url}/bucket`, 'ak', 'sk');
      const tight = withRetry(withTimeouts(s3, { getMs: 200 }), { retries: 0 });
      expect(await errorOf(tight.get('k'))).toMatchObject({ code: 'EIO' });
      const loose = withRetry(withTimeouts(s3, { getMs: 5000 }), { retries: 0 });
      expect((await loose.get('k')).toString()).toBe('hello');
    } finally {
      await server.close();
    }
  });

  test('a PUT nobody answers fails after --put-timeout, retried', async () => {
    const server = await silentServer();
    try {
      const s3 = createStorage('s3', `${server.url}/bucket`, 'ak', 'sk');
      const storage = withRetry(withTimeouts(s3, { putMs: 300 }), { retries: 1 });
      const err = await errorOf(storage.put('chunks/0/0/2_0_4', Buffer.from('data')));
      expect(err.code).toBe('EIO');
      expect(err.message).toMatch(/put chunks\/0\/0\/2_0_4 on s3:\/\/bucket\/ had no answer within 0.3 s \(--put-timeout\)/);
      await new Promise((r) => setTimeout(r, 200));
      expect(server.requests.filter((r) => r.startsWith('PUT /bucket/chunks/0/0/2_0_4'))).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  test('io-retries counts retries after the first attempt; a permanent error is not retried', async () => {
    const mem = createStorage('mem', 'retries');
    await mem.put('k', Buffer.from('v'));
    const faulty = new FaultyStorage(mem);
    const storage = withRetry(faulty, { retries: 2 });
    faulty.inject({ ops: ['get'], times: 2 });
    expect((await storage.get('k')).toString()).toBe('v'); // 2 failures, third attempt succeeds
    faulty.inject({ ops: ['get'], times: 3 });
    expect(await errorOf(storage.get('k'))).toMatchObject({ code: 'EIO' });
    expect(faulty.injected.get).toBe(5);
    expect(await errorOf(storage.get('missing'))).toMatchObject({ code: 'ENOENT' });
    expect(faulty.calls.get).toBe(2);
  });

  test('waits between attempts follow JuiceFS: reads 1 ms, 301 ms, …; uploads n² seconds', () => {
    expect([1, 2, 3, 30].map((n) => juicefsDelayMs('read', n))).toEqual([1, 301, 601, 10_000]);
    expect([1, 2, 3].map((n) => juicefsDelayMs('write', n))).toEqual([1000, 4000, 9000]);
  });
});

describe('--storage-class', () => {
  test('an S3 PUT carries x-amz-storage-class; without the flag it carries none', async () => {
    const server = await slowServer(0);
    try {
      await createStorage('s3', `${server.url}/bucket`, 'ak', 'sk', { storageClass: 'STANDARD_IA' }).put('a', Buffer.from('x'));
      await createStorage('s3', `${server.url}/bucket`, 'ak', 'sk').put('b', Buffer.from('x'));
      const puts = server.requests.map((r, i) => ({ r, cls: server.headers[i]?.['x-amz-storage-class'] })).filter((x) => x.r.startsWith('PUT'));
      expect(puts).toEqual([
        { r: 'PUT /bucket/a', cls: 'STANDARD_IA' },
        { r: 'PUT /bucket/b', cls: undefined },
      ]);
    } finally {
      await server.close();
    }
  });

  test("a volume's class comes from tier 0 (JuiceFS 1.4's place for it), else the legacy StorageClass", async () => {
    const server = await slowServer(0);
    try {
      const base = { ...defaultFormat('vol1', '00000000-0000-0000-0000-000000000001', `${server.url}/bucket`), Storage: 's3', AccessKey: 'ak', SecretKey: 'sk' };
      // As a Go 1.4 client's `config --storage-class` leaves it: only Tiers["0"] changed.
      const tiered = { ...base, StorageClass: '', Tiers: { '0': { ID: 0, StorageClass: 'GLACIER_IR', Tag: '' }, '1': { ID: 1, StorageClass: 'STANDARD_IA', Tag: '' } } };
      await openVolumeStorage(tiered).put('a', Buffer.from('x'));
      // A format written before 1.4: no Tiers, the class in StorageClass.
      await openVolumeStorage({ ...base, StorageClass: 'ONEZONE_IA', Tiers: null }).put('b', Buffer.from('x'));
      await openVolumeStorage({ ...base, Tiers: null }).put('c', Buffer.from('x'));
      // Go records tier 0 of a volume formatted without a class as "default": no class sent.
      await openVolumeStorage({ ...base, Tiers: { '0': { ID: 0, StorageClass: 'default', Tag: '' } } }).put('d', Buffer.from('x'));
      const puts = server.requests.map((r, i) => ({ r, cls: server.headers[i]?.['x-amz-storage-class'] })).filter((x) => x.r.startsWith('PUT'));
      expect(puts).toEqual([
        { r: 'PUT /bucket/vol1/a', cls: 'GLACIER_IR' },
        { r: 'PUT /bucket/vol1/b', cls: 'ONEZONE_IA' },
        { r: 'PUT /bucket/vol1/c', cls: undefined },
        { r: 'PUT /bucket/vol1/d', cls: undefined },
      ]);
    } finally {
      await server.close();
    }
  });

  test('a storage that cannot set a class refuses the flag, naming it', () => {
    const t = tempDir('class');
    try {
      expect(() => createStorage('file', t.dir, '', '', { storageClass: 'GLACIER' })).toThrow(
        /--storage-class GLACIER: storage file cannot set a storage class here/,
      );
    } finally {
      t.remove();
    }
  });
});

describe('--check-storage', () => {
  test('a working storage passes and keeps no test object', async () => {
    const t = tempDir('check');
    try {
      const s = createStorage('file', `${t.dir}/bucket`);
      await s.create();
      await checkStorage(s);
      expect(await s.list('testing/')).toEqual([]);
    } finally {
      t.remove();
    }
  });

  test('a storage that cannot take a put fails with the step and the storage named', async () => {
    const server = await silentServer();
    try {
      const s = withRetry(withTimeouts(createStorage('s3', `${server.url}/bucket`, 'ak', 'sk'), { putMs: 200 }), { retries: 0 });
      const err = await errorOf(checkStorage(s));
      expect(err.code).toBe('EIO');
      expect(err.message).toMatch(/^EIO: --check-storage: cannot put a test object in s3:\/\/bucket\/: put testing\/[0-9a-f]{10} .*--put-timeout/);
    } finally {
      await server.close();
    }
  });
});
