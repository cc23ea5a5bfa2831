import type { AtimeMode, Attr, Ino } from '@juicefs/core';
import type { MetaState } from './state.js';
import { now, setAtime } from './tx-util.js';

const DAY_MS = 24 * 3600 * 1000;

function ms(sec: number, nsec: number): number {
  return sec * 1000 + nsec / 1e6;
}

/**
 * Whether an access at `nowMs` should write a new atime (JuiceFS's atimeNeedsUpdate).
 * relatime, as Linux: the old atime is not later than mtime or ctime, or is over a day old.
 * strictatime: also whenever it is more than a second old (finer updates would cost a write
 * per read for nothing a reader can use).
 */
export function atimeNeedsUpdate(mode: AtimeMode, attr: Attr, nowMs: number): boolean {
  if (mode === 'noatime') return false;
  const atime = ms(attr.atime, attr.atimensec);
  const relatime = ms(attr.mtime, attr.mtimensec) > atime || ms(attr.ctime, attr.ctimensec) > atime || nowMs - atime > DAY_MS;
  return relatime || (mode === 'strictatime' && nowMs - atime > 1000);
}

/**
 * Record an access of `ino` (open, a chunk read, a listing, readlink). `known`, the attributes
 * the operation just read, decides without a query when no update is due; the update itself
 * re-reads the node in a transaction so a concurrent change is not overwritten. On success
 * `known` carries the new atime. A failure only costs the atime: the access itself succeeded.
 */
export async function touchAtime(m: MetaState, ino: Ino, known?: Attr): Promise<void> {
  if (m.client.atimeMode === 'noatime' || m.readOnly) return;
  const t = now();
  const nowMs = ms(t.sec, t.nsec);
  if (known && !atimeNeedsUpdate(m.client.atimeMode, known, nowMs)) return;
  try {
    const updated = await m.store.txn(async (tx) => {
      const attr = await tx.getAttr(ino);
      if (!attr || !atimeNeedsUpdate(m.client.atimeMode, attr, nowMs)) return undefined;
      setAtime(attr, t);
      tx.setAttr(ino, attr);
      return attr;
    });
    if (!updated) return;
    if (known) setAtime(known, t);
    m.openCache.updated(ino, updated);
  } catch {
    // As JuiceFS: the read or listing stands; the next access tries the atime again.
  }
}
