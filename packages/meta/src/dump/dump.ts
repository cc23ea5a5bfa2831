import { ROOT_INODE, TRASH_INODE, decodeFormat, encodeFormat, fsError } from '@juicefs/core';
import type { Attr, Ino, NodeType, Slice } from '@juicefs/core';
import type { EngineStore } from '../base/store.js';
import { escapeBytes } from './escape.js';
import type { DumpExtras } from './extras.js';
import { compactJson, indentJson, obj } from './go-json.js';
import type { JsonObject, JsonValue } from './go-json.js';
import { parseJsonLossless } from './json-parse.js';
import type { ParsedJson } from './json-parse.js';
import { aclJson, attrJson, sliceJson } from './model.js';
import type { AclRule } from './model.js';
import { TextSink } from './sink.js';
import { readCounters } from './counters.js';

export interface DumpOptions {
  /** Dump the tree under this directory (default: the root). Trash and user/group quotas only come with the root. */
  root?: Ino;
  /** Keep SecretKey/SessionToken instead of writing "removed". */
  keepSecretKey?: boolean;
  /** Leave the trash out. */
  skipTrash?: boolean;
  extras?: DumpExtras;
  /** Called after each node with the running count (progress bars). */
  onNode?: (nodes: number) => void;
}

const PAGE = 1000;

/** Write the volume's metadata as JuiceFS dump JSON (FORMAT.md 8), streaming the tree. Returns the node count. */
export async function dumpMeta(store: EngineStore, out: NodeJS.WritableStream, options: DumpOptions = {}): Promise<number> {
  const raw = await store.getFormat();
  if (raw === undefined) throw fsError('ENOENT', 'database is not formatted: nothing to dump (run juicefs format first)');
  const root = options.root ?? ROOT_INODE;
  const whole = root === ROOT_INODE;
  const sink = new TextSink(out);
  const header = await buildHeader(store, raw, whole, options);
  // The header is Go's MarshalIndent of the struct without the trees: drop its closing "\n}".
  const text = indentJson(header);
  await sink.write(`${text.slice(0, -2)},`);

  const rootAttr = await store.txn((tx) => tx.getAttr(root));
  if (!rootAttr) throw fsError('ENOENT', `inode ${root} does not exist: nothing to dump`);
  if (rootAttr.type !== 2) throw fsError('ENOTDIR', `inode ${root} is not a directory: dump takes a directory`);
  const trash = whole && !options.skipTrash ? await store.txn((tx) => tx.getAttr(TRASH_INODE)) : undefined;
  const source = storeSource(store, options.extras);
  return writeTrees(sink, source, { ino: root, attr: rootAttr }, trash ? { ino: TRASH_INODE, attr: trash } : undefined, options.onNode);
}

/**
 * Where the tree writer reads nodes from: the engine (dump), or a decoded binary backup (load
 * --binary feeds the JSON loader through the same writer).
 */
export interface TreeSource {
  details(ino: Ino, type: NodeType): Promise<NodeDetails>;
  /** Children sorted by name bytes. */
  children(dir: Ino): Promise<Array<{ name: Buffer; ino: Ino }>>;
  attrs(inos: readonly Ino[]): Promise<Array<Attr | undefined>>;
  acl(id: number): Promise<AclRule | undefined>;
}

/** Write FSTree (and Trash) after a header whose text already ends with "{...,"; closes the document. */
export async function writeTrees(
  sink: TextSink,
  source: TreeSource,
  root: { ino: Ino; attr: Attr },
  trash: { ino: Ino; attr: Attr } | undefined,
  onNode?: (nodes: number) => void,
): Promise<number> {
  let nodes = 0;
  const ctx: WalkContext = { source, sink, counted: () => { nodes++; onNode?.(nodes); } };
  await writeNode(ctx, 'FSTree', root.ino, root.attr, 1);
  if (trash) {
    await sink.write(',');
    await writeNode(ctx, 'Trash', trash.ino, trash.attr, 1);
  }
  await sink.write('\n}\n');
  await sink.flush();
  return nodes;
}

