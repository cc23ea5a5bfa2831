import assert from 'node:assert/strict';
import type { Meta } from '../../../meta/meta.js';
import type { Ino } from '../../../types/inode.js';
import type { PosixLockRequest } from '../../../types/session.js';
import { LockType } from '../../../types/session.js';
import { expectCode, formatted, mkfile, ROOT, ROOT_INODE, secondClient } from '../helpers.js';
import type { MetaCase } from '../types.js';

// Blocking locks that give up: F_SETLKW / flock(LOCK_EX) whose caller is interrupted (a FUSE
// INTERRUPT, a killed process) must stop waiting with EINTR, take nothing, and leave no poller
// behind that could grab the lock later.

const group = 'locks';
const EOF = 0xffffffffffffffffn;
const req = (type: LockType, start: bigint, end: bigint, pid = 100): PosixLockRequest => ({ type, start, end, pid });

/** How long a waiter may take to notice its abort before the case calls it a hang (not a speed check). */
const GUARD_MS = 5000;
/** How long a blocked waiter is watched to make sure it really blocks. */
const BLOCK_CHECK_MS = 50;
/** Long enough for any poller left behind by a broken wait to retry (and wrongly win). */
const LINGER_MS = 150;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A waiting lock call; its rejection is marked handled so a failed case leaves no stray error. */
function started(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}

async function mustStillWait(p: Promise<void>, what: string): Promise<void> {
  const settled = await Promise.race([p.then(() => 'granted', (e: unknown) => `failed: ${String(e)}`), sleep(BLOCK_CHECK_MS).then(() => undefined)]);
  if (settled !== undefined) assert.fail(`${what} should block while the lock is held, but it ${settled}`);
}

