// Conformance suite for the ObjectStorage contract (core/object/storage.ts). Each backend opts in
// from its own test file with a factory returning a fresh, empty, isolated storage.
import { readFile } from 'node:fs/promises';
import type { ObjectStorage } from '../../object/storage.js';

export interface ObjectStorageUnderTest {
  storage: ObjectStorage;
  /** Removes what the test left behind (temp dir, bucket prefix). */
  cleanup?: () => Promise<void>;
}

export interface ObjectStorageSupports {
  /** createMultipartUpload & co. are implemented; without it the multipart tests are skipped, saying why. */
  multipart?: boolean;
  /** `localFile` names each object's file (a local directory store); without it, it must name none. */
  localFile?: boolean;
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeDefined();
  expect((caught as { code?: unknown }).code).toBe(code);
}

export function objectStorageConformance(
  name: string,
  factory: () => Promise<ObjectStorageUnderTest>,
  supports: ObjectStorageSupports = {},
): void {
  describe(`ObjectStorage conformance: ${name}`, () => {
    let ut: ObjectStorageUnderTest;
    let s: ObjectStorage;
    beforeEach(async () => {
      ut = await factory();
      s = ut.storage;
      await s.create();
    });
    afterEach(async () => {
      await ut.cleanup?.();
    });

    test('description names the storage', () => {
      expect(typeof s.description).toBe('string');
      expect(s.description.length).toBeGreaterThan(0);
    });

    test('put then get returns the same bytes; put overwrites', async () => {
      const data = Buffer.alloc(100_000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
      await s.put('a/b/obj', data);
      expect((await s.get('a/b/obj')).equals(data)).toBe(true);
      await s.put('a/b/obj', bytes('short'));
      expect((await s.get('a/b/obj')).toString()).toBe('short');
    });

    test(supports.localFile ? 'localFile names a file holding exactly the bytes put' : `${name} names no local file for its objects`, async () => {
      const data = bytes('local bytes');
      await s.put('lf/obj', data);
      if (!supports.localFile) {
        // A remote store, or bytes transformed on the way: a file named here would be read as the object.
        expect(s.localFile?.('lf/obj')).toBeUndefined();
        return;
      }
      const file = s.localFile?.('lf/obj');
      expect(file).toBeDefined();
      expect((await readFile(file as string)).equals(data)).toBe(true);
      // A rewrite replaces the file the key names (puts go through a rename): the name follows.
      await s.put('lf/obj', bytes('rewritten'));
      expect((await readFile(s.localFile?.('lf/obj') as string)).toString()).toBe('rewritten');
    });

    test('empty objects can be stored, read and headed', async () => {
      await s.put('empty', Buffer.alloc(0));
      expect((await s.get('empty')).length).toBe(0);
      expect((await s.head('empty')).size).toBe(0);
    });

    test('ranged gets return just the range, clamped at the end', async () => {
      await s.put('r', bytes('0123456789'));
      expect((await s.get('r', 0, 3)).toString()).toBe('012');
      expect((await s.get('r', 4, 3)).toString()).toBe('456');
      expect((await s.get('r', 7)).toString()).toBe('789');
      expect((await s.get('r', 7, -1)).toString()).toBe('789');
      expect((await s.get('r', 8, 100)).toString()).toBe('89');
      expect((await s.get('r', 2, 0)).length).toBe(0);
    });

    test('a missing key fails get and head with ENOENT', async () => {
      await expectCode(s.get('missing/key'), 'ENOENT');
      await expectCode(s.get('missing/key', 5, 10), 'ENOENT');
      await expectCode(s.head('missing/key'), 'ENOENT');
    });

    test('keys may hold spaces, "+" and non-ASCII characters', async () => {
      const keys = ['odd/a b+c', 'odd/ü-é.txt', 'odd/~tilde=1&x'];
      for (const k of keys) await s.put(k, bytes(k));
      for (const k of keys) expect((await s.get(k)).toString()).toBe(k);
      expect((await s.list('odd/')).map((i) => i.key)).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    });

    test('delete removes; deleting a missing key is not an error', async () => {
      await s.put('d/x', bytes('x'));
      await s.delete('d/x');
      await expectCode(s.get('d/x'), 'ENOENT');
      await expect(s.delete('d/x')).resolves.toBeUndefined();
      await expect(s.delete('never/was')).resolves.toBeUndefined();
    });

    test('head reports size, a file type and a sane mtime', async () => {
      const before = Date.now() - 120_000;
      await s.put('h/obj', bytes('hello'));
      const info = await s.head('h/obj');
      expect(info.key).toBe('h/obj');
      expect(info.size).toBe(5);
      expect(info.isDir).toBe(false);
      expect(typeof info.mtime).toBe('number');
      if (info.mtime !== 0) expect(info.mtime).toBeGreaterThan(before);
    });

    describe('list', () => {
      const keys = ['l/a', 'l/b/1', 'l/b/2', 'l/b/10', 'l/c', 'l/ca/x', 'm/other', 'l0'];
      beforeEach(async () => {
        for (const k of keys) await s.put(k, bytes(k));
      });

      test('returns every key with the prefix, recursively, in byte order, with sizes', async () => {
        const got = await s.list('l/');
        expect(got.map((i) => i.key)).toEqual(['l/a', 'l/b/1', 'l/b/10', 'l/b/2', 'l/c', 'l/ca/x']);
        for (const i of got) {
          expect(i.size).toBe(Buffer.byteLength(i.key));
          expect(i.isDir).toBe(false);
        }
      });

      test('a prefix need not end at a "/"', async () => {
        expect((await s.list('l/b/1')).map((i) => i.key)).toEqual(['l/b/1', 'l/b/10']);
        expect((await s.list('l/c')).map((i) => i.key)).toEqual(['l/c', 'l/ca/x']);
        expect((await s.list('l')).map((i) => i.key)).toEqual(['l/a', 'l/b/1', 'l/b/10', 'l/b/2', 'l/c', 'l/ca/x', 'l0']);
      });

      test('startAfter and limit page through the keys', async () => {
        expect((await s.list('l/', { startAfter: 'l/b/10' })).map((i) => i.key)).toEqual(['l/b/2', 'l/c', 'l/ca/x']);
        expect((await s.list('l/', { limit: 2 })).map((i) => i.key)).toEqual(['l/a', 'l/b/1']);
        const pages: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await s.list('l/', after === undefined ? { limit: 2 } : { limit: 2, startAfter: after });
          if (page.length === 0) break;
          pages.push(...page.map((i) => i.key));
          after = page[page.length - 1]?.key;
        }
        expect(pages).toEqual(['l/a', 'l/b/1', 'l/b/10', 'l/b/2', 'l/c', 'l/ca/x']);
      });

      test('a delimiter lists one level with sub-prefixes as directories', async () => {
        const got = await s.list('l/', { delimiter: '/' });
        expect(got.map((i) => [i.key, i.isDir])).toEqual([
          ['l/a', false],
          ['l/b/', true],
          ['l/c', false],
          ['l/ca/', true],
        ]);
      });

      test('an unknown prefix lists nothing', async () => {
        expect(await s.list('nothing/here/')).toEqual([]);
      });
    });

    const multipart = supports.multipart ? test : test.skip;
    if (!supports.multipart) {
      test(`multipart upload is not offered by ${name} (tests skipped)`, () => {
        expect(s.createMultipartUpload).toBeUndefined();
      });
    }
    multipart('multipart upload assembles parts in order', async () => {
      if (!s.createMultipartUpload || !s.uploadPart || !s.completeUpload) throw new Error('multipart methods missing');
      const up = await s.createMultipartUpload('mp/obj');
      const a = Buffer.alloc(Math.max(up.minPartSize, 5 << 20), 1);
      const b = bytes('tail');
      const p1 = await s.uploadPart('mp/obj', up.uploadId, 1, a);
      const p2 = await s.uploadPart('mp/obj', up.uploadId, 2, b);
      await s.completeUpload('mp/obj', up.uploadId, [p1, p2]);
      expect((await s.get('mp/obj')).equals(Buffer.concat([a, b]))).toBe(true);
    });
  });
}
