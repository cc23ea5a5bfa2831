import assert from 'node:assert/strict';
import { expectCode, formatted, nowSec, ROOT, ROOT_INODE, secondClient, testFormat } from '../helpers.js';
import { LockType } from '../../../types/session.js';
import type { MetaCase } from '../types.js';

const group = 'sessions';

export const sessionCases: MetaCase[] = [
  {
    group, name: 'newSession gives a positive sid listed with its info; refresh keeps it alive; close removes it',
    needs: ['sessions'],
    async run(env) {
      const meta = env.meta;
      await meta.init(testFormat());
      await meta.load(true);
      const before = nowSec();
      const sid = await meta.newSession({ info: { MountPoint: '/mnt/conformance', ProcessID: 4242 } });
      assert.ok(sid > 0);
      assert.equal(meta.sid, sid);
      const listed = (await meta.listSessions()).find((s) => s.sid === sid);
      assert.ok(listed, 'the new session is listed');
      assert.equal(listed.info?.MountPoint, '/mnt/conformance');
      assert.equal(listed.info?.ProcessID, 4242);
      assert.ok(listed.expire >= before + 12, `expire ${listed.expire} lies a few heartbeats ahead of ${before}`);
      assert.deepEqual(listed.sustained, []);
      await meta.refreshSession();
      const refreshed = (await meta.listSessions()).find((s) => s.sid === sid);
      assert.ok(refreshed && refreshed.expire >= listed.expire, 'refresh does not move expiry back');
      await meta.closeSession();
      assert.equal(meta.sid, 0);
      assert.ok(!(await meta.listSessions()).some((s) => s.sid === sid), 'a closed session is gone');
    },
  },
  {
    group, name: 'two clients get different sessions; both are listed',
    needs: ['sessions', 'concurrency'],
    async run(env) {
      const meta = await formatted(env);
      const other = await secondClient(env);
      assert.notEqual(meta.sid, other.sid);
      const sids = (await meta.listSessions()).map((s) => s.sid);
      assert.ok(sids.includes(meta.sid) && sids.includes(other.sid), `both sessions listed: ${sids.join(',')}`);
    },
  },
  {
    group, name: 'stale-session cleanup releases its locks and deletes its sustained files',
    needs: ['sessions', 'concurrency', 'locks'],
    async run(env) {
      const meta = await formatted(env);
      const locked = await meta.create(ROOT, ROOT_INODE, 'locked', 0o644, 0, 0);
      await meta.close(ROOT, locked.ino);
      const stale = await secondClient(env, 1); // expires 5 s after its last heartbeat
      const kept = await stale.create(ROOT, ROOT_INODE, 'kept', 0o644, 0, 0);
      const id = await stale.newSlice();
      await stale.write(ROOT, kept.ino, 0, { pos: 0, id, size: 100, off: 0, len: 100 });
      await stale.unlink(ROOT, ROOT_INODE, 'kept');
      await stale.flock(ROOT, locked.ino, 7n, 'W', false);
      await stale.setlk(ROOT, locked.ino, 7n, false, { type: LockType.Write, start: 0n, end: 99n, pid: 70 });
      const mine = (await meta.listSessions()).find((s) => s.sid === stale.sid);
      assert.deepEqual(mine?.sustained, [kept.ino], 'the unlinked open file is sustained by its session');
      assert.deepEqual(mine?.flocks, [{ ino: locked.ino, owner: 7n, type: 'W' }]);
      assert.deepEqual(mine?.plocks.map((p) => [p.ino, p.owner, p.records]), [
        [locked.ino, 7n, [{ type: LockType.Write, pid: 70, start: 0n, end: 99n }]],
      ]);
      await expectCode(meta.flock(ROOT, locked.ino, 1n, 'W', false), 'EAGAIN', 'flock held by the other session');
      await expectCode(
        meta.setlk(ROOT, locked.ino, 1n, false, { type: LockType.Read, start: 0n, end: 0n, pid: 1 }), 'EAGAIN', 'POSIX lock held by the other session',
      );
      assert.equal(await meta.cleanStaleSessions(nowSec() + 3600), 1, 'exactly the stale session is cleaned');
      assert.ok(!(await meta.listSessions()).some((s) => s.sid === stale.sid), 'the stale session is gone');
      assert.ok((await meta.listSessions()).some((s) => s.sid === meta.sid), 'the live session stays');
      await expectCode(meta.getAttr(ROOT, kept.ino), 'ENOENT', 'the sustained file after cleanup');
      await meta.flock(ROOT, locked.ino, 1n, 'W', false);
      await meta.setlk(ROOT, locked.ino, 1n, false, { type: LockType.Write, start: 0n, end: 99n, pid: 1 });
    },
  },
  {
    group, name: 'closeSession deletes files this session kept open after unlink and releases its locks',
    needs: ['sessions', 'locks'],
    async run(env) {
      const meta = await formatted(env);
      const f = await meta.create(ROOT, ROOT_INODE, 'f', 0o644, 0, 0);
      const g = await meta.create(ROOT, ROOT_INODE, 'g', 0o644, 0, 0);
      await meta.flock(ROOT, g.ino, 1n, 'W', false);
      await meta.unlink(ROOT, ROOT_INODE, 'f');
      assert.equal((await meta.getAttr(ROOT, f.ino)).nlink, 0);
      await meta.closeSession();
      await expectCode(meta.getAttr(ROOT, f.ino), 'ENOENT', 'sustained file after closeSession');
      await meta.newSession();
      await meta.flock(ROOT, g.ino, 2n, 'W', false);
    },
  },
];
