import { defaultFormat, type Meta } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import { OpenFileCache } from '../src/base/open-cache.js';
import { freshSqliteTarget } from '../src/sql/test-targets.js';
import { ROOT, sqlVolume } from './base-helpers.js';

// --open-cache-limit: how many files the open-file cache keeps. Files not open now go first,
// least recently checked first; files still open stay even beyond the limit.

const O_RDONLY = 0;
const attr = (length: number) => ({ length, mtime: length, mtimensec: 0 }) as unknown as Parameters<OpenFileCache['opened']>[1];

describe('OpenFileCache', () => {
  it('keeps at most `limit` closed files, dropping the least recently checked', () => {
    const cache = new OpenFileCache();
    cache.configure(60, 2);
    for (const ino of [1n, 2n, 3n]) {
      cache.opened(ino, attr(Number(ino)));
      cache.closed(ino);
    }
    expect([1n, 2n, 3n].map((ino) => cache.attr(ino)?.length)).toEqual([undefined, 2, 3]);
  });

  it('never drops a file that is open, even past the limit', () => {
    const cache = new OpenFileCache();
    cache.configure(60, 1);
    cache.opened(1n, attr(1));
    cache.opened(2n, attr(2));
    expect([cache.size, cache.attr(1n)?.length, cache.attr(2n)?.length]).toEqual([2, 1, 2]);
  });

  it('a time of 0 keeps nothing', () => {
    const cache = new OpenFileCache();
    cache.configure(0, 10);
    cache.opened(1n, attr(1));
    expect([cache.size, cache.attr(1n)]).toEqual([0, undefined]);
  });
});

describe('--open-cache-limit on SQLite: a file pushed out of the cache is asked for again', () => {
  it('with room for one file, of two files another client grew, the last one created reopens as cached, the first as grown', async () => {
    const volume = sqlVolume(freshSqliteTarget());
    const clients: BaseMeta[] = [];
    const client = async (): Promise<BaseMeta> => {
      const m = new BaseMeta(await volume.open());
      clients.push(m);
      return m;
    };
    try {
      const meta = await client();
      await meta.init({ ...defaultFormat('limit', '00000000-0000-4000-8000-0000000000aa', '/tmp/bucket'), TrashDays: 0 });
      await meta.load();
      await meta.newSession();
      meta.configure({ openCache: 60, openCacheLimit: 1 });
      const other = await client();
      await other.load();
      await other.newSession();
      const files = [];
      for (const name of ['a', 'b']) {
        const f = await meta.create(ROOT, 1n, name, 0o644, 0, 0);
        await meta.close(ROOT, f.ino);
        files.push(f.ino);
      }
      const grow = async (m: Meta, ino: bigint) => m.write(ROOT, ino, 0, { pos: 0, id: await m.newSlice(), size: 10, off: 0, len: 10 });
      for (const ino of files) await grow(other, ino);
      const lengths: number[] = [];
      for (const ino of [...files].reverse()) {
        lengths.push((await meta.open(ROOT, ino, O_RDONLY)).length);
        await meta.close(ROOT, ino);
      }
      // b: still trusted from its create; a: dropped when b came in (limit 1), so read anew.
      expect(lengths).toEqual([0, 10]);
    } finally {
      await Promise.all(clients.map((c) => c.shutdown().catch(() => undefined)));
      await volume.cleanup();
    }
  });
});
