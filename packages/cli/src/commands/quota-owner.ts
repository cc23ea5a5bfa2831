import { fsError } from '@juicefs/core';
import type { BaseMeta, OwnerCheck, OwnerKind } from '@juicefs/meta';
import { log } from '../log.js';
import { iBytes } from './summary.js';
import { comma, quotaTable } from './quota-table.js';

// juicefs quota … --uid/--gid: user and group quotas, as JuiceFS 1.4 has them.

/** A user or group named on the command line. */
export interface OwnerTarget {
  kind: OwnerKind;
  id: number;
  flag: 'uid' | 'gid';
  /** The first column of its table, as JuiceFS heads it. */
  label: string;
}

/** The user or group a command is about (--uid / --gid), refusing combinations JuiceFS refuses. */
export function ownerOf(a: { path?: string | undefined; uid?: number | undefined; gid?: number | undefined }): OwnerTarget | undefined {
  if (a.uid !== undefined && a.gid !== undefined) throw fsError('EINVAL', 'give either --uid or --gid, not both: a quota is on one user or one group');
  const flag = a.uid !== undefined ? 'uid' : a.gid !== undefined ? 'gid' : undefined;
  if (flag === undefined) return undefined;
  if (a.path !== undefined) throw fsError('EINVAL', `give either --${flag} or --path, not both: a quota is on a user, a group or a directory`);
  const id = (flag === 'uid' ? a.uid : a.gid)!;
  if (!Number.isSafeInteger(id) || id < 1 || id > 0xffffffff) {
    throw fsError('EINVAL', `invalid --${flag} ${id}: give a whole number from 1 to 4294967295 (JuiceFS takes no quota for ${flag} 0)`);
  }
  return { kind: flag === 'uid' ? 'user' : 'group', id, flag, label: flag === 'uid' ? 'User ID' : 'Group ID' };
}

/**
 * Print the owners whose stored usage differs from the tree (repaired, or logged); returns the
 * ones left inconsistent, as uid:N / gid:N.
 */
export function reportOwnerChecks(r: { checks: OwnerCheck[]; repaired: boolean }): string[] {
  const wrong: string[] = [];
  for (const c of r.checks) {
    if (c.consistent) continue;
    const who = `${c.kind === 'user' ? 'uid' : 'gid'}:${c.id}`;
    const stored = c.quota ? `${comma(c.quota.usedInodes)} inodes, ${iBytes(c.quota.usedSpace)}` : 'nothing';
    const counted = `${comma(c.actual.inodes)} inodes, ${iBytes(c.actual.space)}`;
    if (r.repaired) {
      process.stdout.write(`${who}: stored usage (${stored}) != the tree (${counted}): repaired\n`);
    } else {
      log.info(`${who}: stored usage (${stored}) != the tree (${counted})`);
      wrong.push(who);
    }
  }
  return wrong;
}

/**
 * quota check --uid/--gid: as in JuiceFS, one recount of the whole tree checks every user and
 * group (the usage of each is only known from all of it); the table shows the one asked for.
 */
export async function checkOwner(meta: BaseMeta, url: string, owner: OwnerTarget, repair: boolean): Promise<void> {
  const r = await meta.checkOwnerQuotas({ repair });
  const bad = reportOwnerChecks(r);
  const mine = r.checks.find((c) => c.kind === owner.kind && c.id === owner.id);
  const quota = { ...(mine?.quota ?? { maxSpace: -1, maxInodes: -1, usedSpace: 0, usedInodes: 0 }) };
  if (mine && (mine.consistent || r.repaired)) {
    quota.usedSpace = mine.actual.space;
    quota.usedInodes = mine.actual.inodes;
  }
  if (!mine || mine.consistent) process.stdout.write(`quota of ${owner.kind} ${owner.id} is consistent\n`);
  process.stdout.write(quotaTable([[String(owner.id), quota]], owner.label));
  if (bad.length > 0) {
    throw fsError('EIO', `the user/group quota usage of ${bad.join(', ')} is inconsistent (above): run juicefs quota check ${url} --${owner.flag} ${owner.id} --repair to fix it`);
  }
}

/**
 * quota check without --path/--uid/--gid on a volume with user/group quotas on: JuiceFS checks
 * those by default; here they are checked after the directory quotas. Returns the owners left
 * inconsistent.
 */
export async function checkAllOwners(meta: BaseMeta, repair: boolean): Promise<string[]> {
  if (meta.format?.UserGroupQuota !== true) return [];
  const r = await meta.checkOwnerQuotas({ repair });
  const bad = reportOwnerChecks(r);
  if (r.checks.every((c) => c.consistent)) process.stdout.write('user and group quotas are consistent\n');
  return bad;
}
