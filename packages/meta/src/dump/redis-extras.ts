import type { Ino } from '@juicefs/core';
import { decodeQuota, encodeQuota } from '../codec/quota.js';
import type { RedisEngine } from '../redis/engine.js';
import type { DumpExtras, LoadExtras } from './extras.js';
import type { AclRule, QuotaLimits } from './model.js';

/**
 * Quotas and ACL rules on Redis, for dump and load (FORMAT.md 4.2 and 3.4): `dirQuota`,
 * `userQuota`, `groupQuota` hashes of 16-byte quota pairs with their `…UsedSpace`/`…UsedInodes`
 * hashes, and the `acl` hash of binary rules numbered from `aclMaxId`.
 */
export function redisExtras(engine: RedisEngine): DumpExtras & LoadExtras {
  const c = engine.client;
  const k = (name: string) => `${engine.keys.prefix}${name}`;
  const quotaKey = { dir: 'dirQuota', user: 'userQuota', group: 'groupQuota' } as const;

  const list = async (kind: keyof typeof quotaKey): Promise<Array<[string, QuotaLimits]>> => {
    const all = await c.hgetallBuffer(k(quotaKey[kind]));
    return Object.entries(all).map(([field, v]) => [field, decodeQuota(v, `${quotaKey[kind]} ${field}`)]);
  };
  const set = async (kind: keyof typeof quotaKey, field: string, limits: QuotaLimits, used: { space: number; inodes: number }) => {
    const base = quotaKey[kind];
    await c
      .multi()
      .hset(k(base), field, encodeQuota(limits))
      .hset(k(`${base}UsedSpace`), field, String(used.space))
      .hset(k(`${base}UsedInodes`), field, String(used.inodes))
      .exec();
  };

  return {
    listDirQuotas: async () => (await list('dir')).map(([f, limits]) => ({ ino: BigInt(f) as Ino, limits })),
    listUserGroupQuotas: async (kind) => (await list(kind)).map(([f, limits]) => ({ id: Number(f), limits })),
    getAclRule: async (id) => {
      const v = await c.hgetBuffer(k('acl'), String(id));
      return v ? decodeAclRule(v) : undefined;
    },
    setDirQuota: (ino, limits, used) => set('dir', ino.toString(), limits, used),
    setUserGroupQuota: (kind, id, limits, used) => set(kind, String(id), limits, used),
    putAclRule: async (rule) => {
      const id = await c.incr(k('aclMaxId'));
      await c.hset(k('acl'), String(id), encodeAclRule(rule));
      return id;
    },
  };
}

/** The Redis form of an ACL rule (FORMAT.md 3.4). */
export function encodeAclRule(r: AclRule): Buffer {
  const b = Buffer.alloc(16 + 6 * (r.users.length + r.groups.length));
  let o = 0;
  for (const v of [r.owner, r.group, r.mask, r.other]) o = b.writeUInt16BE(v, o);
  for (const list of [r.users, r.groups]) {
    o = b.writeUInt32BE(list.length, o);
    for (const e of list) {
      o = b.writeUInt32BE(e.id, o);
      o = b.writeUInt16BE(e.perm, o);
    }
  }
  return b;
}

export function decodeAclRule(b: Buffer): AclRule {
  let o = 8;
  const entries = () => {
    const n = b.readUInt32BE(o);
    o += 4;
    const out: AclRule['users'] = [];
    for (let i = 0; i < n; i++, o += 6) out.push({ id: b.readUInt32BE(o), perm: b.readUInt16BE(o + 4) });
    return out;
  };
  const users = entries();
  const groups = entries();
  return { owner: b.readUInt16BE(0), group: b.readUInt16BE(2), mask: b.readUInt16BE(4), other: b.readUInt16BE(6), users, groups };
}
