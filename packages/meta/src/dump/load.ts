import { ROOT_INODE, TRASH_INODE, align4K, decodeFormat, encodeFormat, fsError } from '@juicefs/core';
import type { Attr, Ino, NodeType, Slice } from '@juicefs/core';
import type { EngineStore, TxStore } from '../base/store.js';
import { writeCounters } from './counters.js';
import type { DumpCounters } from './counters.js';
import { unescapeBytes } from './escape.js';
import type { LoadExtras } from './extras.js';
import type { ParsedJson, ParsedObject } from './json-parse.js';
import { readDump } from './read-dump.js';
import type { DumpInput, NodeVisitor } from './read-dump.js';
import { asArray, asObject, ino as toIno, int, parseAcl, parseAttr, parseSlices } from './model.js';
import type { AclRule, QuotaLimits } from './model.js';

export interface LoadOptions {
  extras?: LoadExtras;
  /** Called after each stored node with the running count and the total (progress bars). */
  onNode?: (done: number, total: number) => void;
  /** Nodes written per transaction. */
  batch?: number;
}

export interface LoadResult {
  nodes: number;
  counters: DumpCounters;
  /** Things the dump held that this engine could not store (no LoadExtras): "ACL", "quota". */
  skipped: string[];
}

/** One node of the dump, as read: the first place it appears holds its content. */
interface LoadNode {
  ino: Ino;
  attr: Attr;
  symlink?: Buffer;
  xattrs: Array<{ name: string; value: Buffer }>;
  chunks: Array<{ indx: number; slices: Slice[] }>;
  access?: AclRule;
  dflt?: AclRule;
  /** Every (parent, name) it appears under; the roots have none. */
  links: Array<{ parent: Ino; name: Buffer }>;
  children: Array<{ name: Buffer; ino: Ino; type: NodeType }>;
}

/**
 * Load a JuiceFS JSON dump into an empty database (FORMAT.md 8.4): the tree is trusted, while link
 * counts, lengths of non-files, counters, slice references, directory stats and quota usage are
 * recomputed from it. Accepts dumps of a sub-directory (its top becomes the root). `input` is the
 * text or a stream of it (read line by line when it has the layout juicefs dump writes).
 */
