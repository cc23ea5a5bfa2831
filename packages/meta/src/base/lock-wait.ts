import { fsError, type Ino } from '@juicefs/core';
import type { MetaState } from './state.js';

/**
 * Blocking lock waits (F_SETLKW, flock without LOCK_NB). The engines have no way to notify a
 * waiter when another client unlocks, so a waiter retries its lock transaction: soon at first
 * (most waits are short), then backing off to WAIT_CAP_MS so a long wait costs a few
 * transactions a second, not hundreds. A wait ends early, with EINTR and nothing taken, when
 * its caller's AbortSignal aborts (a FUSE INTERRUPT, the FUSE session ending) or when this
 * client's metadata session closes; and it retries at once when a lock on the same inode is
 * released by this client (two processes on one mount need no backoff to hand a lock over).
 */

/** First pause after a conflict. */
export const WAIT_FIRST_MS = 1;
/** Longest pause between two attempts: how late a lock freed by another client may be noticed. */
export const WAIT_CAP_MS = 100;

interface Waiter {
  /** End the current pause now: the lock may have been released. */
  wake(): void;
  /** End the wait with EINTR (after an attempt already running, which may still grant the lock). */
  stop(why: string): void;
  /** Settles once the wait has returned or thrown. */
  readonly settled: Promise<void>;
}

/** This client's waiters by inode; a WeakMap so MetaState needs no field for it. */
const waitersOf = new WeakMap<MetaState, Map<Ino, Set<Waiter>>>();

function registry(m: MetaState): Map<Ino, Set<Waiter>> {
  let r = waitersOf.get(m);
  if (r === undefined) {
    r = new Map();
    waitersOf.set(m, r);
  }
  return r;
}

/** A function, not an inline test: TypeScript would keep `aborted` narrowed across the awaits. */
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

const isEagain = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'EAGAIN';

/** A pause of about `ms` (±25 % so clients that conflict do not retry in lockstep). */
function jittered(ms: number): number {
  return Math.max(1, Math.round(ms * (0.75 + Math.random() * 0.5)));
}

/**
 * Run `attempt` (one lock transaction that throws EAGAIN on a conflict) until it succeeds.
 * Without `block` a conflict is returned to the caller as is.
 */
export async function lockWithWait(
  m: MetaState,
  ino: Ino,
  what: string,
  block: boolean,
  signal: AbortSignal | undefined,
  attempt: () => Promise<void>,
): Promise<void> {
  if (!block) return attempt();
  const interrupted = (why: string) => fsError('EINTR', `${what} on inode ${ino} stopped waiting: ${why}`);
  if (isAborted(signal)) throw interrupted('the request was interrupted before the wait began');
  try {
    return await attempt();
  } catch (err) {
    if (!isEagain(err)) throw err;
  }

  let stopped: string | undefined;
  let resume: (() => void) | undefined;
  // A release seen while an attempt runs (which may have read the state before it): retry at once.
  let wokenDuringAttempt = false;
  let settle!: () => void;
  const waiter: Waiter = {
    wake: () => {
      if (resume !== undefined) resume();
      else wokenDuringAttempt = true;
    },
    stop: (why) => {
      stopped ??= why;
      resume?.();
    },
    settled: new Promise<void>((resolve) => (settle = resolve)),
  };
  const onAbort = (): void => waiter.stop('interrupted (a signal to the waiting process, or the mount going away)');
  signal?.addEventListener('abort', onAbort, { once: true });
  // An abort during the first attempt fired no listener yet.
  if (isAborted(signal)) onAbort();
  const byIno = registry(m);
  const here = byIno.get(ino) ?? new Set<Waiter>();
  byIno.set(ino, here);
  here.add(waiter);
  try {
    for (let delay = WAIT_FIRST_MS; ; delay = Math.min(delay * 2, WAIT_CAP_MS)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, jittered(delay));
        function done(): void {
          clearTimeout(timer);
          resume = undefined;
          resolve();
        }
        resume = done;
        if (stopped !== undefined || wokenDuringAttempt) done();
        wokenDuringAttempt = false;
      });
      if (stopped !== undefined) throw interrupted(stopped);
      try {
        return await attempt();
      } catch (err) {
        if (!isEagain(err)) throw err;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    here.delete(waiter);
    if (here.size === 0 && byIno.get(ino) === here) byIno.delete(ino);
    settle();
  }
}

/** A lock on `ino` was released or weakened by this client: let its local waiters retry now. */
export function wakeLockWaiters(m: MetaState, ino: Ino): void {
  for (const w of waitersOf.get(m)?.get(ino) ?? []) w.wake();
}

/** How many waits are in progress (for tests and diagnostics). */
export function lockWaiterCount(m: MetaState): number {
  let n = 0;
  for (const set of waitersOf.get(m)?.values() ?? []) n += set.size;
  return n;
}

/**
 * End every wait of this client with EINTR and return once they have all finished, so that no
 * waiter takes a lock after the session that would own it is cleaned up (closeSession) or the
 * engine is closed under it (shutdown).
 */
export async function stopLockWaits(m: MetaState, why: string): Promise<void> {
  const all: Waiter[] = [];
  for (const set of waitersOf.get(m)?.values() ?? []) all.push(...set);
  for (const w of all) w.stop(why);
  await Promise.all(all.map((w) => w.settled));
}
