import assert from 'node:assert/strict';
import type { Meta } from '../../../meta/meta.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from '../../../meta/meta.js';
import type { Ino } from '../../../types/inode.js';
import type { Slice, SliceView } from '../../../types/slice.js';
import { buildSliceView, CHUNK_SIZE } from '../../../types/slice.js';
import { BOB, expectCode, formatted, mkfile, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'data';

async function view(meta: Meta, ino: Ino, indx = 0): Promise<SliceView[]> {
  return buildSliceView(await meta.readChunk(ROOT, ino, indx)).filter((p) => p.id !== 0);
}

async function writeSlice(meta: Meta, ino: Ino, indx: number, pos: number, len: number): Promise<Slice> {
  const slice: Slice = { pos, id: await meta.newSlice(), size: len, off: 0, len };
  await meta.write(ROOT, ino, indx, slice);
  return slice;
}

export const dataCases: MetaCase[] = [
  {
    group, name: 'newSlice ids are unique and positive',
    async run(env) {
      const meta = await formatted(env);
      const ids = await Promise.all(Array.from({ length: 50 }, () => meta.newSlice()));
      assert.equal(new Set(ids).size, 50);
      assert.ok(ids.every((id) => Number.isInteger(id) && id > 0));
    },
  },
  {
    group, name: 'write appends slice records in order and grows the length; readChunk returns them',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const s1 = await writeSlice(meta, f.ino, 0, 0, 1000);
      const s2 = await writeSlice(meta, f.ino, 0, 500, 1000);
      assert.deepEqual(await meta.readChunk(ROOT, f.ino, 0), [s1, s2]);
      assert.equal((await meta.getAttr(ROOT, f.ino)).length, 1500);
      const a = await meta.write(ROOT, f.ino, 2, { pos: 10, id: await meta.newSlice(), size: 10, off: 0, len: 10 }, { sec: 1600000000, nsec: 5 });
      assert.equal(a.length, 2 * CHUNK_SIZE + 20);
      assert.equal(a.mtime, 1600000000);
      assert.equal(a.mtimensec, 5);
      assert.deepEqual(await meta.readChunk(ROOT, f.ino, 1), []);
      assert.equal((await meta.getAttr(ROOT, f.ino)).length, 2 * CHUNK_SIZE + 20);
    },
  },
  {
    group, name: 'truncate shrinks (the cut range reads as zeros after re-extending) and extends',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const s = await writeSlice(meta, f.ino, 0, 0, 8192);
      assert.equal((await meta.truncate(ROOT, f.ino, 100)).length, 100);
      assert.equal((await meta.getAttr(ROOT, f.ino)).length, 100);
      assert.equal((await meta.truncate(ROOT, f.ino, 8192)).length, 8192);
      const data = await view(meta, f.ino);
      assert.deepEqual(data.map((p) => [p.pos, p.len, p.id]), [[0, 100, s.id]], 'only [0,100) keeps data');
      await expectCode(meta.truncate(BOB, f.ino, 0), 'EACCES', 'truncate without write permission');
    },
  },
  {
    group, name: 'fallocate: plain extends; KEEP_SIZE does not; PUNCH_HOLE zeroes; PUNCH_HOLE without KEEP_SIZE is EINVAL',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      assert.equal((await meta.fallocate(ROOT, f.ino, 0, 0, 4096)).length, 4096);
      assert.equal((await meta.fallocate(ROOT, f.ino, FALLOC_FL_KEEP_SIZE, 0, 100000)).length, 4096);
      const s = await writeSlice(meta, f.ino, 0, 0, 4096);
      await meta.fallocate(ROOT, f.ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000, 1000);
      assert.equal((await meta.getAttr(ROOT, f.ino)).length, 4096);
      assert.deepEqual((await view(meta, f.ino)).map((p) => [p.pos, p.len, p.id]), [[0, 1000, s.id], [2000, 2096, s.id]]);
      await expectCode(meta.fallocate(ROOT, f.ino, FALLOC_FL_PUNCH_HOLE, 0, 10), 'EINVAL', 'PUNCH_HOLE without KEEP_SIZE');
      await expectCode(meta.fallocate(ROOT, f.ino, 0, 0, 0), 'EINVAL', 'fallocate of size 0');
      const z = await meta.fallocate(ROOT, f.ino, FALLOC_FL_ZERO_RANGE, 3000, 5000);
      assert.equal(z.length, 8000);
      assert.deepEqual((await view(meta, f.ino)).map((p) => [p.pos, p.len, p.id]), [[0, 1000, s.id], [2000, 1000, s.id]]);
    },
  },
  {
    group, name: 'copyFileRange copies slice references (no data) and grows the target',
    async run(env) {
      const meta = await formatted(env);
      const src = await mkfile(meta, ROOT_INODE, 'src');
      const dst = await mkfile(meta, ROOT_INODE, 'dst');
      const s = await writeSlice(meta, src.ino, 0, 0, 10000);
      const n = await meta.copyFileRange(ROOT, src.ino, 1000, dst.ino, 500, 4000, 0);
      assert.equal(n, 4000);
      assert.equal((await meta.getAttr(ROOT, dst.ino)).length, 4500);
      assert.deepEqual((await view(meta, dst.ino)).map((p) => [p.pos, p.id, p.off, p.len]), [[500, s.id, 1000, 4000]]);
      const tail = await meta.copyFileRange(ROOT, src.ino, 9000, dst.ino, 0, 5000, 0);
      assert.equal(tail, 1000, 'copy stops at the end of the source');
      assert.equal(await meta.copyFileRange(ROOT, src.ino, 20000, dst.ino, 0, 10, 0), 0, 'nothing past the end');
      await expectCode(meta.copyFileRange(ROOT, src.ino, 0, dst.ino, 0, 10, 1), 'EINVAL', 'copy_file_range with flags');
    },
  },
  {
    group, name: 'compactChunk replaces the head; EAGAIN when the head changed',
    needs: ['compaction'],
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      await writeSlice(meta, f.ino, 0, 0, 1000);
      await writeSlice(meta, f.ino, 0, 1000, 1000);
      const head = await meta.readChunk(ROOT, f.ino, 0);
      const third = await writeSlice(meta, f.ino, 0, 2000, 1000);
      const merged: Slice = { pos: 0, id: await meta.newSlice(), size: 2000, off: 0, len: 2000 };
      await meta.compactChunk(f.ino, 0, head, merged);
      assert.deepEqual(await meta.readChunk(ROOT, f.ino, 0), [merged, third]);
      const stale: Slice = { pos: 0, id: await meta.newSlice(), size: 3000, off: 0, len: 3000 };
      await expectCode(meta.compactChunk(f.ino, 0, head, stale), 'EAGAIN', 'compaction against an outdated head');
      assert.deepEqual(await meta.readChunk(ROOT, f.ino, 0), [merged, third]);
    },
  },
  {
    group, name: 'truncate of a directory is EISDIR, of a symlink or fifo EINVAL',
    async run(env) {
      const meta = await formatted(env);
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const s = await meta.symlink(ROOT, ROOT_INODE, 's', 'd');
      const p = await meta.mknod(ROOT, ROOT_INODE, 'p', 4, 0o644, 0);
      await expectCode(meta.truncate(ROOT, d.ino, 0), 'EISDIR', 'truncate of a directory');
      await expectCode(meta.setAttr(ROOT, d.ino, { size: 0 }), 'EISDIR', 'setattr size of a directory');
      await expectCode(meta.truncate(ROOT, s.ino, 0), 'EINVAL', 'truncate of a symlink');
      await expectCode(meta.truncate(ROOT, p.ino, 0), 'EINVAL', 'truncate of a fifo');
    },
  },
  {
    group, name: 'data operations on non-files fail as Linux does (EISDIR for directories; EINVAL, ESPIPE, ENODEV otherwise)',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const s = await meta.symlink(ROOT, ROOT_INODE, 's', 'f');
      const p = await meta.mknod(ROOT, ROOT_INODE, 'p', 4, 0o644, 0);
      await expectCode(meta.copyFileRange(ROOT, d.ino, 0, f.ino, 0, 1, 0), 'EISDIR', 'copy from a directory');
      await expectCode(meta.copyFileRange(ROOT, f.ino, 0, d.ino, 0, 1, 0), 'EISDIR', 'copy into a directory');
      await expectCode(meta.copyFileRange(ROOT, s.ino, 0, f.ino, 0, 1, 0), 'EINVAL', 'copy from a symlink');
      await expectCode(meta.copyFileRange(ROOT, s.ino, 0, d.ino, 0, 1, 0), 'EISDIR', 'copy from a symlink into a directory');
      await expectCode(meta.copyFileRange(ROOT, d.ino, 0, s.ino, 0, 1, 0), 'EISDIR', 'copy from a directory into a symlink');
      await expectCode(meta.fallocate(ROOT, d.ino, 0, 0, 1), 'EISDIR', 'fallocate of a directory');
      await expectCode(meta.fallocate(ROOT, p.ino, 0, 0, 1), 'ESPIPE', 'fallocate of a fifo');
      await expectCode(meta.fallocate(ROOT, s.ino, 0, 0, 1), 'ENODEV', 'fallocate of a symlink');
    },
  },
  {
    group, name: 'copyFileRange within one file: overlapping ranges are EINVAL, judged after clamping to EOF (Linux)',
    async run(env) {
      const meta = await formatted(env);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const s = await writeSlice(meta, f.ino, 0, 0, 1000);
      await expectCode(meta.copyFileRange(ROOT, f.ino, 0, f.ino, 500, 1000, 0), 'EINVAL', 'overlapping copy within a file');
      assert.equal(await meta.copyFileRange(ROOT, f.ino, 2000, f.ino, 2000, 10, 0), 0, 'nothing to copy past EOF, so no overlap');
      assert.equal(await meta.copyFileRange(ROOT, f.ino, 0, f.ino, 1000, 1000, 0), 1000, 'adjacent ranges do not overlap');
      assert.deepEqual((await view(meta, f.ino)).map((p) => [p.pos, p.len, p.id, p.off]), [[0, 1000, s.id, 0], [1000, 1000, s.id, 0]]);
    },
  },
];