/** `p` must settle soon after the abort; a hang fails the case instead of timing out the run. */
async function afterAbort(p: Promise<void>, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: `${what} did not stop within ${GUARD_MS} ms of its signal aborting: the wait ignores the signal` })), GUARD_MS);
  });
  try {
    await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

async function lockedFile(meta: Meta, name: string): Promise<Ino> {
  return (await mkfile(meta, ROOT_INODE, name)).ino;
}

/**
 * Run `body` with an AbortController, and whatever happens abort it and drop the holders' locks
 * afterwards: a failed case must not leave a waiter polling (it would keep the test run alive).
 */
async function withWaiters(release: () => Promise<unknown>, body: (ac: AbortController) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  try {
    await body(ac);
  } finally {
    ac.abort();
    await release().catch(() => undefined);
  }
}

/** Drop every lock the owners of a case may hold on `ino` (cleanup after a failure). */
function releaseAll(meta: Meta, ino: Ino, owners: readonly bigint[]): () => Promise<void> {
  return async () => {
    for (const o of owners) {
      await meta.setlk(ROOT, ino, o, false, req(LockType.Unlock, 0n, EOF)).catch(() => undefined);
      await meta.flock(ROOT, ino, o, 'U', false).catch(() => undefined);
    }
  };
}

export const lockWaitCases: MetaCase[] = [
  {
    group, name: 'setlk wait: aborting its signal ends a blocked F_SETLKW with EINTR; the waiter keeps what it held and gains nothing',
    needs: ['locks'],
    async run(env) {
      const meta = await formatted(env);
      const ino = await lockedFile(meta, 'setlkw-abort');
      await withWaiters(releaseAll(meta, ino, [1n, 2n, 3n]), async (ac) => {
        await meta.setlk(ROOT, ino, 1n, false, req(LockType.Write, 50n, 59n, 11));
        await meta.setlk(ROOT, ino, 2n, false, req(LockType.Read, 200n, 299n, 22));
        const waiting = started(meta.setlk(ROOT, ino, 2n, true, req(LockType.Write, 0n, 99n, 22), { signal: ac.signal }));
        await mustStillWait(waiting, 'F_SETLKW over a held range');
        ac.abort();
        await expectCode(afterAbort(waiting, 'F_SETLKW'), 'EINTR', 'F_SETLKW whose signal aborted');
        // Owner 2 still holds its earlier read range...
        const r = await meta.getlk(ROOT, ino, 3n, req(LockType.Write, 250n, 250n));
        assert.deepEqual([r.type, r.pid, r.start, r.end], [LockType.Read, 22, 200n, 299n], "the waiter's earlier lock is kept");
        // ...and nothing in the range it waited for, now or later (no poller left behind).
        await meta.setlk(ROOT, ino, 1n, false, req(LockType.Unlock, 0n, EOF));
        await sleep(LINGER_MS);
        await meta.setlk(ROOT, ino, 3n, false, req(LockType.Write, 0n, 99n, 33));
        const now = await meta.getlk(ROOT, ino, 4n, req(LockType.Write, 0n, 99n));
        assert.equal(now.pid, 33, 'the range belongs to the owner that took it after the unlock');
      });
    },
  },
  {
    group, name: 'flock wait: aborting its signal ends a blocked flock with EINTR; after the unlock another owner takes it at once',
    needs: ['locks'],
    async run(env) {
      const meta = await formatted(env);
      const ino = await lockedFile(meta, 'flock-abort');
      await withWaiters(releaseAll(meta, ino, [1n, 2n, 3n]), async (ac) => {
        await meta.flock(ROOT, ino, 1n, 'W', false);
        const waiting = started(meta.flock(ROOT, ino, 2n, 'W', true, { signal: ac.signal }));
        await mustStillWait(waiting, 'flock(LOCK_EX) on a locked file');
        ac.abort(new Error('interrupted'));
        await expectCode(afterAbort(waiting, 'flock(LOCK_EX)'), 'EINTR', 'flock whose signal aborted');
        await expectCode(meta.flock(ROOT, ino, 3n, 'R', false), 'EAGAIN', 'the holder still holds its lock');
        await meta.flock(ROOT, ino, 1n, 'U', false);
        await sleep(LINGER_MS);
        await meta.flock(ROOT, ino, 3n, 'W', false);
        await expectCode(meta.flock(ROOT, ino, 2n, 'R', false), 'EAGAIN', 'the interrupted owner got nothing: owner 3 holds W');
      });
    },
  },
  {
    group, name: 'lock waits: an already aborted signal fails a conflicting blocking lock with EINTR; a granted lock is not undone by a later abort',
    needs: ['locks'],
    async run(env) {
      const meta = await formatted(env);
      const ino = await lockedFile(meta, 'pre-aborted');
      await withWaiters(releaseAll(meta, ino, [1n, 2n, 3n]), async (ac) => {
        await meta.setlk(ROOT, ino, 1n, false, req(LockType.Write, 0n, 9n, 11));
        await meta.flock(ROOT, ino, 1n, 'W', false);
        const gone = AbortSignal.abort();
        const setlkw = started(meta.setlk(ROOT, ino, 2n, true, req(LockType.Read, 0n, 0n), { signal: gone }));
        await expectCode(afterAbort(setlkw, 'F_SETLKW'), 'EINTR', 'F_SETLKW with an aborted signal');
        const flock = started(meta.flock(ROOT, ino, 2n, 'R', true, { signal: gone }));
        await expectCode(afterAbort(flock, 'flock'), 'EINTR', 'flock with an aborted signal');
        // Free ranges are granted at once even to a waiter with a live signal; aborting later changes nothing.
        await meta.setlk(ROOT, ino, 2n, true, req(LockType.Write, 10n, 19n, 22), { signal: ac.signal });
        ac.abort();
        const held = await meta.getlk(ROOT, ino, 3n, req(LockType.Read, 15n, 15n));
        assert.deepEqual([held.type, held.pid], [LockType.Write, 22], 'the granted lock stays after the abort');
        // Unlocking never waits, so an aborted signal cannot stop it.
        await meta.setlk(ROOT, ino, 2n, true, req(LockType.Unlock, 0n, EOF), { signal: gone });
        await meta.flock(ROOT, ino, 1n, 'U', true, { signal: gone });
        assert.equal((await meta.getlk(ROOT, ino, 3n, req(LockType.Write, 10n, 19n))).type, LockType.Unlock, 'unlock with an aborted signal still unlocks');
        await meta.flock(ROOT, ino, 3n, 'W', false);
      });
    },
  },
  {
    group, name: 'lock waits across two clients: a waiter in the other session is interrupted, and after the unlock a third owner gets the lock',
    needs: ['locks', 'concurrency'],
    async run(env) {
      const meta = await formatted(env);
      const ino = await lockedFile(meta, 'two-clients');
      const other = await secondClient(env);
      const release = async (): Promise<void> => {
        await releaseAll(meta, ino, [1n])();
        await releaseAll(other, ino, [1n, 2n])();
      };
      await withWaiters(release, async (ac) => {
        await meta.setlk(ROOT, ino, 1n, false, req(LockType.Write, 0n, EOF, 11));
        await meta.flock(ROOT, ino, 1n, 'W', false);
        const plock = started(other.setlk(ROOT, ino, 1n, true, req(LockType.Write, 0n, 9n, 21), { signal: ac.signal }));
        const flock = started(other.flock(ROOT, ino, 1n, 'W', true, { signal: ac.signal }));
        await mustStillWait(plock, "F_SETLKW against the other client's lock");
        await mustStillWait(flock, "flock against the other client's lock");
        ac.abort();
        await expectCode(afterAbort(plock, 'F_SETLKW'), 'EINTR', 'F_SETLKW in the other client');
        await expectCode(afterAbort(flock, 'flock'), 'EINTR', 'flock in the other client');
        await meta.setlk(ROOT, ino, 1n, false, req(LockType.Unlock, 0n, EOF));
        await meta.flock(ROOT, ino, 1n, 'U', false);
        await sleep(LINGER_MS);
        await other.setlk(ROOT, ino, 2n, false, req(LockType.Write, 0n, 9n, 22));
        await other.flock(ROOT, ino, 2n, 'W', false);
        const seen = await meta.getlk(ROOT, ino, 5n, req(LockType.Read, 0n, 0n));
        assert.deepEqual([seen.type, seen.start, seen.end], [LockType.Write, 0n, 9n], "owner 2 of the other client holds the range, not the interrupted owner's request");
      });
    },
  },
];
