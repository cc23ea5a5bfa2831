import type { Ino } from '@juicefs/core';
import type { DirQuota, DirQuotaStore } from '../base/quota-store.js';
import type { SqlConn } from './driver.js';

/** Directory quotas in `jfs_dir_quota` (FORMAT.md 5.3), through raw statements in transactions. */
export function sqlDirQuotas(raw: <T>(fn: (c: SqlConn) => Promise<T>) => Promise<T>, prefix: string): DirQuotaStore {
  const table = `"${prefix}dir_quota"`;
  const columns = `"inode","max_space","max_inodes","used_space","used_inodes"`;
  const quotaOf = (r: Record<string, unknown>): DirQuota => ({
    maxSpace: Number(r['max_space']),
    maxInodes: Number(r['max_inodes']),
    usedSpace: Number(r['used_space']),
    usedInodes: Number(r['used_inodes']),
  });
  const get = async (c: SqlConn, ino: Ino) => {
    const [r] = await c.all(`SELECT ${columns} FROM ${table} WHERE "inode"=?`, [ino]);
    return r ? quotaOf(r) : undefined;
  };
  return {
    loadAll: () =>
      raw(async (c) => new Map((await c.all(`SELECT ${columns} FROM ${table}`)).map((r) => [BigInt(String(r['inode'])), quotaOf(r)]))),
    get: (ino) => raw((c) => get(c, ino)),
    set: (ino, limits, used) =>
      raw(async (c) => {
        const old = await get(c, ino);
        if (old) {
          const u = used ?? { space: old.usedSpace, inodes: old.usedInodes };
          await c.run(`UPDATE ${table} SET "max_space"=?,"max_inodes"=?,"used_space"=?,"used_inodes"=? WHERE "inode"=?`, [
            limits.maxSpace, limits.maxInodes, u.space, u.inodes, ino,
          ]);
          return false;
        }
        await c.run(`INSERT INTO ${table} (${columns}) VALUES (?,?,?,?,?)`, [
          ino, limits.maxSpace, limits.maxInodes, used?.space ?? 0, used?.inodes ?? 0,
        ]);
        return true;
      }),
    delete: (ino) => raw(async (c) => (await c.run(`DELETE FROM ${table} WHERE "inode"=?`, [ino])) > 0),
    addUsage: (deltas) =>
      raw(async (c) => {
        for (const d of deltas) {
          await c.run(`UPDATE ${table} SET "used_space"="used_space"+?,"used_inodes"="used_inodes"+? WHERE "inode"=?`, [d.space, d.inodes, d.ino]);
        }
      }),
  };
}
