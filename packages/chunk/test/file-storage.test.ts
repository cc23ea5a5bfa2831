import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { createStorage, FileStorage, OpendalStorage } from '../src/object/index.js';
import { tempDir } from './services.js';

// The node:fs `file` storage must keep JuiceFS's layout (key a/b/c is <bucket>/a/b/c), so a
// bucket written by it reads through OpenDAL's fs service, and the other way round.
describe('file storage on node:fs', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => {
    t = tempDir('fsnat');
  });
  afterEach(() => t.remove());

  test('createStorage picks node:fs for file, OpenDAL when asked', () => {
    expect(createStorage('file', t.dir)).toBeInstanceOf(FileStorage);
    expect(createStorage('file', t.dir, '', '', { engine: 'opendal' })).toBeInstanceOf(OpendalStorage);
    expect(createStorage('mem', 'x')).toBeInstanceOf(OpendalStorage);
  });

  test('keys are plain files under the bucket, readable by OpenDAL and back', async () => {
    const bucket = path.join(t.dir, 'bucket');
    const native = createStorage('file', bucket);
    const opendal = createStorage('file', bucket, '', '', { engine: 'opendal' });
    await native.create();
    await native.put('vol/chunks/0/0/1_0_5', Buffer.from('hello'));
    expect(readFileSync(path.join(bucket, 'vol/chunks/0/0/1_0_5'), 'utf8')).toBe('hello');
    expect((await opendal.get('vol/chunks/0/0/1_0_5')).toString()).toBe('hello');
    await opendal.put('vol/chunks/0/0/2_0_3', Buffer.from('abc'));
    expect((await native.get('vol/chunks/0/0/2_0_3', 1, 5)).toString()).toBe('bc');
    expect((await native.list('vol/')).map((i) => [i.key, i.size])).toEqual([
      ['vol/chunks/0/0/1_0_5', 5],
      ['vol/chunks/0/0/2_0_3', 3],
    ]);
    // No temporary files are left beside the objects.
    expect(readdirSync(path.join(bucket, 'vol/chunks/0/0')).sort()).toEqual(['1_0_5', '2_0_3']);
  });

  test('temporary files of unfinished puts are not listed', async () => {
    const bucket = path.join(t.dir, 'b2');
    const s = createStorage('file', bucket);
    await s.put('a/x', Buffer.from('1'));
    mkdirSync(path.join(bucket, 'a'), { recursive: true });
    writeFileSync(path.join(bucket, 'a', '.y.jfstmp.0123456789ab'), 'partial');
    expect((await s.list('a/')).map((i) => i.key)).toEqual(['a/x']);
  });

  test('many small puts at once all land whole, with no temporary files left', async () => {
    const s = new FileStorage(t.dir);
    const objects = Array.from({ length: 100 }, (_, i) => Buffer.alloc(1000 + i * 997, i));
    await Promise.all(objects.map((data, i) => s.put(`d/${i}`, data)));
    for (const [i, data] of objects.entries()) expect((await s.get(`d/${i}`)).equals(data)).toBe(true);
    expect(readdirSync(path.join(t.dir, 'd')).length).toBe(100);
  });

  test('a small put remakes its directory when it was removed after an earlier put made it', async () => {
    const s = new FileStorage(t.dir);
    await s.put('a/b/x', Buffer.from('one'));
    rmSync(path.join(t.dir, 'a'), { recursive: true });
    await s.put('a/b/y', Buffer.from('two'));
    expect(readFileSync(path.join(t.dir, 'a/b/y'), 'utf8')).toBe('two');
  });

  test('a small put into a bucket that cannot hold it fails with a clear error', async () => {
    writeFileSync(path.join(t.dir, 'blocked'), 'a file where the directory should be');
    const s = new FileStorage(path.join(t.dir, 'blocked', 'bucket'));
    await expect(s.put('k', Buffer.from('x'))).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/put k: cannot create its file in file:\/\/.*blocked\/bucket\/: ENOTDIR/) });
  });

  test('a put replaces the object whole and a delete leaves no file', async () => {
    const s = createStorage('file', t.dir);
    await s.put('k', Buffer.alloc(1000, 1));
    await s.put('k', Buffer.from('short'));
    expect((await s.get('k')).toString()).toBe('short');
    await s.delete('k');
    expect(existsSync(path.join(t.dir, 'k'))).toBe(false);
  });
});
