import assert from 'node:assert/strict';
import type { Meta } from '../../../meta/meta.js';
import type { Ino } from '../../../types/inode.js';
import type { PosixLockRequest } from '../../../types/session.js';
import { LockType } from '../../../types/session.js';
import { expectCode, formatted, mkfile, ROOT, ROOT_INODE, secondClient } from '../helpers.js';
import type { MetaCase } from '../types.js';
import { lockWaitCases } from './lock-waits.js';

const group = 'locks';
const EOF = 0xffffffffffffffffn;
const req = (type: LockType, start: bigint, end: bigint, pid = 100): PosixLockRequest => ({ type, start, end, pid });

async function lockedFile(meta: Meta): Promise<Ino> {
  return (await mkfile(meta, ROOT_INODE, 'lockme')).ino;
}

export const lockCases: MetaCase[] = [
  {
    group, name: 'flock: shared locks coexist, an exclusive one conflicts (EAGAIN), unlock frees, the owner may convert',
    needs: ['locks'],
    async run(env) {
      const meta = await formatted(env);
      const ino = await lockedFile(meta);
      await meta.flock(ROOT, ino, 1n, 'R', false);
      await meta.flock(ROOT, ino, 2n, 'R', false);
      await expectCode(meta.flock(ROOT, ino, 3n, 'W', false), 'EAGAIN', 'W while two owners hold R');
      await expectCode(meta.flock(ROOT, ino, 1n, 'W', false), 'EAGAIN', 'upgrade while another owner holds R');
      await meta.flock(ROOT, ino, 2n, 'U', false);
      await meta.flock(ROOT, ino, 1n, 'W', false);
      await expectCode(meta.flock(ROOT, ino, 2n, 'R', false), 'EAGAIN', 'R while another owner holds W');
      await meta.flock(ROOT, ino, 1n, 'R', false);
      await meta.flock(ROOT, ino, 2n, 'R', false);
      await meta.flock(ROOT, ino, 1n, 'U', false);
      await meta.flock(ROOT, ino, 2n, 'U', false);
      await meta.flock(ROOT, ino, 3n, 'W', false);
    },
  },
  {
    group, name: 'flock across two clients: the same owner number in another session still conflicts',
    needs: ['locks', 'concurrency'],
    async run(env) {
      const meta = await formatted(env);
      const ino = await lockedFile(meta);
      const other = await secondClient(env);
      await meta.flock(ROOT, ino, 1n, 'W', false);
      await expectCode(other.flock(ROOT, ino, 1n, 'W', false), 'EAGAIN', 'W from the other client');
      await expectCode(other.flock(ROOT, ino, 1n, 'R', false), 'EAGAIN', 'R from the other client');
      const waiting = other.flock(ROOT, ino, 1n, 'W', true);
      await meta.flock(ROOT, ino, 1n, 'U', false);
      await waiting;
      await expectCode(meta.flock(ROOT, ino, 1n, 'R', false), 'EAGAIN', 'the blocked lock was granted after unlock');
    },
  },
  {
    group, name: 'POSIX locks: ranges per owner, read/read shares, write conflicts; getlk reports the conflict',
    needs: ['locks'],
    async run(env) {
      const meta = await formatted(env);
      const ino = await lockedFile(meta);
      await meta.setlk(ROOT, ino, 1n, false, req(LockType.Write, 0n, 99n, 11));
      await expectCode(meta.setlk(ROOT, ino, 2n, false, req(LockType.Read, 50n, 60n)), 'EAGAIN', 'R over a W range');
      await meta.setlk(ROOT, ino, 2n, false, req(LockType.Read, 100n, 199n, 22));
      await meta.setlk(ROOT, ino, 3n, false, req(LockType.Read, 150n, EOF, 33));
      const conflict = await meta.getlk(ROOT, ino, 2n, req(LockType.Write, 0n, 10n));
      assert.deepEqual(conflict, { type: LockType.Write, pid: 11, start: 0n, end: 99n });
      const free = await meta.getlk(ROOT, ino, 1n, req(LockType.Write, 0n, 99n));
      assert.equal(free.type, LockType.Unlock, "an owner's own lock never conflicts");
      assert.equal((await meta.getlk(ROOT, ino, 4n, req(LockType.Read, 100n, 120n))).type, LockType.Unlock, 'read over reads is free');
      const w = await meta.getlk(ROOT, ino, 4n, req(LockType.Write, 300n, 400n));
      assert.deepEqual([w.type, w.pid, w.start, w.end], [LockType.Read, 33, 150n, EOF]);
      await meta.setlk(ROOT, ino, 1n, false, req(LockType.Unlock, 0n, 49n));
      await meta.setlk(ROOT, ino, 2n, false, req(LockType.Read, 0n, 49n));
      await expectCode(meta.setlk(ROOT, ino, 2n, false, req(LockType.Read, 50n, 50n)), 'EAGAIN', 'the rest of the W range is still held');
      await meta.setlk(ROOT, ino, 1n, false, req(LockType.Unlock, 0n, EOF));
      await expectCode(meta.setlk(ROOT, ino, 4n, false, req(LockType.Write, 0n, 99n)), 'EAGAIN', "W over owner 2's read range");
      await meta.setlk(ROOT, ino, 2n, false, req(LockType.Unlock, 0n, EOF));
      await meta.setlk(ROOT, ino, 4n, false, req(LockType.Write, 0n, 99n));
    },
  },
  {
    group, name: 'POSIX locks across two clients, and a blocking setlk waits for the unlock',
    needs: ['locks', 'concurrency'],
    async run(env) {
      const meta = await formatted(env);
      const ino = await lockedFile(meta);
      const other = await secondClient(env);
      await meta.setlk(ROOT, ino, 1n, false, req(LockType.Write, 0n, EOF, 1));
      await expectCode(other.setlk(ROOT, ino, 1n, false, req(LockType.Read, 10n, 20n)), 'EAGAIN', 'R from the other client');
      const seen = await other.getlk(ROOT, ino, 1n, req(LockType.Read, 10n, 20n));
      assert.equal(seen.type, LockType.Write);
      const waiting = other.setlk(ROOT, ino, 1n, true, req(LockType.Write, 0n, 9n, 2));
      await meta.setlk(ROOT, ino, 1n, false, req(LockType.Unlock, 0n, EOF));
      await waiting;
      assert.equal((await meta.getlk(ROOT, ino, 1n, req(LockType.Read, 0n, 0n))).type, LockType.Write);
    },
  },
  ...lockWaitCases,
];
