import { NodeType, type Context, type DirStat, type Format, type Ino, type StatFS } from '@juicefs/core';
import { quotaFor } from './quota.js';
import type { MetaState } from './state.js';
import { dataLengthOf, readOnly, requireAttr, requireDir, spaceOf } from './tx-util.js';

/**
 * statfs: with Capacity/Inodes set they are the totals; otherwise JuiceFS reports 1 PiB and
 * 10 Mi inodes, doubled while usage is above 80% so that df never shows a full volume.
 */
export async function statFS(m: MetaState, ctx: Context, ino: Ino): Promise<StatFS> {
  const volume = await volumeStatFS(m, ino);
  if (ino === 0n || ino === 1n) return volume;
  // Below a directory quota, df shows the quota: its limit as the size, its usage as used.
  const q = await quotaFor(m, ino);
  const out = { ...volume };
  if (q.space) {
    const used = Math.max(0, q.space.usedSpace + q.space.newSpace);
    out.totalSpace = Math.max(q.space.maxSpace, used);
    out.availSpace = Math.max(0, q.space.maxSpace - used);
  }
  if (q.inodes) {
    out.usedInodes = Math.max(0, q.inodes.usedInodes + q.inodes.newInodes);
    out.availInodes = Math.max(0, q.inodes.maxInodes - out.usedInodes);
  }
  return out;
}

/**
 * The volume's usage counters. With --fast-statfs, statfs takes those read at most a heartbeat
 * ago instead of asking the engine every time (JuiceFS's statRootFs keeps them from its
 * heartbeat; a --subdir mount's statfs starts there too), so `df` on a busy volume costs no
 * query; usage then lags by up to a heartbeat.
 */
async function volumeUsage(m: MetaState, ino: Ino): Promise<{ space: number; inodes: number }> {
  if (m.client.fastStatfs && m.usage && Date.now() - m.usage.readAt < m.heartbeat * 1000) return m.usage;
  // A read, not a transaction (upstream reads the counters one by one too): df took the SQLite
  // write lock (BEGIN IMMEDIATE … COMMIT) for three reads, queueing behind every writer.
  const usage = await readOnly(m, async (tx) => {
    await requireAttr(tx, ino === 0n ? 1n : ino);
    return { space: await tx.getCounter('usedSpace'), inodes: await tx.getCounter('totalInodes'), readAt: Date.now() };
  });
  m.usage = usage;
  return usage;
}

async function volumeStatFS(m: MetaState, ino: Ino): Promise<StatFS> {
  const usage = await volumeUsage(m, ino);
  return volumeTotals(m.format, usage.space, usage.inodes);
}

/**
 * The volume's statfs from its usage counters (exported so that `juicefs status` reports the
 * same available space and inodes as `df` on a mount, as JuiceFS's status does).
 */
export function volumeTotals(format: Pick<Format, 'Capacity' | 'Inodes'> | undefined, space: number, inodes: number): StatFS {
  const usedSpace = Math.max(0, space);
  const usedInodes = Math.max(0, inodes);
  let totalSpace = format?.Capacity ?? 0;
  if (totalSpace > 0) {
    totalSpace = Math.max(totalSpace, usedSpace);
  } else {
    totalSpace = 2 ** 50;
    while (totalSpace * 8 < usedSpace * 10) totalSpace *= 2;
  }
  let availInodes: number;
  const maxInodes = format?.Inodes ?? 0;
  if (maxInodes > 0) {
    availInodes = Math.max(0, maxInodes - usedInodes);
  } else {
    availInodes = 10 * 2 ** 20;
    while (usedInodes * 10 > (usedInodes + availInodes) * 8) availInodes *= 2;
  }
  return { totalSpace, availSpace: Math.max(0, totalSpace - usedSpace), usedInodes, availInodes };
}

/** Stats of a directory's direct children; computed from the entries where none are stored. */
export async function getDirStat(m: MetaState, ctx: Context, ino: Ino): Promise<DirStat> {
  return m.store.txn(async (tx) => {
    await requireDir(tx, ino);
    const stored = await tx.getDirStat(ino);
    if (stored) return stored;
    const stat: DirStat = { length: 0, space: 0, inodes: 0 };
    let cursor: string | undefined;
    do {
      const page = await tx.listEntries(ino, cursor, 1000);
      const attrs = await tx.getAttrs(page.entries.map((e) => e.ino));
      page.entries.forEach((e, i) => {
        const a = attrs[i] ?? { type: e.type, length: e.type === NodeType.Directory ? 4096 : 0 };
        stat.length += dataLengthOf(a);
        stat.space += spaceOf(a);
        stat.inodes += 1;
      });
      cursor = page.cursor;
    } while (cursor !== undefined);
    return stat;
  });
}
