import { fsError } from '../../errors/fs-error.js';
import type { LockWaitOptions } from '../../meta/meta.js';
import type { Context } from '../../types/context.js';
import type { Ino } from '../../types/inode.js';
import type { PosixLockRecord, PosixLockRequest } from '../../types/session.js';
import { LockType } from '../../types/session.js';
import { MemoryData } from './data.js';

const POLL_MS = 5;

/** Pause between attempts of a blocking lock; an abort of `signal` ends the wait with EINTR. */
async function pause(ms: number, what: string, signal: AbortSignal | undefined): Promise<void> {
  const stopped = () => fsError('EINTR', `${what} stopped waiting: the wait was interrupted`);
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) throw stopped();
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
  if (aborted()) throw stopped();
}

/** Cut [start, end] out of a record list (both inclusive), keeping what lies outside. */
function cutRange(records: readonly PosixLockRecord[], start: bigint, end: bigint): PosixLockRecord[] {
  const out: PosixLockRecord[] = [];
  for (const r of records) {
    if (r.end < start || r.start > end) {
      out.push(r);
      continue;
    }
    if (r.start < start) out.push({ ...r, end: start - 1n });
    if (r.end > end) out.push({ ...r, start: end + 1n });
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** BSD flock and POSIX record locks, held per (session, owner) so two clients never share a lock. */
export class MemoryLocks extends MemoryData {
  async flock(_ctx: Context, ino: Ino, owner: bigint, type: 'R' | 'W' | 'U', block: boolean, wait: LockWaitOptions = {}): Promise<void> {
    for (;;) {
      this.node(ino);
      const holders = this.volume.flocks.get(ino) ?? [];
      const mine = (h: { sid: number; owner: bigint }) => h.sid === this.sessionId && h.owner === owner;
      const others = holders.filter((h) => !mine(h));
      if (type === 'U') {
        this.volume.flocks.set(ino, others);
        return;
      }
      const conflict = type === 'W' ? others.length > 0 : others.some((h) => h.type === 'W');
      if (!conflict) {
        this.volume.flocks.set(ino, [...others, { sid: this.sessionId, owner, type }]);
        return;
      }
      if (!block) throw fsError('EAGAIN', `inode ${ino} is flock-ed by another owner`);
      await pause(POLL_MS, `flock of inode ${ino}`, wait.signal);
    }
  }

  private conflicting(ino: Ino, owner: bigint, lock: PosixLockRequest): PosixLockRecord | undefined {
    for (const h of this.volume.plocks.get(ino) ?? []) {
      if (h.sid === this.sessionId && h.owner === owner) continue;
      for (const r of h.records) {
        const overlaps = r.start <= lock.end && lock.start <= r.end;
        if (overlaps && (r.type === LockType.Write || lock.type === LockType.Write)) return r;
      }
    }
    return undefined;
  }

  private validate(lock: PosixLockRequest): void {
    if (lock.type !== LockType.Read && lock.type !== LockType.Write && lock.type !== LockType.Unlock) {
      throw fsError('EINVAL', `unknown lock type ${String(lock.type)}`);
    }
    if (lock.start > lock.end || lock.start < 0n) throw fsError('EINVAL', `bad lock range [${lock.start}, ${lock.end}]`);
  }

  async getlk(_ctx: Context, ino: Ino, owner: bigint, lock: PosixLockRequest): Promise<PosixLockRecord> {
    this.validate(lock);
    this.node(ino);
    if (lock.type === LockType.Unlock) return { type: LockType.Unlock, pid: 0, start: 0n, end: 0n };
    const r = this.conflicting(ino, owner, lock);
    return r ? { ...r } : { type: LockType.Unlock, pid: 0, start: 0n, end: 0n };
  }

  async setlk(_ctx: Context, ino: Ino, owner: bigint, block: boolean, lock: PosixLockRequest, wait: LockWaitOptions = {}): Promise<void> {
    this.validate(lock);
    for (;;) {
      this.node(ino);
      if (lock.type === LockType.Unlock || !this.conflicting(ino, owner, lock)) break;
      if (!block) throw fsError('EAGAIN', `range [${lock.start}, ${lock.end}] of inode ${ino} is locked by another owner`);
      await pause(POLL_MS, `setlk of inode ${ino}`, wait.signal);
    }
    const holders = this.volume.plocks.get(ino) ?? [];
    const others = holders.filter((h) => !(h.sid === this.sessionId && h.owner === owner));
    const mine = holders.find((h) => h.sid === this.sessionId && h.owner === owner);
    let records = cutRange(mine?.records ?? [], lock.start, lock.end);
    if (lock.type !== LockType.Unlock) {
      records = [...records, { type: lock.type, pid: lock.pid, start: lock.start, end: lock.end }];
      records.sort((a, b) => (a.start < b.start ? -1 : 1));
    }
    this.volume.plocks.set(ino, records.length > 0 ? [...others, { sid: this.sessionId, owner, records }] : others);
  }
}
