import { NODE_TYPE_NAMES, fsError } from '@juicefs/core';
import type { Attr, Ino, NodeType, Slice } from '@juicefs/core';
import { compactJson, obj } from './go-json.js';
import type { JsonObject, JsonValue } from './go-json.js';
import type { ParsedJson, ParsedObject } from './json-parse.js';

/** An ACL rule as the dump writes it (`posix_acl_access` / `posix_acl_default`). */
export interface AclRule {
  owner: number;
  group: number;
  other: number;
  mask: number;
  users: Array<{ id: number; perm: number }>;
  groups: Array<{ id: number; perm: number }>;
}

/** Quota maxima, as the engines' quota codec has them (≤ 0 = unlimited). */
export type { QuotaLimits } from '../codec/quota.js';

const TYPE_BY_NAME = new Map<string, NodeType>(
  Object.entries(NODE_TYPE_NAMES).map(([t, name]) => [name, Number(t) as NodeType]),
);

/** The `attr` line of a node: members in the Go struct's order, starred ones omitted when 0. */
export function attrJson(ino: Ino, a: Attr): string {
  const nz = (n: number) => (n === 0 ? undefined : n);
  return compactJson(obj([
    ['inode', ino],
    ['flags', nz(a.flags)],
    ['type', NODE_TYPE_NAMES[a.type]],
    ['mode', a.mode],
    ['uid', a.uid],
    ['gid', a.gid],
    ['atime', a.atime],
    ['mtime', a.mtime],
    ['ctime', a.ctime],
    ['atimensec', nz(a.atimensec)],
    ['mtimensec', nz(a.mtimensec)],
    ['ctimensec', nz(a.ctimensec)],
    ['nlink', a.nlink],
    // Only regular files carry their length in a dump; load recomputes the others.
    ['length', a.type === 1 ? a.length : 0],
    ['rdev', nz(a.rdev)],
    ['tier', nz(a.tier)],
  ]));
}

export function aclJson(rule: AclRule): string {
  const list = (l: AclRule['users']): JsonValue =>
    l.length === 0 ? null : l.map((e) => obj([['id', e.id], ['perm', e.perm]]));
  return compactJson(obj([
    ['owner', rule.owner], ['group', rule.group], ['other', rule.other], ['mask', rule.mask],
    ['users', list(rule.users)], ['groups', list(rule.groups)],
  ]));
}

export function sliceJson(s: Slice): JsonObject {
  return obj([
    ['id', s.id], ['pos', s.pos || undefined], ['size', s.size], ['off', s.off || undefined], ['len', s.len],
  ]);
}

// ---- reading parsed dump values ----

export function asObject(v: ParsedJson | undefined, what: string): ParsedObject {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) {
    throw fsError('EINVAL', `invalid dump: ${what} should be an object`);
  }
  return v;
}

export function asArray(v: ParsedJson | undefined, what: string): ParsedJson[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw fsError('EINVAL', `invalid dump: ${what} should be an array`);
  return v;
}

/** A non-negative safe integer (lengths, ids, times may be negative: see `int`). */
export function int(v: ParsedJson | undefined, what: string, fallback?: number): number {
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw fsError('EINVAL', `invalid dump: ${what} is missing`);
  }
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw fsError('EINVAL', `invalid dump: ${what} should be an integer within 2^53 (got ${String(v)})`);
}

export function ino(v: ParsedJson | undefined, what: string): Ino {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n) return v;
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return BigInt(v);
  throw fsError('EINVAL', `invalid dump: ${what} should be an inode number (got ${String(v)})`);
}

/** Attributes from a dumped `attr`; nlink, length of non-files, parent and ACL ids are set by the loader. */
export function parseAttr(v: ParsedJson | undefined, where: string): { ino: Ino; attr: Attr } {
  const o = asObject(v, `${where}.attr`);
  const typeName = o['type'];
  const type = typeof typeName === 'string' ? TYPE_BY_NAME.get(typeName) : undefined;
  if (type === undefined) throw fsError('EINVAL', `invalid dump: ${where} has unknown type ${String(typeName)}`);
  const n = (k: string) => int(o[k], `${where}.attr.${k}`, 0);
  return {
    ino: ino(o['inode'], `${where}.attr.inode`),
    attr: {
      flags: n('flags'), type, mode: n('mode'), uid: n('uid'), gid: n('gid'),
      atime: n('atime'), atimensec: n('atimensec'), mtime: n('mtime'), mtimensec: n('mtimensec'),
      ctime: n('ctime'), ctimensec: n('ctimensec'), nlink: n('nlink'), length: n('length'),
      rdev: n('rdev'), parent: 0n, accessACL: 0, defaultACL: 0, tier: n('tier'),
    },
  };
}

export function parseAcl(v: ParsedJson | undefined, what: string): AclRule | undefined {
  if (v === undefined || v === null) return undefined;
  const o = asObject(v, what);
  const list = (k: string) =>
    asArray(o[k], `${what}.${k}`).map((e) => {
      const x = asObject(e, `${what}.${k}[]`);
      return { id: int(x['id'], `${what}.${k}[].id`), perm: int(x['perm'], `${what}.${k}[].perm`) };
    });
  const n = (k: string) => int(o[k], `${what}.${k}`, 0);
  return { owner: n('owner'), group: n('group'), other: n('other'), mask: n('mask'), users: list('users'), groups: list('groups') };
}

export function parseSlices(v: ParsedJson | undefined, where: string): Array<{ indx: number; slices: Slice[] }> {
  return asArray(v, `${where}.chunks`).map((c) => {
    const co = asObject(c, `${where}.chunks[]`);
    const slices = asArray(co['slices'], `${where}.chunks[].slices`).map((s) => {
      const so = asObject(s, `${where} slice`);
      // Older dumps name the slice id "chunkid".
      const id = int(so['id'] ?? so['chunkid'], `${where} slice id`, 0);
      const n = (k: string) => int(so[k], `${where} slice ${k}`, 0);
      return { id, pos: n('pos'), size: n('size'), off: n('off'), len: n('len') };
    });
    return { indx: int(co['index'], `${where}.chunks[].index`), slices };
  });
}
