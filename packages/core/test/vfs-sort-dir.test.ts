import { defaultFormat, O_CREAT, O_RDWR, ROOT_CONTEXT, ROOT_INODE, Vfs, type Meta } from '../src/index.js';
import { createMemoryMeta, MemoryChunkStore } from '../src/testing/index.js';

// --sort-dir: a listing comes back in name order whatever order the engine keeps. Engines page
// in their own order (Redis: per HSCAN batch), so the engine here lists in reverse to make the
// difference show.

const ctx = ROOT_CONTEXT;

/** The reference Meta, but listing each page in reverse. */
function reversedListings(meta: Meta): Meta {
  return new Proxy(meta, {
    get(target, prop, receiver) {
      if (prop !== 'readdir') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<Meta['readdir']>) => {
        const page = await target.readdir(...args);
        return { ...page, entries: [...page.entries].reverse() };
      };
    },
  });
}

async function volume(sortDir: boolean): Promise<Vfs> {
  const meta = createMemoryMeta();
  const format = { ...defaultFormat('sort-dir', '6b0b1b2e-0000-4000-8000-000000000002', '/tmp/vfs-test'), TrashDays: 0 };
  await meta.init(format);
  await meta.newSession();
  const vfs = new Vfs({ meta: reversedListings(meta), store: new MemoryChunkStore({ blockSize: 4096 }), format, options: { attrCache: 0, entryCache: 0, dirEntryCache: 0, hideInternal: true, sortDir } });
  for (const name of ['mango', 'Zebra', 'apple', '.hidden', 'banana']) {
    const r = await vfs.create(ctx, ROOT_INODE, name, 0o644, 0o022, O_RDWR | O_CREAT);
    await vfs.release(ctx, r.ino, r.fh);
  }
  return vfs;
}

/** The root's names, read `chunk` entries at a time from the offsets the listing gives. */
async function listing(vfs: Vfs, chunk?: number): Promise<string[]> {
  const { fh } = await vfs.opendir(ctx, ROOT_INODE);
  const names: string[] = [];
  for (let offset = 0; ; ) {
    const page = await vfs.readdir(ctx, ROOT_INODE, fh, offset, chunk === undefined ? {} : { limit: chunk });
    if (page.length === 0) break;
    names.push(...page.map((e) => e.name.toString()));
    offset = page[page.length - 1]!.offset;
  }
  await vfs.releasedir(ctx, ROOT_INODE, fh);
  return names;
}

describe('VFS --sort-dir', () => {
  it('off: the engine\'s order', async () => {
    expect(await listing(await volume(false))).toEqual(['.', '..', 'mango', 'banana', 'apple', 'Zebra', '.hidden']);
  });

  it('on: "." and ".." first, then names in byte order; read in parts, the offsets continue the sorted listing', async () => {
    const vfs = await volume(true);
    const sorted = ['.', '..', '.hidden', 'Zebra', 'apple', 'banana', 'mango'];
    expect(await listing(vfs)).toEqual(sorted);
    expect(await listing(vfs, 3)).toEqual(sorted);
  });
});
