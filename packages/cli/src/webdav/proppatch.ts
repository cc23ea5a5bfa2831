import type { DavRequest } from './context.js';
import { propKey, readDeadProps, writeDeadProps } from './deadprops.js';
import { hrefOf } from './paths.js';
import { isLiveProp } from './props.js';
import { readBody, send } from './respond.js';
import { HttpError, statusLine } from './status.js';
import { checkLocks } from './write.js';
import { DAV, XML_HEADER, davBody, esc, propTag, type XmlElement } from './xml.js';

/** JuiceFS's answer to PROPPATCH without --enable-proppatch (501, same words). */
export const PROPPATCH_DISABLED = 'The PROPPATCH method is not currently enabled,please add the --enable-proppatch parameter and run it again';

interface Patch {
  remove: boolean;
  prop: XmlElement;
}

function parsePatches(body: string): Patch[] {
  const root = davBody(body, 'PROPPATCH', 'propertyupdate');
  const out: Patch[] = [];
  for (const op of root.children) {
    if (op.ns !== DAV || (op.local !== 'set' && op.local !== 'remove')) continue;
    for (const prop of op.children.filter((c) => c.ns === DAV && c.local === 'prop')) {
      for (const p of prop.children) out.push({ remove: op.local === 'remove', prop: p });
    }
  }
  if (out.length === 0) throw new HttpError(400, 'PROPPATCH names no property');
  return out;
}

/**
 * PROPPATCH with --enable-proppatch: dead properties set and removed in order, all or none
 * (RFC 4918 9.2). Live DAV: properties are protected: naming one fails it with 403 and the
 * rest with 424, nothing changed. Without the flag, 501 as JuiceFS answers.
 */
export async function handleProppatch(r: DavRequest): Promise<void> {
  if (!r.settings.enableProppatch) throw new HttpError(501, PROPPATCH_DISABLED);
  checkLocks(r, r.path, false);
  const patches = parsePatches(await readBody(r.req));
  const fs = r.settings.fs;
  const st = await fs.stat(r.vpath);
  const protectedOnes = patches.filter((p) => isLiveProp(p.prop.ns, p.prop.local));
  const stat = (status: number, ps: Patch[]) =>
    ps.length === 0 ? '' : `<D:propstat><D:prop>${ps.map((p) => propTag(p.prop.ns, p.prop.local)).join('')}</D:prop><D:status>${statusLine(status)}</D:status></D:propstat>`;
  let propstats: string;
  if (protectedOnes.length > 0) {
    propstats = stat(403, protectedOnes) + stat(424, patches.filter((p) => !protectedOnes.includes(p)));
  } else {
    const dead = await readDeadProps(fs, r.vpath);
    for (const p of patches) {
      const key = propKey(p.prop.ns, p.prop.local);
      if (p.remove) dead.delete(key);
      else dead.set(key, { ns: p.prop.ns, local: p.prop.local, inner: p.prop.raw, lang: p.prop.attrs.get('xml:lang') ?? '' });
    }
    await writeDeadProps(fs, r.vpath, dead);
    propstats = stat(200, patches);
  }
  const body = `${XML_HEADER}<D:multistatus xmlns:D="DAV:"><D:response><D:href>${esc(hrefOf(r.segments, st.isDirectory()))}</D:href>${propstats}</D:response></D:multistatus>\n`;
  await send(r.req, r.res, 207, { 'content-type': 'application/xml; charset=utf-8' }, body, r.settings.gzip);
}