function storeSource(store: EngineStore, extras: DumpExtras | undefined): TreeSource {
  const aclCache = new Map<number, AclRule | undefined>();
  return {
    details: (ino, type) => readDetails(store, ino, type),
    children: (dir) => listAll(store, dir),
    attrs: (inos) => store.txn((tx) => tx.getAttrs(inos)),
    acl: async (id) => {
      if (id === 0 || !extras) return undefined;
      if (!aclCache.has(id)) aclCache.set(id, await extras.getAclRule(id));
      return aclCache.get(id);
    },
  };
}

async function buildHeader(store: EngineStore, raw: string, whole: boolean, options: DumpOptions): Promise<JsonObject> {
  const format = decodeFormat(raw);
  if (!options.keepSecretKey) {
    if (format.SecretKey) format.SecretKey = 'removed';
    if (format.SessionToken) format.SessionToken = 'removed';
  }
  const setting = toOrdered(parseJsonLossless(encodeFormat(format)));
  const c = await readCounters(store);
  const counters = obj([
    ['usedSpace', c.usedSpace], ['usedInodes', c.usedInodes], ['nextInodes', c.nextInode],
    ['nextChunk', c.nextChunk], ['nextSession', c.nextSession], ['nextTrash', c.nextTrash],
    ...(c.lastChangelog > 0 ? [['lastChangelog', c.lastChangelog] as const] : []),
  ]);
  const sustained: JsonValue[] = [];
  for (const s of await store.listSessions()) {
    const inodes = await store.listSustained(s.sid);
    if (inodes.length > 0) sustained.push(obj([['sid', s.sid], ['inodes', inodes]]));
  }
  const delFiles = (await store.listDelFiles(Number.MAX_SAFE_INTEGER)).map((d) =>
    obj([['inode', d.ino], ['length', d.length], ['expire', d.expire]]),
  );
  const top = obj([['Setting', setting], ['Counters', counters], ['Sustained', sustained], ['DelFiles', delFiles]]);
  const extras = options.extras;
  if (extras) {
    // Go marshals these maps with keys sorted as text.
    const byText = <T>(list: Array<[string, T]>) => list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const quota = (l: { maxSpace: number; maxInodes: number }) => obj([['maxSpace', l.maxSpace], ['maxInodes', l.maxInodes]]);
    const dirQ = byText((await extras.listDirQuotas()).map((q) => [q.ino.toString(), quota(q.limits)] as [string, JsonObject]));
    if (dirQ.length > 0) top.set('Quotas', new Map(dirQ));
    if (whole) {
      for (const [kind, key] of [['user', 'UserQuotas'], ['group', 'GroupQuotas']] as const) {
        const list = (await extras.listUserGroupQuotas(kind))
          .filter((q) => !(q.limits.maxSpace === -1 && q.limits.maxInodes === -1))
          .map((q) => [String(q.id), quota(q.limits)] as [string, JsonObject]);
        if (list.length > 0) top.set(key, new Map(byText(list)));
      }
    }
  }
  return top;
}

/** Parsed JSON to an insertion-ordered JsonObject tree (numeric keys such as tier ids sorted as Go does). */
export function toOrdered(v: ParsedJson): JsonValue {
  if (Array.isArray(v)) return v.map(toOrdered);
  if (v !== null && typeof v === 'object') {
    const m: JsonObject = new Map();
    for (const [k, x] of Object.entries(v)) if (x !== undefined) m.set(k, toOrdered(x));
    return m;
  }
  return v;
}

interface WalkContext {
  source: TreeSource;
  sink: TextSink;
  counted: () => void;
}

export interface NodeDetails {
  symlink?: Buffer;
  xattrs: Array<{ name: string; value: Buffer }>;
  chunks: Array<{ indx: number; slices: Slice[] }>;
}

