import { hasCode, type JuiceFS } from '@juicefs/core';

/**
 * Dead properties (PROPPATCH), kept as JuiceFS keeps them: one xattr, `webdav-dead-props`, with
 * the JSON Go's encoding writes for its []localProperty, so the Go server and this one read each
 * other's properties:
 *   [{"name":{"Space":NS,"Local":L},"property":{"XMLName":{"Space":NS,"Local":L},"Lang":"","InnerXML":BASE64}}]
 */
export const DEAD_PROPS_XATTR = 'webdav-dead-props';

export interface DeadProp {
  ns: string;
  local: string;
  /** Inner XML of the property element, as sent. */
  inner: string;
  lang: string;
}

export const propKey = (ns: string, local: string): string => `${ns} ${local}`;

interface GoName {
  Space?: string;
  Local?: string;
}
interface GoLocalProperty {
  name?: GoName;
  property?: { XMLName?: GoName; Lang?: string; InnerXML?: string | null };
}

export async function readDeadProps(fs: JuiceFS, vpath: string): Promise<Map<string, DeadProp>> {
  const out = new Map<string, DeadProp>();
  let raw: Buffer;
  try {
    raw = await fs.getxattr(vpath, DEAD_PROPS_XATTR);
  } catch (err) {
    if (hasCode(err, 'ENODATA')) return out;
    throw err;
  }
  const list = JSON.parse(raw.toString('utf8')) as GoLocalProperty[] | null;
  for (const p of list ?? []) {
    const ns = p.name?.Space ?? '';
    const local = p.name?.Local ?? '';
    if (local === '') continue;
    out.set(propKey(ns, local), { ns, local, inner: Buffer.from(p.property?.InnerXML ?? '', 'base64').toString('utf8'), lang: p.property?.Lang ?? '' });
  }
  return out;
}

export async function writeDeadProps(fs: JuiceFS, vpath: string, props: Map<string, DeadProp>): Promise<void> {
  const list: GoLocalProperty[] = [...props.values()].map((p) => ({
    name: { Space: p.ns, Local: p.local },
    property: { XMLName: { Space: p.ns, Local: p.local }, Lang: p.lang, InnerXML: Buffer.from(p.inner, 'utf8').toString('base64') },
  }));
  await fs.setxattr(vpath, DEAD_PROPS_XATTR, JSON.stringify(list));
}
