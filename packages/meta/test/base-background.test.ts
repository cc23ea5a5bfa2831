import { ROOT_INODE } from '@juicefs/core';
import { BaseMeta } from '../src/base/base-meta.js';
import { memoryVolume, ROOT } from './base-helpers.js';

// Background jobs: shared jobs are claimed through the lastCleanup* counters so that clients
// take turns; deleted files' data goes on every pass.

describe('BaseMeta background jobs', () => {
  it('a pass purges deleted data every time and claims stale-session and trash cleanup by turns', async () => {
    const { meta, engine } = await memoryVolume({ TrashDays: 1 });
    const other = new BaseMeta(engine);
    await other.load();
    const deleted: number[] = [];
    for (const client of [meta, other]) client.onSliceDelete(async (id) => void deleted.push(id));
    const stale = new BaseMeta(engine);
    await stale.load();
    await stale.newSession({ heartbeat: 1 });
    await stale.shutdown(); // stops its heartbeat; the session expires in 5 s
    const now = Math.floor(Date.now() / 1000) + 10;

    const first = await meta.runBackgroundJobs(now);
    expect(first.staleSessions).toBe(1);
    expect(engine.state.counters.get('lastCleanupSessions')).toBe(now);
    expect(engine.state.counters.get('lastCleanupTrash')).toBe(now);
    // within the interval the other client does not repeat the shared jobs
    const second = await other.runBackgroundJobs(now + 30);
    expect([second.staleSessions, second.trashEntries]).toEqual([0, 0]);
    expect(engine.state.counters.get('lastCleanupSessions')).toBe(now);

    // deleted files are purged by any pass
    const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
    const id = await meta.newSlice();
    await meta.write(ROOT, f.ino, 0, { pos: 0, id, size: 5, off: 0, len: 5 });
    await meta.close(ROOT, f.ino);
    await meta.setAttr(ROOT, f.ino, { flags: 32 }); // skip the trash
    await meta.unlink(ROOT, ROOT_INODE, 'f');
    expect(await other.runBackgroundJobs(now + 31)).toMatchObject({ deletedFiles: 1, deletedSlices: 1 });
    expect(deleted).toEqual([id]);
    // an hour later the trash job is due again, and the other client may take it
    expect(await other.runBackgroundJobs(now + 3600)).toMatchObject({ trashEntries: 0 });
    expect(engine.state.counters.get('lastCleanupTrash')).toBe(now + 3600);
  });

  it('startBackgroundJobs runs passes on its timer until stopped, reporting failures to onError', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const { meta, engine } = await memoryVolume();
      const errors: unknown[] = [];
      meta.onSliceDelete(async () => {
        throw new Error('object store down');
      });
      const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
      await meta.write(ROOT, f.ino, 0, { pos: 0, id: await meta.newSlice(), size: 5, off: 0, len: 5 });
      await meta.close(ROOT, f.ino);
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      meta.startBackgroundJobs({ tickSeconds: 5, onError: (e) => errors.push(e) });
      await jest.advanceTimersByTimeAsync(5_000);
      expect(String(errors[0])).toMatch(/object store down/);
      expect(engine.state.counters.get('lastCleanupSessions')).toBeGreaterThan(0);
      meta.stopBackgroundJobs();
      await meta.closeSession();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
