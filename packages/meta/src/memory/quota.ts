import type { Ino } from '@juicefs/core';
import type { DirQuota, DirQuotaStore, OwnerKind, UserGroupQuotaStore } from '../base/quota-store.js';

/** Directory quotas of an in-memory volume. */
export function memoryDirQuotas(quotas: Map<Ino, DirQuota>): DirQuotaStore {
  return {
    loadAll: async () => new Map([...quotas].map(([ino, q]) => [ino, { ...q }])),
    get: async (ino) => {
      const q = quotas.get(ino);
      return q ? { ...q } : undefined;
    },
    set: async (ino, limits, used) => {
      const old = quotas.get(ino);
      quotas.set(ino, {
        ...limits,
        usedSpace: used?.space ?? old?.usedSpace ?? 0,
        usedInodes: used?.inodes ?? old?.usedInodes ?? 0,
      });
      return old === undefined;
    },
    delete: async (ino) => quotas.delete(ino),
    addUsage: async (deltas) => {
      for (const d of deltas) {
        const q = quotas.get(d.ino);
        if (q) quotas.set(d.ino, { ...q, usedSpace: q.usedSpace + d.space, usedInodes: q.usedInodes + d.inodes });
      }
    },
  };
}

/** User and group quotas of an in-memory volume, keyed `user:ID` / `group:ID`. */
export function memoryUserGroupQuotas(quotas: Map<string, DirQuota>): UserGroupQuotaStore {
  const key = (kind: OwnerKind, id: number) => `${kind}:${id}`;
  return {
    loadAll: async (kind) => {
      const out = new Map<number, DirQuota>();
      for (const [k, q] of quotas) if (k.startsWith(`${kind}:`)) out.set(Number(k.slice(kind.length + 1)), { ...q });
      return out;
    },
    get: async (kind, id) => {
      const q = quotas.get(key(kind, id));
      return q ? { ...q } : undefined;
    },
    set: async (kind, id, limits, used) => {
      const old = quotas.get(key(kind, id));
      quotas.set(key(kind, id), { ...limits, usedSpace: used?.space ?? old?.usedSpace ?? 0, usedInodes: used?.inodes ?? old?.usedInodes ?? 0 });
      return old === undefined;
    },
    addUsage: async (kind, deltas) => {
      for (const d of deltas) {
        const q = quotas.get(key(kind, d.id)) ?? { maxSpace: -1, maxInodes: -1, usedSpace: 0, usedInodes: 0 };
        quotas.set(key(kind, d.id), { ...q, usedSpace: q.usedSpace + d.space, usedInodes: q.usedInodes + d.inodes });
      }
    },
    clearUsage: async (kind) => {
      for (const [k, q] of quotas) if (k.startsWith(`${kind}:`)) quotas.set(k, { ...q, usedSpace: 0, usedInodes: 0 });
    },
  };
}
