import type { Ino } from '@juicefs/core';
import type { DirQuota, DirQuotaStore } from '../base/quota-store.js';
import { decodeQuota, encodeQuota } from '../codec/quota.js';
import type { RedisClient } from './connect.js';

/**
 * Directory quotas on Redis (FORMAT.md 3.4): `dirQuota` maps the inode to its 16-byte limit pair;
 * `dirQuotaUsedSpace` and `dirQuotaUsedInodes` hold the usage, changed only by HINCRBY.
 */
export function redisDirQuotas(c: RedisClient, prefix: string): DirQuotaStore {
  const limitsKey = `${prefix}dirQuota`;
  const spaceKey = `${prefix}dirQuotaUsedSpace`;
  const inodesKey = `${prefix}dirQuotaUsedInodes`;
  const get = async (ino: Ino): Promise<DirQuota | undefined> => {
    const field = ino.toString();
    const [limits, space, inodes] = await Promise.all([c.hgetBuffer(limitsKey, field), c.hget(spaceKey, field), c.hget(inodesKey, field)]);
    if (!limits) return undefined;
    const l = decodeQuota(limits, `${limitsKey} ${field}`);
    return { maxSpace: l.maxSpace, maxInodes: l.maxInodes, usedSpace: Number(space ?? 0), usedInodes: Number(inodes ?? 0) };
  };
  return {
    loadAll: async () => {
      const [limits, space, inodes] = await Promise.all([c.hgetallBuffer(limitsKey), c.hgetall(spaceKey), c.hgetall(inodesKey)]);
      const out = new Map<Ino, DirQuota>();
      for (const [field, v] of Object.entries(limits)) {
        const l = decodeQuota(v, `${limitsKey} ${field}`);
        out.set(BigInt(field), { maxSpace: l.maxSpace, maxInodes: l.maxInodes, usedSpace: Number(space[field] ?? 0), usedInodes: Number(inodes[field] ?? 0) });
      }
      return out;
    },
    get,
    set: async (ino, limits, used) => {
      const field = ino.toString();
      const created = (await c.hset(limitsKey, field, encodeQuota(limits))) === 1;
      if (used) {
        await c.multi().hset(spaceKey, field, String(used.space)).hset(inodesKey, field, String(used.inodes)).exec();
      } else if (created) {
        await c.multi().hsetnx(spaceKey, field, '0').hsetnx(inodesKey, field, '0').exec();
      }
      return created;
    },
    delete: async (ino) => {
      const field = ino.toString();
      const res = await c.multi().hdel(limitsKey, field).hdel(spaceKey, field).hdel(inodesKey, field).exec();
      return Number(res?.[0]?.[1] ?? 0) > 0;
    },
    addUsage: async (deltas) => {
      if (deltas.length === 0) return;
      const multi = c.multi();
      for (const d of deltas) {
        const field = d.ino.toString();
        multi.hincrby(spaceKey, field, d.space).hincrby(inodesKey, field, d.inodes);
      }
      await multi.exec();
    },
  };
}
