import { PassThrough } from 'node:stream';
import { ROOT_INODE, TRASH_INODE, align4K, fsError } from '@juicefs/core';
import type { Attr, Ino, NodeType, Slice } from '@juicefs/core';
import type { EngineStore } from '../base/store.js';
import { decodeAttr } from '../codec/attr.js';
import { decodeSlices } from '../codec/slice.js';
import { readBackup } from './backup-file.js';
import type { PbDelFile, PbQuota, PbSustained } from './backup-pb.js';
import { toOrdered, writeTrees } from './dump.js';
import type { NodeDetails, TreeSource } from './dump.js';
import { indentJson, obj } from './go-json.js';
import type { JsonObject } from './go-json.js';
import { parseJsonLossless } from './json-parse.js';
import { loadMeta } from './load.js';
import type { LoadOptions, LoadResult } from './load.js';
import { decodeAclRule } from './redis-extras.js';
import { TextSink } from './sink.js';
import { readCounters, writeCounters } from './counters.js';

export interface BinaryLoadOptions extends LoadOptions {
  /** Called after each segment read, with its name and item count (progress, as upstream). */
  onSegment?: (name: string, items: number) => void;
  /** How to name the input in errors (a file name). */
  source?: string;
}

/** Everything a binary dump holds, by inode. */
interface Decoded {
  format?: string;
  counters: Map<string, number>;
  attrs: Map<Ino, Attr>;
  edges: Map<Ino, Array<{ name: Buffer; ino: Ino }>>;
  chunks: Map<Ino, Array<{ indx: number; slices: Slice[] }>>;
  symlinks: Map<Ino, Buffer>;
  xattrs: Map<Ino, Array<{ name: string; value: Buffer }>>;
  acls: Map<number, Buffer>;
  quotas: PbQuota[];
  sustained: PbSustained[];
  delFiles: PbDelFile[];
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
};

/**
 * Load a binary dump into an empty database. The segments are decoded into per-inode maps (the
 * JSON loader holds the whole tree in memory too), then handed to the JSON loader as the tree it
 * would read from a JSON dump, so link counts, directory stats, quota usage and slice references
 * are recomputed the same way whichever format came in. What JSON cannot carry (sustained nodes,
 * chunks of deleted files) is written afterwards.
 */
export async function loadMetaBinary(
  store: EngineStore,
  input: AsyncIterable<Buffer | string>,
  options: BinaryLoadOptions = {},
): Promise<LoadResult> {
  // Refuse before reading a large file, as loadMeta would after.
  await store.initSchema();
  if ((await store.getFormat()) !== undefined) {
    throw fsError('EEXIST', 'the database is not empty: load needs an empty one (juicefs destroy it, or use a new database)');
  }
  const d: Decoded = {
    counters: new Map(), attrs: new Map(), edges: new Map(), chunks: new Map(), symlinks: new Map(),
    xattrs: new Map(), acls: new Map(), quotas: [], sustained: [], delFiles: [],
  };
  const reader = readBackup(input, options.source);
  for (;;) {
    const next = await reader.next();
    if (next.done) break;
    const s = next.value;
    switch (s.kind) {
      case 'format': d.format = s.json; break;
      case 'counter': for (const c of s.list) d.counters.set(c.key, c.value); break;
      case 'node': for (const n of s.list) d.attrs.set(n.inode, decodeAttr(n.data, `node ${n.inode}`)); break;
      case 'edge': for (const e of s.list) push(d.edges, e.parent, { name: e.name, ino: e.inode }); break;
      case 'chunk': for (const c of s.list) push(d.chunks, c.inode, { indx: c.index, slices: decodeSlices(c.slices) }); break;
      case 'symlink': for (const l of s.list) d.symlinks.set(l.inode, l.target); break;
      case 'xattr': for (const x of s.list) push(d.xattrs, x.inode, { name: x.name, value: x.value }); break;
      case 'acl': for (const a of s.list) d.acls.set(a.id, a.data); break;
      case 'quota': d.quotas.push(...s.list); break;
      case 'sustained': d.sustained.push(...s.list); break;
      case 'delFile': d.delFiles.push(...s.list); break;
      // Recomputed from the tree by the loader, as for JSON dumps (upstream's SQL loader skips parents too).
      case 'sliceRef': case 'stat': case 'parent': break;
    }
    options.onSegment?.(s.kind, s.kind === 'format' ? 1 : s.list.length);
  }
  if (d.format === undefined) throw fsError('EINVAL', 'invalid binary dump: no format segment');
  const root = d.attrs.get(ROOT_INODE);
  if (!root) throw fsError('EINVAL', 'invalid binary dump: the root directory (inode 1) is missing');

  const json = new PassThrough();
  const source = decodedSource(d);
  const writing = (async () => {
    const sink = new TextSink(json);
    await sink.write(`${indentJson(header(d)).slice(0, -2)},`);
    const trash = d.attrs.get(TRASH_INODE);
    await writeTrees(sink, source, { ino: ROOT_INODE, attr: root }, trash ? { ino: TRASH_INODE, attr: trash } : undefined);
    json.end();
  })().catch((e: unknown) => { json.destroy(e instanceof Error ? e : new Error(String(e))); throw e; });
  const [result] = await Promise.all([loadMeta(store, json, options), writing]);
  await writeUnlinked(store, d);
  return result;
}

