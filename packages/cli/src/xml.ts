/**
 * The XML the servers over a volume read (WebDAV's PROPFIND, PROPPATCH and LOCK bodies; S3's
 * CompleteMultipartUpload, Delete and Tagging) and the escaping their responses need. A small
 * reader that resolves namespaces. It handles no DTDs and no entities beyond the five
 * predefined ones and character references. Clients never need more, and refusing the rest
 * keeps entity-expansion attacks out.
 */

/** An element with its namespace resolved. `raw` is its inner XML as sent (PROPPATCH dead properties keep it). */
export interface XmlElement {
  ns: string;
  local: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
  raw: string;
}

export class XmlError extends Error {}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new XmlError(`unknown entity ${m}`);
    return v;
  });
}

interface Open {
  el: XmlElement;
  scope: Map<string, string>;
  qname: string;
  innerStart: number;
}

/** Parse a document into its root element; XmlError on anything malformed (the caller answers 400). */
export function parseXml(src: string): XmlElement {
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const name = /^[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?/;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    if (text.trim() !== '') {
      const top = stack[stack.length - 1];
      if (!top) throw new XmlError('text outside the root element');
      top.el.text += decodeEntities(text);
    }
    if (lt < 0) break;
    if (src.startsWith('<?', lt)) {
      const end = src.indexOf('?>', lt);
      if (end < 0) throw new XmlError('unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt);
      if (end < 0) throw new XmlError('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', lt)) {
      const end = src.indexOf(']]>', lt);
      const top = stack[stack.length - 1];
      if (end < 0 || !top) throw new XmlError('misplaced CDATA section');
      top.el.text += src.slice(lt + 9, end);
      i = end + 3;
    } else if (src.startsWith('<!', lt)) {
      throw new XmlError('DTDs are not accepted');
    } else if (src.startsWith('</', lt)) {
      const end = src.indexOf('>', lt);
      const qname = src.slice(lt + 2, end).trim();
      const top = stack.pop();
      if (end < 0 || !top || top.qname !== qname) throw new XmlError(`unexpected </${qname}>`);
      top.el.raw = src.slice(top.innerStart, lt);
      i = end + 1;
    } else {
      i = openTag(src, lt, name, stack, (el) => {
        if (root) throw new XmlError('more than one root element');
        root = el;
      });
    }
  }
  if (stack.length > 0) throw new XmlError(`<${stack[stack.length - 1]!.qname}> is not closed`);
  if (!root) throw new XmlError('no root element');
  return root;
}

/** Read one start tag at `lt`, push it (or attach it when self-closing); the index after it. */
function openTag(src: string, lt: number, name: RegExp, stack: Open[], setRoot: (el: XmlElement) => void): number {
  let i = lt + 1;
  const qm = name.exec(src.slice(i));
  if (!qm) throw new XmlError('bad element name');
  const qname = qm[0];
  i += qname.length;
  const rawAttrs = new Map<string, string>();
  const attr = /^\s+([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)\s*=\s*("([^"]*)"|'([^']*)')/;
  for (;;) {
    const m = attr.exec(src.slice(i));
    if (!m) break;
    rawAttrs.set(m[1]!, decodeEntities(m[3] ?? m[4] ?? ''));
    i += m[0].length;
  }
  const close = /^\s*(\/?)>/.exec(src.slice(i));
  if (!close) throw new XmlError(`bad start tag <${qname}`);
  i += close[0].length;
  const parent = stack[stack.length - 1];
  const scope = new Map(parent?.scope ?? [['xml', 'http://www.w3.org/XML/1998/namespace']]);
  const attrs = new Map<string, string>();
  for (const [k, v] of rawAttrs) {
    if (k === 'xmlns') scope.set('', v);
    else if (k.startsWith('xmlns:')) {
      // An empty prefixed declaration is invalid in Namespaces in XML 1.0 (litmus checks it).
      if (v === '') throw new XmlError(`empty namespace for prefix ${k.slice(6)}`);
      scope.set(k.slice(6), v);
    } else attrs.set(k, v);
  }
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const ns = scope.get(prefix);
  if (ns === undefined && prefix !== '') throw new XmlError(`undeclared namespace prefix ${prefix}`);
  const el: XmlElement = { ns: ns ?? '', local: colon < 0 ? qname : qname.slice(colon + 1), attrs, children: [], text: '', raw: '' };
  if (parent) parent.el.children.push(el);
  else if (stack.length === 0) setRoot(el);
  if (close[1] !== '/') stack.push({ el, scope, qname, innerStart: i });
  return i;
}

/** The first child whose local name is `local`, whatever its namespace (S3 bodies may or may not declare one). */
export function childNamed(el: XmlElement, local: string): XmlElement | undefined {
  return el.children.find((c) => c.local === local);
}

/** Every child whose local name is `local`. */
export function childrenNamed(el: XmlElement, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local);
}

/** Text escaped for element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]!};`);
}
