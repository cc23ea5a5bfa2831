import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTROL_INODE, ROOT_CONTEXT, ROOT_INODE, TRASH_INODE, type Vfs } from '@juicefs/core';
import type { ControlTransport } from '../src/control/client.js';
import { CacheAction } from '../src/control/protocol.js';
import { fillCacheRequest, infoRequest, rmrRequest } from '../src/control/requests.js';
import { juicefs, mustFormat, openVolume, pattern, type OpenVolume } from './tools-volume.js';

// The .control handler behind a real Vfs (SQLite + file storage): requests go through the Vfs's
// own `.control` file, byte for byte as a mount passes them, and the CLI's info/rmr through --meta.

/** The Vfs's `.control` handle as the kernel would use it: writes in, reads out. */
async function vfsTransport(vfs: Vfs): Promise<ControlTransport> {
  const { fh } = await vfs.open(ROOT_CONTEXT, CONTROL_INODE, 2);
  return {
    write: async (data) => void (await vfs.write(ROOT_CONTEXT, CONTROL_INODE, fh, 0, data)),
    read: (size) => vfs.read(ROOT_CONTEXT, CONTROL_INODE, fh, 0, size),
    close: () => vfs.release(ROOT_CONTEXT, CONTROL_INODE, fh),
  };
}

