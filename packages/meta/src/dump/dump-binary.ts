import { ROOT_INODE, TRASH_INODE, align4K, decodeFormat, encodeFormat, fsError } from '@juicefs/core';
import type { Attr, Ino, Slice } from '@juicefs/core';
import type { EngineStore } from '../base/store.js';
import { encodeAttr } from '../codec/attr.js';
import { encodeSlices } from '../codec/slice.js';
import { BackupWriter } from './backup-file.js';
import type { Segment } from './backup-file.js';
import type { Batch, BatchKind, PbChunk, PbEdge, PbNode, PbXattr, PbSymlink } from './backup-pb.js';
import { readCounters } from './counters.js';
import { listAll } from './dump.js';
import type { DumpExtras } from './extras.js';
import { encodeAclRule } from './redis-extras.js';

export interface BinaryDumpOptions {
  keepSecretKey?: boolean;
  extras?: DumpExtras;
  /** Called after each written segment with its name and item count (progress bars, as upstream). */
  onSegment?: (name: string, items: number) => void;
  /** Items per Batch segment (upstream: 10000 on Redis, 100000 on SQL). */
  batch?: number;
  /** Node details read at once within a directory page (upstream's --threads); default 1. */
  threads?: number;
}

const PAGE = 1000;

type Lists = { [K in BatchKind]: Extract<Batch, { kind: K }>['list'] };

/**
 * Write the whole volume as JuiceFS's binary backup (see backup-file.ts). The tree is walked from
 * the root and the trash as the JSON dumper does, and each kind of record is flushed as a Batch
 * segment once `batch` items have gathered, so memory holds one directory listing and a batch per
 * kind, not the volume. Segment kinds interleave, as upstream's Redis dumper does; loaders of
 * either side accept any order. Returns the number of nodes written.
 */
