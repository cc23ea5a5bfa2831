import assert from 'node:assert/strict';
import type { Meta } from '../../../meta/meta.js';
import type { Ino } from '../../../types/inode.js';
import { formatted, mkfile, ROOT, ROOT_INODE, secondClient } from '../helpers.js';
import type { MetaCase } from '../types.js';

// What configure() changes in a client's behaviour (the mount flags of JuiceFS's meta.Config):
// access times, directory times under --skip-dir-mtime, the open-file cache and --fast-statfs.

const group = 'client options';
const O_RDONLY = 0;
const nowSec = (): number => Math.floor(Date.now() / 1000);

/** Set a node's times: `atime` and `mtime` seconds before `t` (now by default; ctime as mtime). */
async function times(meta: Meta, ino: Ino, atimeAgo: number, mtimeAgo: number, t = nowSec()): Promise<void> {
  await meta.setAttr(ROOT, ino, { atime: { sec: t - atimeAgo, nsec: 0 }, mtime: { sec: t - mtimeAgo, nsec: 0 }, ctime: { sec: t - mtimeAgo, nsec: 0 } });
}

/** How many seconds ago `ino`'s atime is. */
async function atimeAge(meta: Meta, ino: Ino): Promise<number> {
  return nowSec() - (await meta.getAttr(ROOT, ino)).atime;
}

/** A file with one written chunk, a directory and a symlink, all with times from `ago`. */
async function accessed(meta: Meta): Promise<{ file: Ino; dir: Ino; link: Ino }> {
  const file = (await mkfile(meta, ROOT_INODE, 'f')).ino;
  await meta.write(ROOT, file, 0, { pos: 0, id: await meta.newSlice(), size: 5, off: 0, len: 5 });
  const dir = (await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0)).ino;
  const link = (await meta.symlink(ROOT, ROOT_INODE, 'l', 'f')).ino;
  return { file, dir, link };
}

/** Open+read+close the file, list the directory, read the link. */
async function accessAll(meta: Meta, n: { file: Ino; dir: Ino; link: Ino }): Promise<void> {
  await meta.open(ROOT, n.file, O_RDONLY);
  await meta.readChunk(ROOT, n.file, 0);
  await meta.close(ROOT, n.file);
  await meta.readdir(ROOT, n.dir);
  await meta.readlink(ROOT, n.link);
}

async function ages(meta: Meta, n: { file: Ino; dir: Ino; link: Ino }): Promise<number[]> {
  return [await atimeAge(meta, n.file), await atimeAge(meta, n.dir), await atimeAge(meta, n.link)];
}

/** The three atimes as stored (seconds since the epoch). */
async function atimes(meta: Meta, n: { file: Ino; dir: Ino; link: Ino }): Promise<number[]> {
  return [(await meta.getAttr(ROOT, n.file)).atime, (await meta.getAttr(ROOT, n.dir)).atime, (await meta.getAttr(ROOT, n.link)).atime];
}

/**
 * Date all three from one instant; returns the atime set, so an untouched atime is checked as
 * that value (ages taken later would be a second off whenever the clock ticked in between).
 */
async function setAll(meta: Meta, n: { file: Ino; dir: Ino; link: Ino }, atimeAgo: number, mtimeAgo: number): Promise<number> {
  const t = nowSec();
  for (const ino of [n.file, n.dir, n.link]) await times(meta, ino, atimeAgo, mtimeAgo, t);
  return t - atimeAgo;
}

