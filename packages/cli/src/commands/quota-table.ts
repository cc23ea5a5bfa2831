import type { DirQuota } from '@juicefs/meta';
import { log } from '../log.js';
import { renderGrid } from '../output.js';
import { iBytes } from './summary.js';

// The quota table JuiceFS prints for directory, user and group quotas alike.

/** Counts as go-humanize's Comma prints them: "1,000". */
export function comma(n: number): string {
  const s = String(Math.trunc(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}

/** A row of the quota table, as JuiceFS prints it: a limit of 0 is "unlimited", usage below 0 (drift) shows as 0. */
export function quotaRow(where: string, q: DirQuota): string[] {
  const usedSpace = Math.max(0, q.usedSpace);
  const usedInodes = Math.max(0, q.usedInodes);
  const size = q.maxSpace > 0 ? iBytes(q.maxSpace) : 'unlimited';
  const spacePct = q.maxSpace > 0 ? `${Math.floor((usedSpace * 100) / q.maxSpace)}%` : '';
  const inodes = q.maxInodes > 0 ? comma(q.maxInodes) : 'unlimited';
  const inodesPct = q.maxInodes > 0 ? `${Math.floor((usedInodes * 100) / q.maxInodes)}%` : '';
  return [where, size, iBytes(usedSpace), spacePct, inodes, comma(usedInodes), inodesPct];
}

/**
 * The quota table of `quotas` (path or id → quota), sorted as text as JuiceFS sorts it; the first
 * column is "Path", "User ID", "Group ID" or, for a mixed list, "Path/ID" (as JuiceFS names it).
 */
export function quotaTable(quotas: ReadonlyArray<readonly [string, DirQuota]>, firstColumn = 'Path'): string {
  for (const [p, q] of quotas) {
    if (q.usedSpace < 0 || q.usedInodes < 0) {
      const fix = firstColumn === 'Path' ? `--path ${p}` : '--uid/--gid';
      log.warn(`warning: the usage stored for ${p} is negative (${q.usedSpace} bytes, ${q.usedInodes} inodes): run juicefs quota check ${fix} --repair to fix it`);
    }
  }
  const rows = [...quotas].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, q]) => quotaRow(p, q));
  return renderGrid([firstColumn, 'Size', 'Used', 'Use%', 'Inodes', 'IUsed', 'IUse%'], rows);
}