export async function loadMeta(store: EngineStore, input: DumpInput, options: LoadOptions = {}): Promise<LoadResult> {
  await store.initSchema();
  if ((await store.getFormat()) !== undefined) {
    throw fsError('EEXIST', 'the database is not empty: load needs an empty one (juicefs destroy it, or use a new database)');
  }
  const nodes = new Map<Ino, LoadNode>();
  const order: Ino[] = [];
  const skipped = new Set<string>();
  const visit: NodeVisitor = (o, where, parent, escapedName, forceIno) => {
    const { ino: dumpedIno, attr } = parseAttr(o['attr'], where);
    const ino = forceIno ?? dumpedIno;
    let node = nodes.get(ino);
    if (!node) {
      node = { ino, attr, xattrs: [], chunks: [], links: [], children: [] };
      if (typeof o['symlink'] === 'string') node.symlink = unescapeBytes(o['symlink']);
      for (const x of asArray(o['xattrs'], `${where}.xattrs`)) {
        const xo = asObject(x, `${where}.xattrs[]`);
        const value = xo['value'];
        node.xattrs.push({ name: String(xo['name']), value: unescapeBytes(typeof value === 'string' ? value : '') });
      }
      const access = parseAcl(o['posix_acl_access'], `${where}.posix_acl_access`);
      if (access) node.access = access;
      const dflt = parseAcl(o['posix_acl_default'], `${where}.posix_acl_default`);
      if (dflt) node.dflt = dflt;
      node.chunks = parseSlices(o['chunks'], where);
      nodes.set(ino, node);
      order.push(ino);
    }
    if (parent !== undefined && escapedName !== undefined) {
      const name = unescapeBytes(escapedName);
      node.links.push({ parent, name });
      nodes.get(parent)?.children.push({ name, ino, type: node.attr.type });
    }
    return { ino, type: node.attr.type };
  };
  const doc = await readDump(input, visit);
  const settingValue = asObject(doc['Setting'], 'Setting');
  if (doc['Counters'] === undefined) throw fsError('EINVAL', "invalid dump: missing 'Counters'");
  const format = decodeFormat(JSON.stringify(settingValue, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
  if (!nodes.has(ROOT_INODE)) throw fsError('EINVAL', "invalid dump: missing 'FSTree'");

  // ---- recompute what the tree implies ----
  // Only the change log's version is taken from the dump: the rest is what the tree implies.
  const lastChangelog = Number(asObject(doc['Counters'], 'Counters')['lastChangelog'] ?? 0);
  const counters: DumpCounters = {
    usedSpace: 0, usedInodes: 0, nextInode: 2, nextChunk: 1, nextSession: 0, nextTrash: 0,
    lastChangelog: Number.isSafeInteger(lastChangelog) && lastChangelog > 0 ? lastChangelog : 0,
  };
  const refs = new Map<string, { id: number; size: number; count: number }>();
  for (const node of nodes.values()) {
    const a = node.attr;
    if (a.type === 2) {
      a.length = 4096;
      a.nlink = 2;
      if (node.ino < TRASH_INODE) a.nlink += node.children.filter((c) => c.type === 2).length;
    } else {
      a.nlink = node.links.length;
      if (a.type === 3) a.length = node.symlink?.length ?? 0;
      else if (a.type !== 1) a.length = 0;
    }
    a.parent = node.ino === ROOT_INODE || node.ino === TRASH_INODE ? ROOT_INODE
      : node.links.length === 1 ? node.links[0]!.parent : 0n;
    if (node.ino !== ROOT_INODE && node.ino !== TRASH_INODE) {
      counters.usedSpace += align4K(a.type === 1 ? a.length : 0);
      counters.usedInodes += 1;
    }
    if (node.ino < TRASH_INODE) counters.nextInode = Math.max(counters.nextInode, Number(node.ino) + 1);
    else counters.nextTrash = Math.max(counters.nextTrash, Number(node.ino - TRASH_INODE));
    for (const c of node.chunks) {
      for (const s of c.slices) {
        if (s.id === 0) continue;
        const key = `${s.id}_${s.size}`;
        const r = refs.get(key);
        if (r) r.count++;
        else refs.set(key, { id: s.id, size: s.size, count: 1 });
        counters.nextChunk = Math.max(counters.nextChunk, s.id + 1);
      }
    }
  }

  // ---- write ----
  const extras = options.extras;
  const aclIds = new Map<string, number>();
  const aclId = async (rule: AclRule | undefined): Promise<number> => {
    if (!rule) return 0;
    if (!extras) { skipped.add('ACL'); return 0; }
    const key = JSON.stringify(rule);
    let id = aclIds.get(key);
    if (id === undefined) { id = await extras.putAclRule(rule); aclIds.set(key, id); }
    return id;
  };
  await store.setFormat(encodeFormat(format));
  const batch = options.batch ?? 500;
  let done = 0;
  for (let i = 0; i < order.length; i += batch) {
    const part = order.slice(i, i + batch).map((k) => nodes.get(k)!);
    for (const n of part) {
      n.attr.accessACL = await aclId(n.access);
      n.attr.defaultACL = await aclId(n.dflt);
    }
    await store.txn(async (tx) => {
      for (const n of part) writeNode(tx, n, nodes);
    });
    done += part.length;
    options.onNode?.(done, order.length);
  }
  const refList = [...refs.values()];
  for (let i = 0; i < refList.length; i += batch) {
    const part = refList.slice(i, i + batch);
    await store.txn(async (tx) => {
      for (const r of part) {
        tx.newSliceRef(r.id, r.size);
        if (r.count > 1) await tx.addSliceRef(r.id, r.size, r.count - 1);
      }
    });
  }
  const delFiles = asArray(doc['DelFiles'], 'DelFiles');
  if (delFiles.length > 0) {
    await store.txn(async (tx) => {
      for (const d of delFiles) {
        const o = asObject(d, 'DelFiles[]');
        tx.addDelFile(toIno(o['inode'], 'DelFiles[].inode'), int(o['length'], 'DelFiles[].length', 0), int(o['expire'], 'DelFiles[].expire', 0));
      }
    });
  }
  await writeCounters(store, counters);
  await loadQuotas(doc, nodes, extras, skipped);
  return { nodes: order.length, counters, skipped: [...skipped] };
}

function writeNode(tx: TxStore, n: LoadNode, nodes: Map<Ino, LoadNode>): void {
  tx.setAttr(n.ino, n.attr);
  const multi = n.links.length > 1;
  if (multi) for (const l of n.links) tx.addParent(n.ino, l.parent, 1);
  if (n.attr.type === 3 && n.symlink) tx.setSymlink(n.ino, n.symlink);
  for (const x of n.xattrs) tx.setXattr(n.ino, x.name, x.value);
  for (const c of n.chunks) if (c.slices.length > 0) tx.setChunk(n.ino, c.indx, c.slices);
  if (n.attr.type === 2) {
    tx.initDirStat(n.ino);
    const stat = { length: 0, space: 0, inodes: 0 };
    for (const c of n.children) {
      tx.setEntry(n.ino, c.name, c.ino, c.type);
      const child = nodes.get(c.ino);
      const len = child && child.attr.type === 1 ? child.attr.length : 0;
      stat.length += len;
      stat.space += align4K(len);
      stat.inodes += 1;
    }
    if (stat.inodes > 0) tx.addDirStat(n.ino, stat);
  }
}

function limits(v: ParsedJson | undefined, what: string): QuotaLimits {
  const o = asObject(v, what);
  return { maxSpace: int(o['maxSpace'], `${what}.maxSpace`, -1), maxInodes: int(o['maxInodes'], `${what}.maxInodes`, -1) };
}

/** Quotas with usage recomputed: a directory quota covers its whole subtree (counted per link). */
async function loadQuotas(doc: ParsedObject, nodes: Map<Ino, LoadNode>, extras: LoadExtras | undefined, skipped: Set<string>) {
  const dirQ = doc['Quotas'] ? Object.entries(asObject(doc['Quotas'], 'Quotas')) : [];
  const userQ = doc['UserQuotas'] ? Object.entries(asObject(doc['UserQuotas'], 'UserQuotas')) : [];
  const groupQ = doc['GroupQuotas'] ? Object.entries(asObject(doc['GroupQuotas'], 'GroupQuotas')) : [];
  const setting = doc['Setting'];
  const ownersOn = typeof setting === 'object' && setting !== null && !Array.isArray(setting) && (setting as ParsedObject)['UserGroupQuota'] === true;
  if (dirQ.length + userQ.length + groupQ.length === 0 && !ownersOn) return;
  if (!extras) { skipped.add('quota'); return; }
  const subtree = new Map<Ino, { space: number; inodes: number }>();
  const usage = (ino: Ino): { space: number; inodes: number } => {
    const cached = subtree.get(ino);
    if (cached) return cached;
    const u = { space: 0, inodes: 0 };
    subtree.set(ino, u); // set first: a malformed dump with a cycle stops here
    for (const c of nodes.get(ino)?.children ?? []) {
      const child = nodes.get(c.ino);
      u.space += align4K(child && child.attr.type === 1 ? child.attr.length : 0);
      u.inodes += 1;
      if (c.type === 2) {
        const s = usage(c.ino);
        u.space += s.space;
        u.inodes += s.inodes;
      }
    }
    return u;
  };
  for (const [key, v] of dirQ) {
    const ino = toIno(key, 'Quotas key');
    if (!nodes.has(ino)) continue;
    await extras.setDirQuota(ino, limits(v, `Quotas.${key}`), usage(ino));
  }
  // Every owner's usage in one pass. With UserGroupQuota on, clients count usage for every owner,
  // not only those with a quota, so every owner gets its entry (limits -1/-1 where the dump has
  // none): a quota set later then starts from the right usage instead of from nothing.
  const owners = { user: new Map<number, { space: number; inodes: number }>(), group: new Map<number, { space: number; inodes: number }>() };
  for (const n of nodes.values()) {
    if (n.ino === ROOT_INODE || n.ino === TRASH_INODE) continue;
    const space = align4K(n.attr.type === 1 ? n.attr.length : 0);
    for (const [map, id] of [[owners.user, n.attr.uid], [owners.group, n.attr.gid]] as const) {
      const u = map.get(id) ?? { space: 0, inodes: 0 };
      u.space += space;
      u.inodes += 1;
      map.set(id, u);
    }
  }
  for (const [kind, list] of [['user', userQ], ['group', groupQ]] as const) {
    const withQuota = new Set<number>();
    for (const [key, v] of list) {
      const id = Number(key);
      withQuota.add(id);
      await extras.setUserGroupQuota(kind, id, limits(v, `${kind}Quotas.${key}`), owners[kind].get(id) ?? { space: 0, inodes: 0 });
    }
    if (!ownersOn) continue;
    for (const [id, used] of owners[kind]) {
      if (!withQuota.has(id)) await extras.setUserGroupQuota(kind, id, { maxSpace: -1, maxInodes: -1 }, used);
    }
  }
}
