import Database from 'better-sqlite3';
import { defaultFormat, ROOT_CONTEXT as ctx, ROOT_INODE, type Meta } from '@juicefs/core';
import { openMeta } from '../src/open.js';
import { freshSqliteTarget, type TestTarget } from '../src/sql/test-targets.js';

/**
 * Statements per metadata operation on SQLite (BEGIN and COMMIT included), counted at the
 * better-sqlite3 boundary: the hot paths must not drift back to several reads per operation.
 */

type Method = (...args: unknown[]) => unknown;
let statements = 0;
/** BEGINs among them: transactions opened. */
let transactions = 0;
const restore: Array<() => void> = [];

function count(proto: Record<string, Method>, names: string[]): void {
  for (const name of names) {
    const original = proto[name]!;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      statements++;
      if (name === 'exec' && String(args[0]).startsWith('BEGIN')) transactions++;
      return original.apply(this, args);
    };
    restore.push(() => (proto[name] = original));
  }
}

async function counted(op: () => Promise<unknown>): Promise<number> {
  await op(); // first run prepares statements and opens the read connection
  statements = 0;
  await op();
  return statements;
}

describe('statements per operation on SQLite', () => {
  let target: TestTarget;
  let meta: Meta;

  beforeAll(async () => {
    const probe = new Database(':memory:');
    count(Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>, ['run', 'get', 'all']);
    count(Object.getPrototypeOf(probe) as Record<string, Method>, ['exec']);
    probe.close();
    target = freshSqliteTarget();
    meta = await openMeta(target.url);
    await meta.init({ ...defaultFormat('count', '33333333-3333-4333-8333-333333333333', '/tmp/count'), TrashDays: 0 });
    await meta.load();
    await meta.newSession();
  });

  afterAll(async () => {
    for (const undo of restore) undo();
    await meta.closeSession();
    await meta.shutdown();
    await target.cleanup();
  });

  it('getattr and lookup are one statement each, without BEGIN/COMMIT', async () => {
    const dir = await meta.mkdir(ctx, ROOT_INODE, 'd', 0o755, 0);
    const file = await meta.mknod(ctx, dir.ino, 'x', 1, 0o644, 0);
    expect(await counted(() => meta.getAttr(ctx, file.ino))).toBe(1);
    expect(await counted(() => meta.lookup(ctx, dir.ino, 'x'))).toBe(1);
    await expect(meta.lookup(ctx, dir.ino, 'missing')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('listing, readlink, statfs and F_GETLK read without a transaction (no write lock taken)', async () => {
    const dir = await meta.mkdir(ctx, ROOT_INODE, 'ro', 0o755, 0);
    const file = await meta.mknod(ctx, dir.ino, 'f', 1, 0o644, 0);
    const link = await meta.symlink(ctx, dir.ino, 'l', 'f');
    const ops: Record<string, () => Promise<unknown>> = {
      readdir: () => meta.readdir(ctx, dir.ino),
      readdirplus: () => meta.readdir(ctx, dir.ino, { plus: true }),
      readlink: () => meta.readlink(ctx, link.ino),
      statfs: () => meta.statFS(ctx, ROOT_INODE),
      getlk: () => meta.getlk(ctx, file.ino, 1n, { type: 1, start: 0n, end: 9n, pid: 1 }),
    };
    const opened: Record<string, number> = {};
    for (const [name, op] of Object.entries(ops)) {
      await op();
      transactions = 0;
      await op();
      opened[name] = transactions;
    }
    expect(opened).toEqual({ readdir: 0, readdirplus: 0, readlink: 0, statfs: 0, getlk: 0 });
  });

  it('create and unlink read the directory and entry once, and leave counters and dir stats to the flush', async () => {
    await meta.mknod(ctx, ROOT_INODE, 'warm-up', 1, 0o644, 0); // prepares the statements
    await meta.unlink(ctx, ROOT_INODE, 'warm-up');
    const before = await meta.statFS(ctx, ROOT_INODE);
    statements = 0;
    await meta.mknod(ctx, ROOT_INODE, 'g', 1, 0o644, 0);
    // BEGIN, joined read, node, entry, parent node, COMMIT
    expect(statements).toBe(6);
    // This client sees its own unflushed usage at once...
    expect((await meta.statFS(ctx, ROOT_INODE)).usedInodes).toBe(before.usedInodes + 1);
    // ...and the counter row catches up within about a second (FORMAT.md 5.4).
    const file = target.url.replace(/^sqlite3:\/\//, '').replace(/\?.*$/, '');
    const stored = (): number => {
      const db = new Database(file, { readonly: true });
      try {
        return Number((db.prepare(`SELECT value FROM jfs_counter WHERE name = 'totalInodes'`).get() as { value: number }).value);
      } finally {
        db.close();
      }
    };
    const deadline = Date.now() + 5000;
    while (stored() !== before.usedInodes + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stored()).toBe(before.usedInodes + 1);
    statements = 0;
    await meta.unlink(ctx, ROOT_INODE, 'g');
    // BEGIN, joined read, node, delfile, xattrs, entry, parent node, COMMIT
    expect(statements).toBe(8);
  });

  it('a chunk read is one statement when the chunk has slices; an empty one also reads the node', async () => {
    const f = await meta.mknod(ctx, ROOT_INODE, 'data', 1, 0o644, 0);
    const id = await meta.newSlice();
    await meta.write(ctx, f.ino, 0, { pos: 0, id, size: 4096, off: 0, len: 4096 });
    // noatime (the default): the slices answer for the file, as JuiceFS's Read
    expect(await counted(() => meta.readChunk(ctx, f.ino, 0))).toBe(1);
    // a hole: the node tells a file's hole from a directory or a missing inode
    expect(await counted(() => meta.readChunk(ctx, f.ino, 1))).toBe(2);
    expect(await meta.readChunk(ctx, f.ino, 1)).toEqual([]);
    const d = await meta.mkdir(ctx, ROOT_INODE, 'not-a-file', 0o755, 0);
    await expect(meta.readChunk(ctx, d.ino, 0)).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(meta.readChunk(ctx, 999_999n, 0)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