export const clientOptionCases: MetaCase[] = [
  {
    group, name: 'noatime (the default): opening, reading, listing and readlink leave atime alone',
    needs: ['clientOptions'],
    async run(env) {
      const meta = await formatted(env);
      const n = await accessed(meta);
      const set = await setAll(meta, n, 3 * 86400, 4 * 86400);
      await accessAll(meta, n);
      assert.deepEqual(await atimes(meta, n), [set, set, set]);
    },
  },
  {
    group, name: 'relatime: atime is written when not later than mtime/ctime or over a day old, and not otherwise',
    needs: ['clientOptions'],
    async run(env) {
      const meta = await formatted(env);
      meta.configure({ atimeMode: 'relatime' });
      const n = await accessed(meta);
      await setAll(meta, n, 600, 300); // older than the last change
      await accessAll(meta, n);
      assert.ok((await ages(meta, n)).every((a) => a <= 1), `after a change: ${String(await ages(meta, n))}`);
      await setAll(meta, n, 2 * 86400, 3 * 86400); // more than a day old
      await accessAll(meta, n);
      assert.ok((await ages(meta, n)).every((a) => a <= 1), `a day old: ${String(await ages(meta, n))}`);
      const recent = await setAll(meta, n, 60, 3600); // recent, and later than the last change
      await accessAll(meta, n);
      assert.deepEqual(await atimes(meta, n), [recent, recent, recent]);
    },
  },
  {
    group, name: 'strictatime: every access over a second after the last writes atime',
    needs: ['clientOptions'],
    async run(env) {
      const meta = await formatted(env);
      meta.configure({ atimeMode: 'strictatime' });
      const n = await accessed(meta);
      await setAll(meta, n, 60, 3600);
      await accessAll(meta, n);
      assert.ok((await ages(meta, n)).every((a) => a <= 1), `strict: ${String(await ages(meta, n))}`);
    },
  },
  {
    group, name: 'skipDirMtime: entry changes within the window leave the directory\'s times; link count changes never do',
    needs: ['clientOptions'],
    async run(env) {
      const meta = await formatted(env);
      meta.configure({ skipDirMtime: 60_000 });
      const d = (await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0)).ino;
      await times(meta, d, 7200, 3600); // the last change an hour ago: the next one dates it
      await mkfile(meta, d, 'a');
      const first = await meta.getAttr(ROOT, d);
      assert.ok(nowSec() - first.mtime <= 1, 'a change after the window updates mtime');
      await times(meta, d, 7200, 30); // 30 s ago: within the minute
      await mkfile(meta, d, 'b');
      await meta.link(ROOT, (await meta.lookup(ROOT, d, 'b')).ino, d, 'c');
      await meta.rename(ROOT, d, 'c', d, 'e');
      await meta.unlink(ROOT, d, 'e');
      const within = await meta.getAttr(ROOT, d);
      assert.deepEqual([nowSec() - within.mtime, nowSec() - within.ctime].map((s) => s >= 29), [true, true], 'create, link, rename, unlink within the window');
      await meta.mkdir(ROOT, d, 'sub', 0o755, 0);
      assert.ok(nowSec() - (await meta.getAttr(ROOT, d)).mtime <= 1, 'mkdir changes the link count: always dated');
      await times(meta, d, 7200, 30);
      await meta.rmdir(ROOT, d, 'sub');
      assert.ok(nowSec() - (await meta.getAttr(ROOT, d)).mtime <= 1, 'rmdir changes the link count: always dated');
      meta.configure({ skipDirMtime: 0 });
      await times(meta, d, 7200, 30);
      await mkfile(meta, d, 'g');
      assert.ok(nowSec() - (await meta.getAttr(ROOT, d)).mtime <= 1, 'skipDirMtime 0: every change dates it');
    },
  },
  {
    group, name: 'openCache: an opened file\'s attributes and slices are kept for its time; this client\'s own writes show at once',
    needs: ['clientOptions', 'concurrency'],
    async run(env) {
      const meta = await formatted(env);
      meta.configure({ openCache: 60 });
      const other = await secondClient(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const slice = async (len: number) => ({ pos: 0, id: await meta.newSlice(), size: len, off: 0, len });
      await meta.write(ROOT, f.ino, 0, await slice(10));
      await meta.open(ROOT, f.ino, O_RDONLY);
      assert.equal((await meta.readChunk(ROOT, f.ino, 0)).length, 1);
      await meta.close(ROOT, f.ino);
      await other.write(ROOT, f.ino, 0, await slice(20)); // another client: not seen while cached
      const reopened = await meta.open(ROOT, f.ino, O_RDONLY);
      const seen = { length: reopened.length, getattr: (await meta.getAttr(ROOT, f.ino)).length, slices: (await meta.readChunk(ROOT, f.ino, 0)).length };
      await meta.close(ROOT, f.ino);
      assert.deepEqual(seen, { length: 10, getattr: 10, slices: 1 });
      await meta.write(ROOT, f.ino, 0, await slice(30)); // its own write: seen at once
      assert.deepEqual({ length: (await meta.getAttr(ROOT, f.ino)).length, slices: (await meta.readChunk(ROOT, f.ino, 0)).length }, { length: 30, slices: 3 });
      meta.configure({ openCache: 0 });
      await other.write(ROOT, f.ino, 0, await slice(40));
      assert.equal((await meta.open(ROOT, f.ino, O_RDONLY)).length, 40, 'openCache 0: every open asks the engine');
      await meta.close(ROOT, f.ino);
    },
  },
  {
    group, name: 'fastStatfs: the volume\'s statfs answers from counters kept for a heartbeat',
    needs: ['clientOptions', 'concurrency'],
    async run(env) {
      const meta = await formatted(env);
      const other = await secondClient(env);
      meta.configure({ fastStatfs: true });
      const before = await meta.statFS(ROOT, ROOT_INODE);
      await mkfile(other, ROOT_INODE, 'made-elsewhere');
      await other.flushSession(); // its usage counters reach the engine
      const fast = await meta.statFS(ROOT, ROOT_INODE);
      meta.configure({ fastStatfs: false });
      const asked = await meta.statFS(ROOT, ROOT_INODE);
      assert.deepEqual([fast.usedInodes - before.usedInodes, asked.usedInodes - before.usedInodes], [0, 1]);
    },
  },
];
