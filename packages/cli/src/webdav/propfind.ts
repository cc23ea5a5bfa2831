import { Readable } from 'node:stream';
import { JfsStats, NodeType, hasCode } from '@juicefs/core';
import { header, type DavRequest } from './context.js';
import { propKey, readDeadProps, type DeadProp } from './deadprops.js';
import { hrefOf } from './paths.js';
import { LIVE_PROPS, isLiveProp, liveProp, type LiveProp } from './props.js';
import { readBody, send } from './respond.js';
import { HttpError, statusLine } from './status.js';
import { DAV, XML_HEADER, davBody, davChild, esc, propTag } from './xml.js';

/** What a PROPFIND asks for. */
export type PropRequest = { kind: 'allprop' } | { kind: 'propname' } | { kind: 'prop'; names: Array<{ ns: string; local: string }> };

/** The PROPFIND body; an empty one means allprop (RFC 4918 9.1). HttpError(400) when it is not one. */
export function parsePropfind(body: string): PropRequest {
  if (body.trim() === '') return { kind: 'allprop' };
  const root = davBody(body, 'PROPFIND', 'propfind');
  if (davChild(root, 'propname')) return { kind: 'propname' };
  // <include> names properties allprop leaves out; we leave none out, so it adds nothing.
  if (davChild(root, 'allprop')) return { kind: 'allprop' };
  const prop = davChild(root, 'prop');
  if (!prop) throw new HttpError(400, 'DAV:propfind needs prop, allprop or propname');
  return { kind: 'prop', names: prop.children.map((c) => ({ ns: c.ns, local: c.local })) };
}

/** One <D:response> for a node: found properties under 200, asked-for missing ones under 404. */
export async function propResponse(r: DavRequest, segments: string[], vpath: string, st: JfsStats, what: PropRequest): Promise<string> {
  const name = segments[segments.length - 1] ?? '';
  const servedPath = '/' + segments.join('/');
  const locks = r.locks.covering(servedPath);
  const dead: Map<string, DeadProp> = r.settings.enableProppatch ? await readDeadProps(r.settings.fs, vpath).catch(() => new Map<string, DeadProp>()) : new Map<string, DeadProp>();
  const found: string[] = [];
  const missing: string[] = [];
  if (what.kind === 'prop') {
    for (const n of what.names) {
      const v = isLiveProp(n.ns, n.local) ? liveProp(n.local as LiveProp, st, name, locks) : dead.get(propKey(n.ns, n.local))?.inner;
      (v === undefined ? missing : found).push(propTag(n.ns, n.local, v));
    }
  } else {
    for (const p of LIVE_PROPS) {
      const v = liveProp(p, st, name, locks);
      if (v !== undefined) found.push(propTag(DAV, p, what.kind === 'propname' ? undefined : v));
    }
    for (const d of dead.values()) found.push(propTag(d.ns, d.local, what.kind === 'propname' ? undefined : d.inner));
  }
  let out = `<D:response><D:href>${esc(hrefOf(segments, st.isDirectory()))}</D:href>`;
  if (found.length > 0 || missing.length === 0) out += `<D:propstat><D:prop>${found.join('')}</D:prop><D:status>${statusLine(200)}</D:status></D:propstat>`;
  if (missing.length > 0) out += `<D:propstat><D:prop>${missing.join('')}</D:prop><D:status>${statusLine(404)}</D:status></D:propstat>`;
  return out + '</D:response>\n';
}

/** Depth of a PROPFIND: 0, 1 or infinity (the default, as RFC 4918 and Go's server have it). */
export function propfindDepth(h: string | undefined): 0 | 1 | 'infinity' {
  const d = (h ?? 'infinity').trim().toLowerCase();
  if (d === '0') return 0;
  if (d === '1') return 1;
  if (d === 'infinity') return 'infinity';
  throw new HttpError(400, `Depth: ${h} is not 0, 1 or infinity`);
}

/** The stat of a listed entry, from its inode (no path walk); symlinks are shown as what they point to when they resolve. */
async function entryStat(r: DavRequest, vpath: string, ino: bigint, type: NodeType): Promise<JfsStats | undefined> {
  const fs = r.settings.fs;
  try {
    if (type === NodeType.Symlink) return await fs.stat(vpath).catch(() => fs.lstat(vpath));
    return new JfsStats(ino, (await fs.vfs.getattr(fs.ctx, ino)).attr);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined; // removed while we listed
    throw err;
  }
}

/** Responses for what is below a directory: its entries, and with depth infinity theirs too. */
async function* below(r: DavRequest, segments: string[], vpath: string, depth: 1 | 'infinity', what: PropRequest): AsyncGenerator<string> {
  const base = vpath.endsWith('/') ? vpath : vpath + '/';
  for (const e of await r.settings.fs.readdirEntries(vpath)) {
    const child = base + e.name;
    const cst = await entryStat(r, child, e.ino, e.type);
    if (!cst) continue;
    yield await propResponse(r, [...segments, e.name], child, cst, what);
    // Only real directories are descended into: a symlink to a parent cannot loop the walk.
    if (depth === 'infinity' && e.type === NodeType.Directory) yield* below(r, [...segments, e.name], child, depth, what);
  }
}

/** PROPFIND (and GET on a directory, as Go's server answers it): a 207 multistatus, streamed. */
export async function handlePropfind(r: DavRequest, depthDefault?: 0 | 1): Promise<void> {
  const body = r.req.method === 'PROPFIND' ? await readBody(r.req) : '';
  const what = parsePropfind(body);
  const h = header(r, 'depth');
  const depth = h === undefined && depthDefault !== undefined ? depthDefault : propfindDepth(h);
  const st = await r.settings.fs.stat(r.vpath).catch((err: unknown) => (hasCode(err, 'ENOENT') ? r.settings.fs.lstat(r.vpath) : Promise.reject(err)));
  // Stat first, so a missing node is a plain 404 rather than a 207 that breaks off.
  const first = await propResponse(r, r.segments, r.vpath, st, what);
  async function* doc(): AsyncGenerator<string> {
    yield `${XML_HEADER}<D:multistatus xmlns:D="DAV:">\n${first}`;
    if (depth !== 0 && st.isDirectory()) yield* below(r, r.segments, r.vpath, depth, what);
    yield '</D:multistatus>\n';
  }
  await send(r.req, r.res, 207, { 'content-type': 'application/xml; charset=utf-8' }, Readable.from(doc()), r.settings.gzip);
}
