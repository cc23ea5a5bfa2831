import type { DirQuota, OwnerKind, UserGroupQuotaStore } from '../base/quota-store.js';
import type { SqlConn } from './driver.js';

/** User and group quotas in `jfs_user_group_quota` (FORMAT.md 5.3): qtype 1 = user, 2 = group, qkey = uid/gid. */
export function sqlUserGroupQuotas(raw: <T>(fn: (c: SqlConn) => Promise<T>) => Promise<T>, prefix: string): UserGroupQuotaStore {
  const table = `"${prefix}user_group_quota"`;
  const columns = `"qtype","qkey","max_space","max_inodes","used_space","used_inodes"`;
  const qtype = (kind: OwnerKind) => (kind === 'user' ? 1 : 2);
  const quotaOf = (r: Record<string, unknown>): DirQuota => ({
    maxSpace: Number(r['max_space']),
    maxInodes: Number(r['max_inodes']),
    usedSpace: Number(r['used_space']),
    usedInodes: Number(r['used_inodes']),
  });
  const get = async (c: SqlConn, kind: OwnerKind, id: number) => {
    const [r] = await c.all(`SELECT ${columns} FROM ${table} WHERE "qtype"=? AND "qkey"=?`, [qtype(kind), id]);
    return r ? quotaOf(r) : undefined;
  };
  return {
    loadAll: (kind) =>
      raw(async (c) => new Map((await c.all(`SELECT ${columns} FROM ${table} WHERE "qtype"=?`, [qtype(kind)])).map((r) => [Number(r['qkey']), quotaOf(r)]))),
    get: (kind, id) => raw((c) => get(c, kind, id)),
    set: (kind, id, limits, used) =>
      raw(async (c) => {
        const old = await get(c, kind, id);
        if (old) {
          const u = used ?? { space: old.usedSpace, inodes: old.usedInodes };
          await c.run(`UPDATE ${table} SET "max_space"=?,"max_inodes"=?,"used_space"=?,"used_inodes"=? WHERE "qtype"=? AND "qkey"=?`, [
            limits.maxSpace, limits.maxInodes, u.space, u.inodes, qtype(kind), id,
          ]);
          return false;
        }
        await c.run(`INSERT INTO ${table} (${columns}) VALUES (?,?,?,?,?,?)`, [
          qtype(kind), id, limits.maxSpace, limits.maxInodes, used?.space ?? 0, used?.inodes ?? 0,
        ]);
        return true;
      }),
    addUsage: (kind, deltas) =>
      raw(async (c) => {
        for (const d of deltas) {
          // An increment, never a read-modify-write: other clients flush the same rows.
          const n = await c.run(`UPDATE ${table} SET "used_space"="used_space"+?,"used_inodes"="used_inodes"+? WHERE "qtype"=? AND "qkey"=?`, [
            d.space, d.inodes, qtype(kind), d.id,
          ]);
          if (n === 0) {
            await c.run(`INSERT INTO ${table} (${columns}) VALUES (?,?,-1,-1,?,?)`, [qtype(kind), d.id, d.space, d.inodes]);
          }
        }
      }),
    clearUsage: (kind) => raw(async (c) => void (await c.run(`UPDATE ${table} SET "used_space"=0,"used_inodes"=0 WHERE "qtype"=?`, [qtype(kind)]))),
  };
}