let dir: string;
let meta: string;
let v: OpenVolume;
let t: ControlTransport;
const BIG = 150 * 1024;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-tools-ctl-'));
  meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, 'ctl', path.join(dir, 'bucket'), '--block-size', '64', '--trash-days', '1');
  v = await openVolume(meta);
  await v.fs.mkdir('/d/e', { recursive: true });
  await v.fs.writeFile('/d/big', pattern(BIG, 1));
  await v.fs.writeFile('/d/e/small', pattern(1000, 2));
  t = await vfsTransport(v.vfs);
});
afterEach(async () => {
  await t.close().catch(() => undefined);
  await v.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const lookup = (parent: bigint, name: string) => v.meta.lookup(ROOT_CONTEXT, parent, name);

describe('.control handler', () => {
  it('InfoV2 of a file lists its objects, which exist in the bucket with those sizes', async () => {
    const d = await lookup(ROOT_INODE, 'd');
    const big = await lookup(d.ino, 'big');
    const progress: number[] = [];
    const r = await infoRequest(t, big.ino, { recursive: true, raw: false, strict: true }, (n) => progress.push(n));
    expect(r.Failed).toBe(false);
    expect(r.Summary).toEqual({ Length: BIG, Size: BIG + 2048, Files: 1, Dirs: 0 });
    expect(r.Paths).toEqual(['/d/big']);
    expect(r.Objects!.map((o) => [o.Size, o.Off, o.Len])).toEqual([[65536, 0, 65536], [65536, 0, 65536], [22528, 0, 22528]]);
    for (const o of r.Objects!) expect(fs.statSync(path.join(dir, 'bucket', o.Key)).size).toBe(o.Size);
    expect(progress.at(-1)).toBe(1);
    const raw = await infoRequest(t, big.ino, { recursive: true, raw: true, strict: true });
    expect(raw.Chunks).toHaveLength(1);
    expect(raw.Chunks![0]).toMatchObject({ ChunkIndex: 0, Size: BIG, Off: 0, Len: BIG });
  });

  it('InfoV2 of a directory sums the tree (recursive) or one level', async () => {
    const d = await lookup(ROOT_INODE, 'd');
    const deep = await infoRequest(t, d.ino, { recursive: true, raw: false, strict: true });
    expect(deep.Summary).toEqual({ Length: BIG + 1000, Size: 4096 * 2 + (BIG + 2048) + 4096, Files: 2, Dirs: 2 });
    expect(deep.Objects).toBeUndefined();
    const shallow = await infoRequest(t, d.ino, { recursive: false, raw: false, strict: true });
    expect(shallow.Summary).toEqual({ Length: BIG, Size: 4096 * 2 + BIG + 2048, Files: 1, Dirs: 2 });
  });

  it('Rmr removes a tree into the trash, and fails with the errno for a missing name', async () => {
    const counts: number[] = [];
    await rmrRequest(t, ROOT_INODE, Buffer.from('d'), false, 4, (n) => counts.push(n));
    await expect(lookup(ROOT_INODE, 'd')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(counts.at(-1)).toBe(4);
    const hours = await v.meta.readdir(ROOT_CONTEXT, TRASH_INODE);
    expect(hours.entries).toHaveLength(1);
    const inTrash = await v.meta.readdir(ROOT_CONTEXT, hours.entries[0]!.ino);
    // Every removed node lands in the hour directory as <parent>-<ino>-<name>.
    const names = inTrash.entries.map((e) => e.name.toString().replace(/^\d+-\d+-/, '')).sort();
    expect(names).toEqual(['big', 'd', 'e', 'small']);
    await expect(rmrRequest(t, ROOT_INODE, Buffer.from('d'), false, 4)).rejects.toMatchObject({ code: 'ENOENT' });
    // Removing for good skips the trash.
    await v.fs.mkdir('/x');
    await rmrRequest(t, ROOT_INODE, Buffer.from('x'), true, 4);
    await expect(lookup(ROOT_INODE, 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await v.meta.readdir(ROOT_CONTEXT, hours.entries[0]!.ino)).entries).toHaveLength(4);
  });

  it('FillCache warms the blocks of a tree into the cache and evicts them again', async () => {
    const before = v.store.stats();
    const r = await fillCacheRequest(t, ['/d'], { threads: 4, background: false, action: CacheAction.Warmup });
    expect(r).toMatchObject({ FileCount: 2, SliceCount: 2, TotalBytes: BIG + 1000 });
    const warm = v.store.stats();
    expect(warm.memoryCacheBytes - before.memoryCacheBytes).toBeGreaterThanOrEqual(BIG + 1000);
    // Reading now hits the cache and fetches nothing.
    expect((await v.fs.readFile('/d/big')).equals(pattern(BIG, 1))).toBe(true);
    expect(v.store.stats().objectGets).toBe(warm.objectGets);
    const e = await fillCacheRequest(t, ['/d/big'], { threads: 4, background: false, action: CacheAction.Evict });
    expect(e).toMatchObject({ FileCount: 1, SliceCount: 1, TotalBytes: BIG });
    expect(v.store.stats().memoryCacheBytes).toBeLessThan(warm.memoryCacheBytes);
    // A path that is gone is skipped (logged), as JuiceFS's mount does, not a failure of the request.
    await expect(fillCacheRequest(t, ['/nope'], { threads: 1, background: false, action: CacheAction.Warmup })).resolves.toMatchObject({ FileCount: 0, TotalBytes: 0 });
  });
});

describe('juicefs rmr --skip-trash', () => {
  it('deletes for good, where rmr alone moves the tree to the trash', async () => {
    await t.close();
    await v.close();
    const skip = juicefs('rmr', '--meta', meta, '/d/e', '--skip-trash');
    expect(skip.err).toContain('removed /d/e (2 entries)');
    expect(skip.code).toBe(0);
    const kept = juicefs('rmr', '--meta', meta, '/d');
    expect(kept.code).toBe(0);
    v = await openVolume(meta);
    t = await vfsTransport(v.vfs);
    const trashed: string[] = [];
    for (const hour of (await v.meta.readdir(ROOT_CONTEXT, TRASH_INODE, { limit: 100 })).entries) {
      for (const e of (await v.meta.readdir(ROOT_CONTEXT, hour.ino, { limit: 100 })).entries) trashed.push(e.name.toString().replace(/^\d+-\d+-/, ''));
    }
    expect(trashed.sort()).toEqual(['big', 'd']); // not e, nor small
  });
});

describe('juicefs info / rmr --meta', () => {
  it('info prints the object map and JSON; rmr removes a tree; errors name the cause', async () => {
    await t.close();
    await v.close();
    const info = juicefs('info', '--meta', meta, '/d/big');
    expect(info.err).toBe('');
    expect(info.code).toBe(0);
    expect(info.out).toContain('/d/big :');
    expect(info.out).toMatch(/ length: 150\.00 KiB \(153600 Bytes\)/);
    expect(info.out).toMatch(/\| +0 \| ctl\/chunks\/0\/0\/\d+_2_22528 \| 22528 \| +0 \| +22528 \| 131072 \|/);
    const j = JSON.parse(juicefs('info', '--meta', meta, '/d', '-r', '--json').out) as { Summary: { Files: number; Dirs: number } };
    expect(j.Summary).toMatchObject({ Files: 2, Dirs: 2 });
    const missing = juicefs('info', '--meta', meta, '/zzz');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/juicefs: /);
    const rm = juicefs('rmr', '--meta', meta, '/d');
    expect(rm.code).toBe(0);
    expect(rm.err).toContain('removed /d (4 entries)');
    expect(juicefs('info', '--meta', meta, '/d').code).toBe(1);
    const root = juicefs('rmr', '--meta', meta, '/');
    expect(root.code).toBe(1);
    expect(root.err).toMatch(/root of the volume/);
    const notMount = juicefs('rmr', dir);
    expect(notMount.code).toBe(1);
    expect(notMount.err).toMatch(/not inside a JuiceFS mount/);
    // Reopen for afterEach.
    v = await openVolume(meta);
    t = await vfsTransport(v.vfs);
  });
});
