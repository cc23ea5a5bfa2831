import { fsError, LockType, type Context, type Ino, type LockWaitOptions, type PosixLockRecord, type PosixLockRequest } from '@juicefs/core';
import { lockWithWait, wakeLockWaiters } from './lock-wait.js';
import { applyLock, conflicts, LOCK_EOF } from './plock-ranges.js';
import type { MetaState } from './state.js';
import { readOnly, requireAttr } from './tx-util.js';
import { logChange } from './changelog.js';

/** BSD flock: R shared, W exclusive, U unlock; owners are (session, owner). */
export async function flock(
  m: MetaState,
  ctx: Context,
  ino: Ino,
  owner: bigint,
  type: 'R' | 'W' | 'U',
  block: boolean,
  wait: LockWaitOptions = {},
): Promise<void> {
  if (type !== 'R' && type !== 'W' && type !== 'U') throw fsError('EINVAL', `flock type must be R, W or U, got ${String(type)}`);
  await lockWithWait(m, ino, `flock(${type})`, block && type !== 'U', wait.signal, () =>
    m.store.txn(async (tx) => {
      await requireAttr(tx, ino);
      const held = await tx.getFlocks(ino);
      const mine = (l: { sid: number; owner: bigint }) => l.sid === m.sid && l.owner === owner;
      if (type === 'U') {
        if (held.some(mine)) {
          tx.setFlock(ino, m.sid, owner, undefined);
          logChange(m, tx, 'FLOCK', [ino, owner, type]);
        }
        return;
      }
      const others = held.filter((l) => !mine(l));
      if (others.some((l) => type === 'W' || l.type === 'W')) {
        throw fsError('EAGAIN', `inode ${ino} is flocked by another owner`);
      }
      tx.setFlock(ino, m.sid, owner, type);
      logChange(m, tx, 'FLOCK', [ino, owner, type]);
    }),
  );
  // Unlocking or downgrading to shared may let this client's own waiters in.
  if (type !== 'W') wakeLockWaiters(m, ino);
}

function checkRequest(lock: PosixLockRequest): void {
  const types: number[] = [LockType.Read, LockType.Write, LockType.Unlock];
  if (!types.includes(lock.type)) throw fsError('EINVAL', `POSIX lock type must be 0, 1 or 2, got ${lock.type}`);
  if (lock.start < 0n || lock.end > LOCK_EOF || lock.start > lock.end) {
    throw fsError('EINVAL', `invalid POSIX lock range [${lock.start}, ${lock.end}]`);
  }
}

/** F_GETLK: the first lock of another owner that would block `lock`, else an Unlock record. */
export async function getlk(m: MetaState, ino: Ino, owner: bigint, lock: PosixLockRequest): Promise<PosixLockRecord> {
  checkRequest(lock);
  return readOnly(m, async (tx) => {
    await requireAttr(tx, ino);
    if (lock.type !== LockType.Unlock) {
      for (const holder of await tx.getPlocks(ino)) {
        if (holder.sid === m.sid && holder.owner === owner) continue;
        const hit = holder.records.find((r) => conflicts(r, lock));
        if (hit) return { ...hit };
      }
    }
    return { type: LockType.Unlock, pid: 0, start: 0n, end: 0n };
  });
}

/** F_SETLK / F_SETLKW: set or release a record lock for (session, owner). */
export async function setlk(
  m: MetaState,
  ino: Ino,
  owner: bigint,
  block: boolean,
  lock: PosixLockRequest,
  wait: LockWaitOptions = {},
): Promise<void> {
  checkRequest(lock);
  await lockWithWait(m, ino, 'setlk', block && lock.type !== LockType.Unlock, wait.signal, () =>
    m.store.txn(async (tx) => {
      await requireAttr(tx, ino);
      const holders = await tx.getPlocks(ino);
      const mine = holders.find((h) => h.sid === m.sid && h.owner === owner);
      if (lock.type !== LockType.Unlock) {
        for (const h of holders) {
          if (h === mine) continue;
          if (h.records.some((r) => conflicts(r, lock))) {
            throw fsError('EAGAIN', `range [${lock.start}, ${lock.end}] of inode ${ino} is locked by another owner`);
          }
        }
      } else if (!mine) {
        return;
      }
      const records = applyLock(mine?.records ?? [], { type: lock.type, pid: lock.pid, start: lock.start, end: lock.end });
      tx.setPlock(ino, m.sid, owner, records);
      logChange(m, tx, 'SETLK', [ino, owner, lock.type, lock.start, lock.end, lock.pid]);
    }),
  );
  if (lock.type !== LockType.Write) wakeLockWaiters(m, ino);
}
