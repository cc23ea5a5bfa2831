import { LockType, type PosixLockRecord } from '@juicefs/core';

/** 2^64 - 1: a lock "to end of file". */
export const LOCK_EOF = 0xffffffffffffffffn;

export function overlaps(a: { start: bigint; end: bigint }, b: { start: bigint; end: bigint }): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** Two locks of different owners conflict when they overlap and either one is a write lock. */
export function conflicts(held: PosixLockRecord, want: { type: LockType; start: bigint; end: bigint }): boolean {
  return overlaps(held, want) && (held.type === LockType.Write || want.type === LockType.Write);
}

/**
 * Apply a lock request to one owner's records: the range [start, end] takes the new type
 * (Unlock removes it), neighbouring records are split, adjacent equal records merged. The
 * result is sorted by start and non-overlapping (the on-disk rule of FORMAT.md 3.4).
 */
export function applyLock(records: readonly PosixLockRecord[], req: PosixLockRecord): PosixLockRecord[] {
  const out: PosixLockRecord[] = [];
  for (const r of records) {
    if (!overlaps(r, req)) {
      out.push({ ...r });
      continue;
    }
    if (r.start < req.start) out.push({ ...r, end: req.start - 1n });
    if (r.end > req.end) out.push({ ...r, start: req.end + 1n });
  }
  if (req.type !== LockType.Unlock) out.push({ ...req });
  out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: PosixLockRecord[] = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last && last.type === r.type && last.pid === r.pid && last.end !== LOCK_EOF && last.end + 1n === r.start) {
      last.end = r.end;
    } else {
      merged.push(r);
    }
  }
  return merged;
}
