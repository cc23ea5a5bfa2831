import type { Ino } from '@juicefs/core';
import type { DirQuota, DirQuotaStore } from '../base/quota-store.js';

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
