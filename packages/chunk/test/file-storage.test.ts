import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
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

  test('a put replaces the object whole and a delete leaves no file', async () => {
    const s = createStorage('file', t.dir);
    await s.put('k', Buffer.alloc(1000, 1));
    await s.put('k', Buffer.from('short'));
    expect((await s.get('k')).toString()).toBe('short');
    await s.delete('k');
    expect(existsSync(path.join(t.dir, 'k'))).toBe(false);
  });
});