function header(d: Decoded): JsonObject {
  const c = (k: string) => d.counters.get(k) ?? 0;
  const top = obj([
    ['Setting', toOrdered(parseJsonLossless(d.format ?? '{}'))],
    ['Counters', obj([
      ['usedSpace', c('usedSpace')], ['usedInodes', c('totalInodes')], ['nextInodes', c('nextInode')],
      ['nextChunk', c('nextChunk')], ['nextSession', c('nextSession')], ['nextTrash', c('nextTrash')],
      ...(c('lastChangelog') > 0 ? [['lastChangelog', c('lastChangelog')] as const] : []),
    ])],
    ['Sustained', d.sustained.map((s) => obj([['sid', s.sid], ['inodes', s.inodes.map((i) => Number(i))]]))],
    ['DelFiles', d.delFiles.map((f) => obj([['inode', Number(f.inode)], ['length', f.length], ['expire', f.expire]]))],
  ]);
  if (d.quotas.length > 0) {
    const sorted = d.quotas.map((q) => [q.inode.toString(), q] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    top.set('Quotas', new Map(sorted.map(([k, q]) => [k, obj([['maxSpace', q.maxSpace], ['maxInodes', q.maxInodes]])])));
  }
  return top;
}

function decodedSource(d: Decoded): TreeSource {
  return {
    details: async (ino: Ino, type: NodeType): Promise<NodeDetails> => {
      const det: NodeDetails = {
        xattrs: (d.xattrs.get(ino) ?? []).slice().sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))),
        chunks: type === 1 ? (d.chunks.get(ino) ?? []).filter((c) => c.slices.length > 0).sort((a, b) => a.indx - b.indx) : [],
      };
      const t = type === 3 ? d.symlinks.get(ino) : undefined;
      if (t) det.symlink = t;
      return det;
    },
    children: async (dir) => (d.edges.get(dir) ?? []).slice().sort((a, b) => Buffer.compare(a.name, b.name)),
    attrs: async (inos) => inos.map((i) => d.attrs.get(i)),
    acl: async (id) => {
      const raw = id === 0 ? undefined : d.acls.get(id);
      return raw ? decodeAclRule(raw) : undefined;
    },
  };
}

/**
 * Sustained nodes (open but unlinked: a node and data, no entry) and the chunks of deleted files
 * awaiting cleanup are in the binary dump but have no place in the JSON tree: store them as the
 * dump has them, with their slices referenced, so the cleaner frees their data later.
 */
async function writeUnlinked(store: EngineStore, d: Decoded): Promise<void> {
  const inTree = new Set<Ino>();
  const mark = (dir: Ino) => {
    for (const e of d.edges.get(dir) ?? []) {
      if (inTree.has(e.ino)) continue;
      inTree.add(e.ino);
      mark(e.ino);
    }
  };
  inTree.add(ROOT_INODE);
  inTree.add(TRASH_INODE);
  mark(ROOT_INODE);
  mark(TRASH_INODE);
  const extra = new Set<Ino>();
  for (const s of d.sustained) for (const i of s.inodes) if (!inTree.has(i)) extra.add(i);
  for (const f of d.delFiles) if (!inTree.has(f.inode)) extra.add(f.inode);
  if (extra.size === 0) return;
  const treeSlices = new Set<number>();
  for (const ino of inTree) for (const c of d.chunks.get(ino) ?? []) for (const s of c.slices) treeSlices.add(s.id);
  const extraRefs = new Map<number, { size: number; count: number }>();
  await store.txn(async (tx) => {
    for (const ino of extra) {
      const a = d.attrs.get(ino);
      if (a) {
        tx.setAttr(ino, { ...a, nlink: 0 });
        for (const x of d.xattrs.get(ino) ?? []) tx.setXattr(ino, x.name, x.value);
      }
      for (const c of d.chunks.get(ino) ?? []) {
        if (c.slices.length === 0) continue;
        tx.setChunk(ino, c.indx, c.slices);
        for (const s of c.slices) {
          if (s.id === 0) continue;
          const r = extraRefs.get(s.id);
          if (r) r.count++;
          else extraRefs.set(s.id, { size: s.size, count: 1 });
        }
      }
    }
    // The JSON loader counted the tree's references; add these, creating refs the tree lacked.
    for (const [id, r] of extraRefs) {
      if (treeSlices.has(id)) await tx.addSliceRef(id, r.size, r.count);
      else {
        tx.newSliceRef(id, r.size);
        if (r.count > 1) await tx.addSliceRef(id, r.size, r.count - 1);
      }
    }
    for (const s of d.sustained) for (const i of s.inodes) if (extra.has(i) && d.attrs.has(i)) tx.addSustained(s.sid, i);
  });
  // The loader recomputed the counters from the tree alone; these nodes still hold inodes,
  // space (until their files are closed) and slice ids.
  const c = await readCounters(store);
  for (const ino of extra) {
    const a = d.attrs.get(ino);
    if (a) {
      c.usedInodes += 1;
      c.usedSpace += align4K(a.type === 1 ? a.length : 0);
    }
    if (ino < TRASH_INODE) c.nextInode = Math.max(c.nextInode, Number(ino) + 1);
  }
  for (const id of extraRefs.keys()) c.nextChunk = Math.max(c.nextChunk, id + 1);
  // A sustained inode belongs to a session: give each one a session row (already expired, as its
  // client is gone), so the stale-session cleaner releases the file, and keep new ids above it.
  const sids = new Set(d.sustained.filter((s) => s.inodes.some((i) => extra.has(i))).map((s) => s.sid));
  for (const sid of sids) {
    await store.setSession(sid, 0, undefined);
    c.nextSession = Math.max(c.nextSession, sid);
  }
  await writeCounters(store, c);
}
