import type { DirQuota, OwnerKind, UserGroupQuotaStore } from '../base/quota-store.js';
import { decodeQuota, encodeQuota } from '../codec/quota.js';
import type { RedisClient } from './connect.js';

const NO_LIMITS = encodeQuota({ maxSpace: -1, maxInodes: -1 });

/**
 * User and group quotas on Redis (FORMAT.md 3.4): `userQuota`/`groupQuota` map the uid/gid to its
 * 16-byte limit pair; `userQuotaUsedSpace`, `userQuotaUsedInodes` (and the group ones) hold the
 * usage, changed only by HINCRBY so that clients flushing together add up.
 */
export function redisUserGroupQuotas(c: RedisClient, prefix: string): UserGroupQuotaStore {
  const keys = (kind: OwnerKind) => ({
    limits: `${prefix}${kind}Quota`,
    space: `${prefix}${kind}QuotaUsedSpace`,
    inodes: `${prefix}${kind}QuotaUsedInodes`,
  });
  const get = async (kind: OwnerKind, id: number): Promise<DirQuota | undefined> => {
    const k = keys(kind);
    const field = String(id);
    const [limits, space, inodes] = await Promise.all([c.hgetBuffer(k.limits, field), c.hget(k.space, field), c.hget(k.inodes, field)]);
    if (!limits) return undefined;
    const l = decodeQuota(limits, `${k.limits} ${field}`);
    return { maxSpace: l.maxSpace, maxInodes: l.maxInodes, usedSpace: Number(space ?? 0), usedInodes: Number(inodes ?? 0) };
  };
  return {
    loadAll: async (kind) => {
      const k = keys(kind);
      const [limits, space, inodes] = await Promise.all([c.hgetallBuffer(k.limits), c.hgetall(k.space), c.hgetall(k.inodes)]);
      const out = new Map<number, DirQuota>();
      for (const [field, v] of Object.entries(limits)) {
        const l = decodeQuota(v, `${k.limits} ${field}`);
        out.set(Number(field), { maxSpace: l.maxSpace, maxInodes: l.maxInodes, usedSpace: Number(space[field] ?? 0), usedInodes: Number(inodes[field] ?? 0) });
      }
      return out;
    },
    get,
    set: async (kind, id, limits, used) => {
      const k = keys(kind);
      const field = String(id);
      const created = (await c.hset(k.limits, field, encodeQuota(limits))) === 1;
      if (used) {
        await c.multi().hset(k.space, field, String(used.space)).hset(k.inodes, field, String(used.inodes)).exec();
      } else if (created) {
        await c.multi().hsetnx(k.space, field, '0').hsetnx(k.inodes, field, '0').exec();
      }
      return created;
    },
    addUsage: async (kind, deltas) => {
      if (deltas.length === 0) return;
      const k = keys(kind);
      const multi = c.multi();
      for (const d of deltas) {
        const field = String(d.id);
        // The limits field makes the owner visible to loadAll; HSETNX leaves a quota's limits alone.
        multi.hsetnx(k.limits, field, NO_LIMITS).hincrby(k.space, field, d.space).hincrby(k.inodes, field, d.inodes);
      }
      await multi.exec();
    },
    clearUsage: async (kind) => {
      const k = keys(kind);
      await c.del(k.space, k.inodes);
    },
  };
}
