import assert from 'node:assert/strict';
import { RENAME_NOREPLACE, type Meta, type SliceDeleter } from '../../../meta/meta.js';
import type { Ino } from '../../../types/inode.js';
import { TRASH_INODE } from '../../../types/inode.js';
import { ALICE, expectCode, formatted, listAll, mkfile, names, nowSec, ROOT, ROOT_INODE } from '../helpers.js';
import type { MetaCase } from '../types.js';

const group = 'trash and cleanup';

/** A SliceDeleter that records its calls. */
function recorder(): { deleter: SliceDeleter; calls: Array<[number, number]> } {
  const calls: Array<[number, number]> = [];
  return { calls, deleter: async (id, size) => void calls.push([id, size]) };
}

/** The hour directory of the trash that holds `name`, searching every hour. */
async function trashHourHolding(meta: Meta, name: string): Promise<Ino> {
  for (const hour of await listAll(meta, TRASH_INODE)) {
    if ((await listAll(meta, hour.ino)).some((e) => e.name.toString() === name)) return hour.ino;
  }
  throw new Error(`no trash hour holds ${name}`);
}

function hourName(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace('T', '-');
}

export const trashCases: MetaCase[] = [
  {
    group, name: 'TrashDays 1: unlink and rmdir with skipTrash delete for good, for root only',
    needs: ['trash'],
    async run(env) {
      const meta = await formatted(env, { TrashDays: 1 });
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o777, 0);
      const f = await mkfile(meta, d.ino, 'f');
      await expectCode(meta.unlink(ALICE, d.ino, 'f', { skipTrash: true }), 'EPERM', 'skipTrash asked by a non-root user');
      await meta.unlink(ROOT, d.ino, 'f', { skipTrash: true });
      await expectCode(meta.getAttr(ROOT, f.ino), 'ENOENT', 'the file, deleted rather than kept in the trash');
      await meta.rmdir(ROOT, ROOT_INODE, 'd', { skipTrash: true });
      await expectCode(meta.getAttr(ROOT, d.ino), 'ENOENT', 'the directory, deleted rather than kept in the trash');
      assert.deepEqual(await listAll(meta, TRASH_INODE), [], 'nothing went to the trash');
      // Without the option the same removal still goes to the trash.
      const g = await mkfile(meta, ROOT_INODE, 'g');
      await meta.unlink(ROOT, ROOT_INODE, 'g');
      assert.equal((await meta.getAttr(ROOT, g.ino)).nlink, 1, 'kept in the trash');
    },
  },
  {
    group, name: 'TrashDays 1: an unlinked file appears as .trash/<hour>/<parent>-<ino>-<name>',
    needs: ['trash'],
    async run(env) {
      const meta = await formatted(env, { TrashDays: 1 });
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const f = await mkfile(meta, d.ino, 'victim');
      const hours = new Set([hourName(Date.now())]);
      await meta.unlink(ROOT, d.ino, 'victim');
      hours.add(hourName(Date.now()));
      await expectCode(meta.lookup(ROOT, d.ino, 'victim'), 'ENOENT', 'the original name');
      const subs = await listAll(meta, TRASH_INODE);
      assert.equal(subs.length, 1, 'one hour directory');
      const sub = subs[0]!;
      assert.ok(hours.has(sub.name.toString()), `hour directory ${sub.name.toString()} is one of ${[...hours].join(', ')}`);
      const root = await meta.getAttr(ROOT, TRASH_INODE);
      assert.deepEqual([root.mode, root.nlink, root.parent], [0o555, 2, ROOT_INODE], 'the trash root: 0555, nlink 2 (not bumped by hour directories), parent 1');
      const hour = await meta.getAttr(ROOT, sub.ino);
      assert.deepEqual([hour.mode, hour.uid, hour.gid, hour.parent], [0o555, 0, 0, TRASH_INODE], 'an hour directory: 0555 root:root under the trash root');
      const entry = await meta.lookup(ROOT, sub.ino, `${d.ino}-${f.ino}-victim`);
      assert.equal(entry.ino, f.ino);
      assert.equal((await meta.getAttr(ROOT, f.ino)).parent, sub.ino);
      assert.equal(await meta.cleanupTrash(nowSec()), 0, 'nothing is old enough yet');
      assert.ok((await meta.cleanupTrash(nowSec() + 3 * 86400)) >= 1, 'old trash is purged');
      await expectCode(meta.getAttr(ROOT, f.ino), 'ENOENT', 'the purged file');
      assert.deepEqual(await listAll(meta, TRASH_INODE), []);
    },
  },
  {
    group, name: 'TrashDays 1: cleanupTrash then cleanupDeleted hands the file\'s slices to the SliceDeleter',
    needs: ['trash'],
    async run(env) {
      const meta = await formatted(env, { TrashDays: 1 });
      const rec = recorder();
      meta.onSliceDelete(rec.deleter);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const id = await meta.newSlice();
      await meta.write(ROOT, f.ino, 0, { pos: 0, id, size: 4000, off: 0, len: 4000 });
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      await meta.cleanupDeleted();
      assert.deepEqual(rec.calls, [], 'data in the trash is kept');
      await meta.cleanupTrash(nowSec() + 3 * 86400);
      await meta.cleanupDeleted();
      assert.deepEqual(rec.calls, [[id, 4000]]);
    },
  },
  {
    group, name: 'TrashDays 0: an unlinked file is gone and cleanupDeleted deletes its slices exactly once',
    async run(env) {
      const meta = await formatted(env, { TrashDays: 0 });
      const rec = recorder();
      meta.onSliceDelete(rec.deleter);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const a = await meta.newSlice();
      const b = await meta.newSlice();
      await meta.write(ROOT, f.ino, 0, { pos: 0, id: a, size: 1000, off: 0, len: 1000 });
      await meta.write(ROOT, f.ino, 1, { pos: 0, id: b, size: 2000, off: 0, len: 2000 });
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      await expectCode(meta.getAttr(ROOT, f.ino), 'ENOENT', 'the unlinked file');
      await expectCode(meta.lookup(ROOT, TRASH_INODE, 'x'), 'ENOENT', 'there is no trash');
      await meta.cleanupDeleted();
      await meta.cleanupDeleted();
      assert.deepEqual(rec.calls.sort((x, y) => x[0] - y[0]), [[a, 1000], [b, 2000]]);
    },
  },
  {
    group, name: 'a slice shared by copyFileRange is deleted only when its last user goes',
    async run(env) {
      const meta = await formatted(env, { TrashDays: 0 });
      const rec = recorder();
      meta.onSliceDelete(rec.deleter);
      const src = await mkfile(meta, ROOT_INODE, 'src');
      const dst = await mkfile(meta, ROOT_INODE, 'dst');
      const id = await meta.newSlice();
      await meta.write(ROOT, src.ino, 0, { pos: 0, id, size: 1000, off: 0, len: 1000 });
      assert.equal(await meta.copyFileRange(ROOT, src.ino, 0, dst.ino, 0, 1000, 0), 1000);
      await meta.unlink(ROOT, ROOT_INODE, 'src');
      await meta.cleanupDeleted();
      assert.deepEqual(rec.calls, [], 'dst still uses the slice');
      await meta.unlink(ROOT, ROOT_INODE, 'dst');
      await meta.cleanupDeleted();
      assert.deepEqual(rec.calls, [[id, 1000]]);
    },
  },
  {
    group, name: 'compaction (trash off) hands the replaced slices to the SliceDeleter',
    needs: ['compaction'],
    async run(env) {
      const meta = await formatted(env, { TrashDays: 0 });
      const rec = recorder();
      meta.onSliceDelete(rec.deleter);
      const f = await mkfile(meta, ROOT_INODE, 'f');
      const a = await meta.newSlice();
      const b = await meta.newSlice();
      await meta.write(ROOT, f.ino, 0, { pos: 0, id: a, size: 100, off: 0, len: 100 });
      await meta.write(ROOT, f.ino, 0, { pos: 100, id: b, size: 100, off: 0, len: 100 });
      const merged = { pos: 0, id: await meta.newSlice(), size: 200, off: 0, len: 200 };
      await meta.compactChunk(f.ino, 0, await meta.readChunk(ROOT, f.ino, 0), merged);
      await meta.cleanupDeleted();
      assert.deepEqual(rec.calls.sort((x, y) => x[0] - y[0]), [[a, 100], [b, 100]]);
    },
  },
  {
    group, name: 'TrashDays 1: rmdir moves the directory to the trash; the trash is read-only for users',
    needs: ['trash'],
    async run(env) {
      const meta = await formatted(env, { TrashDays: 1 });
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'gone', 0o755, 0);
      await meta.rmdir(ROOT, ROOT_INODE, 'gone');
      assert.deepEqual(await names(meta, ROOT_INODE), []);
      const sub = (await listAll(meta, TRASH_INODE))[0];
      assert.ok(sub, 'an hour directory exists');
      assert.equal((await meta.lookup(ROOT, sub.ino, `${ROOT_INODE}-${d.ino}-gone`)).ino, d.ino);
      await expectCode(meta.create(ROOT, sub.ino, 'new', 0o644, 0, 0), 'EPERM', 'creating inside the trash');
    },
  },
  {
    group, name: 'TrashDays 1: a file replaced by rename goes to the trash too',
    needs: ['trash'],
    async run(env) {
      const meta = await formatted(env, { TrashDays: 1 });
      await mkfile(meta, ROOT_INODE, 'new');
      const old = await mkfile(meta, ROOT_INODE, 'old');
      await meta.rename(ROOT, ROOT_INODE, 'new', ROOT_INODE, 'old');
      const sub = (await listAll(meta, TRASH_INODE))[0];
      assert.ok(sub, 'an hour directory exists');
      assert.equal((await meta.lookup(ROOT, sub.ino, `${ROOT_INODE}-${old.ino}-old`)).ino, old.ino);
      assert.equal((await meta.getAttr(ROOT, old.ino)).nlink, 1, 'a trashed node keeps its link');
    },
  },
  {
    group, name: 'TrashDays 1: root renames trashed entries back where they were (juicefs restore): parents, links and stats as before',
    needs: ['trash'],
    async run(env) {
      const meta = await formatted(env, { TrashDays: 1 });
      const d = await meta.mkdir(ROOT, ROOT_INODE, 'd', 0o755, 0);
      const sub = await meta.mkdir(ROOT, d.ino, 'sub', 0o755, 0);
      const f = await meta.create(ROOT, sub.ino, 'f', 0o644, 0, 0);
      await meta.write(ROOT, f.ino, 0, { pos: 0, id: await meta.newSlice(), size: 5000, off: 0, len: 5000 });
      await meta.close(ROOT, f.ino);
      const dBefore = await meta.getAttr(ROOT, d.ino);
      const statBefore = await meta.getDirStat(ROOT, d.ino);
      const subStatBefore = await meta.getDirStat(ROOT, sub.ino);
      await meta.unlink(ROOT, sub.ino, 'f');
      await meta.rmdir(ROOT, d.ino, 'sub');
      assert.deepEqual(await names(meta, d.ino), [], 'both in the trash');
      const subName = `${d.ino}-${sub.ino}-sub`;
      const fName = `${sub.ino}-${f.ino}-f`;
      const subHour = await trashHourHolding(meta, subName);
      const fHour = await trashHourHolding(meta, fName);
      await expectCode(meta.rename(ALICE, subHour, subName, d.ino, 'sub', RENAME_NOREPLACE), 'EPERM', 'a user moving an entry out of the trash');
      // The directory back first, then the file into it (restore --put-back takes them in any order).
      await meta.rename(ROOT, subHour, subName, d.ino, 'sub', RENAME_NOREPLACE);
      await meta.rename(ROOT, fHour, fName, sub.ino, 'f', RENAME_NOREPLACE);
      assert.deepEqual(await names(meta, d.ino), ['sub']);
      assert.deepEqual(await names(meta, sub.ino), ['f']);
      assert.equal((await meta.getAttr(ROOT, f.ino)).parent, sub.ino, 'the file\'s parent');
      assert.equal((await meta.getAttr(ROOT, f.ino)).length, 5000, 'the file keeps its data');
      assert.equal((await meta.getAttr(ROOT, sub.ino)).parent, d.ino, 'the directory\'s parent');
      assert.equal((await meta.getAttr(ROOT, d.ino)).nlink, dBefore.nlink, 'd counts its subdirectory again');
      assert.deepEqual(await meta.getDirStat(ROOT, d.ino), statBefore, 'd\'s stats as before the removal');
      assert.deepEqual(await meta.getDirStat(ROOT, sub.ino), subStatBefore, 'sub\'s stats as before the removal');
      // A name taken meanwhile is not overwritten.
      await meta.unlink(ROOT, sub.ino, 'f');
      await mkfile(meta, sub.ino, 'f');
      await expectCode(meta.rename(ROOT, await trashHourHolding(meta, fName), fName, sub.ino, 'f', RENAME_NOREPLACE), 'EEXIST', 'restoring over a new f');
    },
  },
  {
    group, name: 'TrashDays 0: the data of a file unlinked while open is deleted only after its last close',
    async run(env) {
      const meta = await formatted(env, { TrashDays: 0 });
      const rec = recorder();
      meta.onSliceDelete(rec.deleter);
      const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
      const id = await meta.newSlice();
      await meta.write(ROOT, f.ino, 0, { pos: 0, id, size: 500, off: 0, len: 500 });
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      await meta.cleanupDeleted();
      assert.deepEqual(rec.calls, [], 'an open file keeps its data');
      await meta.close(ROOT, f.ino);
      await meta.cleanupDeleted();
      assert.deepEqual(rec.calls, [[id, 500]]);
    },
  },
];
