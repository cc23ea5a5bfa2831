import type { SqlEngine } from '../sql/engine.js';
import type { DumpExtras, LoadExtras } from './extras.js';
import type { AclRule, QuotaLimits } from './model.js';

/**
 * Quotas and ACL rules on SQL, for dump and load (FORMAT.md 5.3): `jfs_dir_quota`,
 * `jfs_user_group_quota` (qtype 1 = user, 2 = group) and `jfs_acl`, whose named users/groups are
 * 6-byte (id, perm) records with no count prefix.
 */
export function sqlExtras(engine: SqlEngine): DumpExtras & LoadExtras {
  const t = (name: string) => `"${engine.prefix}${name}"`;
  const n = (v: unknown) => Number(v);
  const limits = (r: Record<string, unknown>): QuotaLimits => ({ maxSpace: n(r['max_space']), maxInodes: n(r['max_inodes']) });
  const qtype = (kind: 'user' | 'group') => (kind === 'user' ? 1 : 2);
  return {
    listDirQuotas: () =>
      engine.raw(async (c) =>
        (await c.all(`SELECT "inode","max_space","max_inodes" FROM ${t('dir_quota')}`)).map((r) => ({
          ino: BigInt(String(r['inode'])),
          limits: limits(r),
        })),
      ),
    listUserGroupQuotas: (kind) =>
      engine.raw(async (c) =>
        (await c.all(`SELECT "qkey","max_space","max_inodes" FROM ${t('user_group_quota')} WHERE "qtype"=?`, [qtype(kind)])).map((r) => ({
          id: n(r['qkey']),
          limits: limits(r),
        })),
      ),
    getAclRule: (id) =>
      engine.raw(async (c) => {
        const [r] = await c.all(`SELECT "owner","group","mask","other","named_users","named_groups" FROM ${t('acl')} WHERE "id"=?`, [id]);
        if (!r) return undefined;
        return {
          owner: n(r['owner']), group: n(r['group']), mask: n(r['mask']), other: n(r['other']),
          users: decodeEntries(r['named_users']), groups: decodeEntries(r['named_groups']),
        };
      }),
    setDirQuota: (ino, l, used) =>
      engine.raw(async (c) => {
        await c.run(`DELETE FROM ${t('dir_quota')} WHERE "inode"=?`, [ino]);
        await c.run(`INSERT INTO ${t('dir_quota')} ("inode","max_space","max_inodes","used_space","used_inodes") VALUES (?,?,?,?,?)`, [ino, l.maxSpace, l.maxInodes, used.space, used.inodes]);
      }),
    setUserGroupQuota: (kind, id, l, used) =>
      engine.raw(async (c) => {
        await c.run(`DELETE FROM ${t('user_group_quota')} WHERE "qtype"=? AND "qkey"=?`, [qtype(kind), id]);
        await c.run(
          `INSERT INTO ${t('user_group_quota')} ("qtype","qkey","max_space","max_inodes","used_space","used_inodes") VALUES (?,?,?,?,?,?)`,
          [qtype(kind), id, l.maxSpace, l.maxInodes, used.space, used.inodes],
        );
      }),
    putAclRule: (rule: AclRule) =>
      engine.raw(async (c) => {
        const insert = `INSERT INTO ${t('acl')} ("owner","group","mask","other","named_users","named_groups") VALUES (?,?,?,?,?,?)`;
        const values = [rule.owner, rule.group, rule.mask, rule.other, encodeEntries(rule.users), encodeEntries(rule.groups)];
        if (engine.name === 'mysql') {
          // No INSERT … RETURNING on MySQL; LAST_INSERT_ID() is per connection, and this is ours.
          await c.run(insert, values);
          return n((await c.all('SELECT LAST_INSERT_ID() AS "id"'))[0]?.['id']);
        }
        const [r] = await c.all(`${insert} RETURNING "id"`, values);
        return n(r?.['id']);
      }),
  };
}

function encodeEntries(list: AclRule['users']): Buffer {
  const b = Buffer.alloc(6 * list.length);
  list.forEach((e, i) => {
    b.writeUInt32BE(e.id, 6 * i);
    b.writeUInt16BE(e.perm, 6 * i + 4);
  });
  return b;
}

function decodeEntries(v: unknown): AclRule['users'] {
  if (!(v instanceof Uint8Array)) return [];
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const out: AclRule['users'] = [];
  for (let o = 0; o + 6 <= b.length; o += 6) out.push({ id: b.readUInt32BE(o), perm: b.readUInt16BE(o + 4) });
  return out;
}
