// The VFS of @juicefs/core over this chunk store (and the in-memory reference Meta): the data
// layer as the file system above it uses it, with a reader per read and writes in small calls.
import { defaultFormat, O_CREAT, O_RDONLY, O_RDWR, ROOT_CONTEXT, ROOT_INODE, Vfs } from '@juicefs/core';
import { createMemoryMeta, MemoryVolume } from '@juicefs/core/testing';
import { createStorage, FaultyStorage, withPrefix } from '../src/object/index.js';
import { openChunkStore, type ChunkStoreOptions } from '../src/store/index.js';
import { tempDir } from './services.js';

const KiB = 1024;

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

async function volume(opts: Omit<ChunkStoreOptions, 'blockSize'>) {
  const meta = createMemoryMeta(new MemoryVolume());
  const format = { ...defaultFormat('vfsint', '6b0b1b2e-0000-4000-8000-0000000000aa', '/tmp/unused'), TrashDays: 0, BlockSize: 64 };
  await meta.init(format);
  await meta.newSession();
  const objects = new FaultyStorage(createStorage('mem', 'vfs'));
  const store = await openChunkStore(withPrefix(objects, 'vfsint/'), { blockSize: 64 * KiB, ...opts });
  const vfs = new Vfs({ meta, store, format, options: { attrCache: 0, entryCache: 0, dirEntryCache: 0 } });
  return { vfs, store, objects };
}

describe.each([
  ['no compression', {}],
  ['lz4, disk cache, writeback', { compression: 'lz4', writeback: true, memoryCacheSize: 0 }],
])('VFS over the chunk store (%s)', (_name, extra) => {
  test('files written in small calls read back whole, in pieces, and after overwrites', async () => {
    const t = tempDir('vfs');
    const opts: Omit<ChunkStoreOptions, 'blockSize'> = { ...extra };
    if ('writeback' in extra) Object.assign(opts, { cacheDir: `${t.dir}/cache` });
    const { vfs, store, objects } = await volume(opts);
    try {
      const ctx = ROOT_CONTEXT;
      const f = await vfs.create(ctx, ROOT_INODE, 'data.bin', 0o644, 0o022, O_RDWR | O_CREAT);
      const want = bytes(1000 * KiB + 17, 3);
      for (let off = 0; off < want.length; off += 33 * KiB) await vfs.write(ctx, f.ino, f.fh, off, want.subarray(off, off + 33 * KiB));
      const patch = bytes(100 * KiB, 4);
      await vfs.write(ctx, f.ino, f.fh, 300 * KiB, patch);
      patch.copy(want, 300 * KiB);
      await vfs.flush(ctx, f.ino, f.fh);
      await vfs.release(ctx, f.ino, f.fh);

      const r = await vfs.open(ctx, f.ino, O_RDONLY);
      expect((await vfs.read(ctx, f.ino, r.fh, 0, want.length + 10)).equals(want)).toBe(true);
      for (let off = 0; off < want.length; off += 128 * KiB) {
        expect((await vfs.read(ctx, f.ino, r.fh, off, 128 * KiB)).equals(want.subarray(off, off + 128 * KiB))).toBe(true);
      }
      expect((await vfs.read(ctx, f.ino, r.fh, 65 * KiB - 3, 10)).equals(want.subarray(65 * KiB - 3, 65 * KiB + 7))).toBe(true);
      await vfs.release(ctx, f.ino, r.fh);
      await store.close();
      // Every object is a block under the volume prefix, named as JuiceFS names them.
      const keys = (await objects.list('vfsint/')).map((i) => i.key);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(k).toMatch(/^vfsint\/chunks\/\d+\/\d+\/\d+_\d+_\d+$/);
    } finally {
      await store.close();
      t.remove();
    }
  });
});