async function readDetails(store: EngineStore, ino: Ino, type: NodeType): Promise<NodeDetails> {
  return store.txn(async (tx) => {
    const d: NodeDetails = { xattrs: [], chunks: [] };
    if (type === 3) {
      const t = await tx.getSymlink(ino);
      if (t) d.symlink = t;
    }
    const names = (await tx.listXattr(ino)).slice().sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const value = await tx.getXattr(ino, name);
      if (value !== undefined) d.xattrs.push({ name, value });
    }
    if (type === 1) {
      const indexes = (await tx.listChunks(ino)).slice().sort((a, b) => a - b);
      for (const indx of indexes) {
        const slices = await tx.getChunk(ino, indx);
        if (slices.length > 0) d.chunks.push({ indx, slices });
      }
    }
    return d;
  });
}

/** One node as the Go dumper hand-streams it: name line, one member per line, children sorted by name bytes. */
async function writeNode(ctx: WalkContext, name: string, ino: Ino, attr: Attr, depth: number): Promise<void> {
  const prefix = '  '.repeat(depth);
  const field = `${prefix}  `;
  const d = await ctx.source.details(ino, attr.type);
  let s = `\n${prefix}"${name}": {\n${field}"attr": ${attrJson(ino, attr)}`;
  if (d.symlink && d.symlink.length > 0 && attr.type !== 2) s += `,\n${field}"symlink": "${escapeBytes(d.symlink)}"`;
  if (d.xattrs.length > 0) {
    const list = d.xattrs.map((x) => obj([['name', x.name], ['value', escapeBytes(x.value)]]));
    s += `,\n${field}"xattrs": ${compactJson(list)}`;
  }
  const access = await ctx.source.acl(attr.accessACL);
  if (access) s += `,\n${field}"posix_acl_access": ${aclJson(access)}`;
  const dflt = await ctx.source.acl(attr.defaultACL);
  if (dflt) s += `,\n${field}"posix_acl_default": ${aclJson(dflt)}`;
  if (attr.type !== 2) {
    const chunks = d.chunks.map((c) => obj([['index', c.indx], ['slices', c.slices.map(sliceJson)]]));
    if (chunks.length === 1) s += `,\n${field}"chunks": ${compactJson(chunks)}`;
    else if (chunks.length > 1) {
      s += `,\n${field}"chunks": [${chunks.map((c) => `\n${field}  ${compactJson(c)}`).join(',')}\n${field}]`;
    }
    await ctx.sink.write(`${s}\n${prefix}}`);
    ctx.counted();
    return;
  }
  await ctx.sink.write(`${s},\n${field}"entries": {`);
  ctx.counted();
  const children = await ctx.source.children(ino);
  let first = true;
  for (let i = 0; i < children.length; i += PAGE) {
    const page = children.slice(i, i + PAGE);
    const attrs = await ctx.source.attrs(page.map((c) => c.ino));
    for (let k = 0; k < page.length; k++) {
      const child = page[k]!;
      const a = attrs[k];
      if (!a) continue; // an entry whose node is gone (a crash mid-unlink); fsck reports those
      if (!first) await ctx.sink.write(',');
      first = false;
      await writeNode(ctx, escapeBytes(child.name), child.ino, a, depth + 2);
    }
  }
  await ctx.sink.write(`\n${field}}\n${prefix}}`);
}

/** Every entry of `dir`, page by page, sorted by name bytes (the order both dump formats write). */
export async function listAll(store: EngineStore, dir: Ino): Promise<Array<{ name: Buffer; ino: Ino }>> {
  const all: Array<{ name: Buffer; ino: Ino }> = [];
  let cursor: string | undefined;
  do {
    const page = await store.txn((tx) => tx.listEntries(dir, cursor, PAGE));
    for (const e of page.entries) all.push({ name: e.name, ino: e.ino });
    cursor = page.cursor;
  } while (cursor !== undefined);
  return all.sort((a, b) => Buffer.compare(a.name, b.name));
}