export async function dumpMetaBinary(store: EngineStore, out: NodeJS.WritableStream, options: BinaryDumpOptions = {}): Promise<number> {
  const raw = await store.getFormat();
  if (raw === undefined) throw fsError('ENOENT', 'database is not formatted: nothing to dump (run juicefs format first)');
  const batchSize = options.batch ?? 10000;
  const w = new BackupWriter(out);
  const emit = async (s: Segment) => {
    await w.write(s);
    options.onSegment?.(s.kind, s.kind === 'format' ? 1 : s.list.length);
  };
  const format = decodeFormat(raw);
  if (!options.keepSecretKey) {
    // As upstream's Format.RemoveSecret, which its binary dumper calls (its JSON dumper here
    // keeps the encrypted EncryptKey): the dump is not the place for credentials.
    if (format.SecretKey) format.SecretKey = 'removed';
    if (format.SessionToken) format.SessionToken = 'removed';
    if (format.EncryptKey) format.EncryptKey = 'removed';
  }
  await emit({ kind: 'format', json: encodeFormat(format) });
  const c = await readCounters(store);
  await emit({
    kind: 'counter',
    list: [
      { key: 'usedSpace', value: c.usedSpace }, { key: 'totalInodes', value: c.usedInodes },
      { key: 'nextInode', value: c.nextInode }, { key: 'nextChunk', value: c.nextChunk },
      { key: 'nextSession', value: c.nextSession }, { key: 'nextTrash', value: c.nextTrash },
      ...(c.lastChangelog > 0 ? [{ key: 'lastChangelog', value: c.lastChangelog }] : []),
    ],
  });

  const lists: Lists = {
    node: [], edge: [], chunk: [], sliceRef: [], xattr: [], parent: [], symlink: [],
    sustained: [], delFile: [], stat: [], quota: [], acl: [], counter: [],
  };
  const flush = async (kind: BatchKind, force = false) => {
    const list = lists[kind];
    if (list.length === 0 || (!force && list.length < batchSize)) return;
    lists[kind] = [] as never;
    await emit({ kind, list } as Batch);
  };
  const add = async <K extends BatchKind>(kind: K, item: Lists[K][number]) => {
    (lists[kind] as Array<Lists[K][number]>).push(item);
    await flush(kind);
  };

  const quotas = new Map<Ino, { maxSpace: number; maxInodes: number }>();
  for (const q of (await options.extras?.listDirQuotas()) ?? []) quotas.set(q.ino, q.limits);
  const aclIds = new Set<number>();
  const refs = new Map<number, { size: number; count: number }>();
  // Hard-linked nodes are written once; their (parent, count) pairs go to the parent segment.
  const multiLinked = new Map<Ino, Map<Ino, number>>();
  let nodes = 0;

  const writeNodeRecord = async (ino: Ino, attr: Attr, details?: Promise<Details>) => {
    if (attr.accessACL) aclIds.add(attr.accessACL);
    if (attr.defaultACL) aclIds.add(attr.defaultACL);
    await add('node', { inode: ino, data: encodeAttr(attr) } satisfies PbNode);
    nodes++;
    await writeDetails(ino, await (details ?? readDetails(store, ino, attr)));
  };
  const writeDetails = async (ino: Ino, d: Details) => {
    if (d.symlink) await add('symlink', { inode: ino, target: d.symlink } satisfies PbSymlink);
    for (const x of d.xattrs) await add('xattr', x);
    for (const ch of d.chunks) await add('chunk', ch);
    for (const s of d.slices) {
      if (s.id === 0) continue;
      const r = refs.get(s.id);
      if (r) r.count++;
      else refs.set(s.id, { size: s.size, count: 1 });
    }
  };
  const threads = Math.max(1, Math.floor(options.threads ?? 1));

  /** Depth first; returns the subtree's usage as quotas count it (per link, align4K of file lengths). */
  const walk = async (dir: Ino): Promise<{ space: number; inodes: number }> => {
    const children = await listAll(store, dir);
    const stat = { length: 0, space: 0, inodes: 0 };
    const usage = { space: 0, inodes: 0 };
    for (let i = 0; i < children.length; i += PAGE) {
      const page = children.slice(i, i + PAGE);
      const attrs = await store.txn((tx) => tx.getAttrs(page.map((c) => c.ino)));
      // With --threads, the page's details (xattrs, chunks, symlink) are read that many at a
      // time ahead of writing; records still go out in name order, so the file is the same.
      const details = prefetch(page.map((c, k) => ({ ino: c.ino, attr: attrs[k] })), threads, (ino, a) => readDetails(store, ino, a));
      for (let k = 0; k < page.length; k++) {
        const child = page[k]!;
        const a = attrs[k];
        if (!a) continue; // an entry whose node is gone (a crash mid-unlink); fsck reports those
        await add('edge', { parent: dir, inode: child.ino, name: child.name, type: a.type } satisfies PbEdge);
        const len = a.type === 1 ? a.length : 0;
        stat.length += len;
        stat.space += align4K(len);
        stat.inodes += 1;
        if (a.type !== 2 && a.nlink > 1) {
          const seen = multiLinked.get(child.ino);
          if (seen) {
            seen.set(dir, (seen.get(dir) ?? 0) + 1);
            continue;
          }
          multiLinked.set(child.ino, new Map([[dir, 1]]));
        }
        await writeNodeRecord(child.ino, a, details[k]);
        if (a.type === 2) {
          const sub = await walk(child.ino);
          usage.space += sub.space;
          usage.inodes += sub.inodes;
        }
      }
    }
    usage.space += stat.space;
    usage.inodes += stat.inodes;
    await add('stat', { inode: dir, dataLength: stat.length, usedSpace: stat.space, usedInodes: stat.inodes });
    const q = quotas.get(dir);
    if (q) await add('quota', { inode: dir, maxSpace: q.maxSpace, maxInodes: q.maxInodes, usedSpace: usage.space, usedInodes: usage.inodes });
    return usage;
  };

  for (const top of [ROOT_INODE, TRASH_INODE]) {
    const attr = await store.txn((tx) => tx.getAttr(top));
    if (!attr) {
      if (top === ROOT_INODE) throw fsError('ENOENT', 'the root directory does not exist: nothing to dump');
      continue;
    }
    await writeNodeRecord(top, attr);
    await walk(top);
  }
  for (const [ino, parents] of [...multiLinked].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    let total = 0;
    for (const n of parents.values()) total += n;
    if (total < 2) continue; // upstream lists parents only for inodes with several links
    for (const [parent, cnt] of [...parents].sort((a, b) => (a[0] < b[0] ? -1 : 1))) await add('parent', { inode: ino, parent, cnt });
  }

  // Open-but-unlinked (sustained) files keep their node and data without any entry.
  for (const s of (await store.listSessions()).slice().sort((a, b) => a.sid - b.sid)) {
    const inodes = (await store.listSustained(s.sid)).slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (inodes.length === 0) continue;
    await add('sustained', { sid: s.sid, inodes });
    for (const ino of inodes) {
      const a = await store.txn((tx) => tx.getAttr(ino));
      if (a) await writeNodeRecord(ino, a);
    }
  }
  // Deleted files waiting for their data to be removed: no node, but chunks the cleaner needs.
  for (const d of await store.listDelFiles(Number.MAX_SAFE_INTEGER)) {
    await add('delFile', { inode: d.ino, length: d.length, expire: d.expire });
    await writeDetails(d.ino, await readDetails(store, d.ino, undefined));
  }
  for (const [id, r] of [...refs].sort((a, b) => a[0] - b[0])) {
    if (r.count !== 1) await add('sliceRef', { id, size: r.size, refs: r.count });
  }
  for (const id of [...aclIds].sort((a, b) => a - b)) {
    const rule = await options.extras?.getAclRule(id);
    if (rule) await add('acl', { id, data: encodeAclRule(rule) });
  }
  for (const kind of ['node', 'edge', 'chunk', 'symlink', 'xattr', 'parent', 'sustained', 'delFile', 'sliceRef', 'acl', 'quota', 'stat'] as const) {
    await flush(kind, true);
  }
  await w.finish();
  return nodes;
}

interface Details {
  symlink: Buffer | undefined;
  xattrs: PbXattr[];
  chunks: PbChunk[];
  slices: Slice[];
}

async function readDetails(store: EngineStore, ino: Ino, attr: Attr | undefined): Promise<Details> {
  return store.txn(async (tx) => {
    const symlink = attr?.type === 3 ? await tx.getSymlink(ino) : undefined;
    const xattrs: PbXattr[] = [];
    if (attr) {
      for (const name of (await tx.listXattr(ino)).slice().sort()) {
        const value = await tx.getXattr(ino, name);
        if (value !== undefined) xattrs.push({ inode: ino, name, value });
      }
    }
    const chunks: PbChunk[] = [];
    const slices: Slice[] = [];
    // Deleted files (no attr) keep chunks only.
    if (!attr || attr.type === 1) {
      for (const indx of (await tx.listChunks(ino)).slice().sort((a, b) => a - b)) {
        const s = await tx.getChunk(ino, indx);
        if (s.length > 0) chunks.push({ inode: ino, index: indx, slices: encodeSlices(s) });
        slices.push(...s);
      }
    }
    return { symlink, xattrs, chunks, slices };
  });
}

/**
 * Start `read` for every present node, at most `limit` at once, returning one promise per
 * position (undefined where the node is gone). Rejections surface when the caller awaits them.
 */
function prefetch(
  items: Array<{ ino: Ino; attr: Attr | undefined }>,
  limit: number,
  read: (ino: Ino, attr: Attr) => Promise<Details>,
): Array<Promise<Details> | undefined> {
  const out: Array<Promise<Details> | undefined> = new Array(items.length);
  let running = 0;
  const waiting: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    if (running < limit) { running++; return; }
    await new Promise<void>((r) => waiting.push(r));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  items.forEach((it, k) => {
    const a = it.attr;
    if (!a) return;
    const p = slot().then(() => read(it.ino, a)).finally(release);
    p.catch(() => undefined); // awaited in order by the writer; avoid an unhandled rejection meanwhile
    out[k] = p;
  });
  return out;
}

