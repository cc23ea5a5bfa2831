/**
 * The little XML S3 speaks: a writer for responses and a reader for the two request bodies the
 * gateway parses (CompleteMultipartUpload, Delete) and object tagging. Not a general XML parser:
 * no DTDs, no namespaces beyond ignoring prefixes and xmlns attributes, no processing beyond the
 * five predefined entities and numeric character references. That is all S3 clients send.
 */

/** A value in an element tree to write: text, a nested element list, or absent (left out). */
export type XmlValue = string | number | boolean | XmlNode[] | undefined;

/** One element: `[name, value]`. Arrays of these keep order and allow repeated names. */
export type XmlNode = readonly [string, XmlValue];

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function writeNodes(nodes: readonly XmlNode[]): string {
  let out = '';
  for (const [name, value] of nodes) {
    if (value === undefined) continue;
    out += `<${name}>${Array.isArray(value) ? writeNodes(value) : escapeXml(String(value))}</${name}>`;
  }
  return out;
}

/** A whole document: `<Root xmlns="…S3…">children</Root>` after the XML declaration. */
export function xmlDocument(root: string, children: readonly XmlNode[], namespace = true): string {
  const ns = namespace ? ` xmlns="${S3_NS}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${writeNodes(children)}</${root}>`;
}

/** A parsed element: its local name (prefix dropped), child elements, and its text. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

/** The first child called `name`, or undefined. */
export function child(e: XmlElement, name: string): XmlElement | undefined {
  return e.children.find((c) => c.name === name);
}

/** Every child called `name`. */
export function children(e: XmlElement, name: string): XmlElement[] {
  return e.children.filter((c) => c.name === name);
}

export class XmlSyntaxError extends Error {}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });
}

/** Parse a document into its root element; throws XmlSyntaxError on anything malformed. */
export function parseXml(text: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  // Tags, comments, CDATA, declarations, or runs of text.
  const token = /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    const [, cdata, closing, qname, , selfClosing, chars, stray] = m;
    const top = stack[stack.length - 1];
    if (stray !== undefined) throw new XmlSyntaxError(`stray "<" at offset ${m.index}`);
    if (chars !== undefined || cdata !== undefined) {
      const t = cdata ?? decodeEntities(chars!);
      if (top) top.text += t;
      else if (t.trim() !== '') throw new XmlSyntaxError('text outside the root element');
      continue;
    }
    if (qname === undefined) continue; // comment, declaration
    const name = qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname;
    if (closing === '/') {
      if (!top || top.name !== name) throw new XmlSyntaxError(`</${qname}> closes nothing open`);
      stack.pop();
      continue;
    }
    const e: XmlElement = { name, children: [], text: '' };
    if (top) top.children.push(e);
    else if (root) throw new XmlSyntaxError('more than one root element');
    else root = e;
    if (selfClosing !== '/') stack.push(e);
  }
  if (!root) throw new XmlSyntaxError('no root element');
  if (stack.length > 0) throw new XmlSyntaxError(`<${stack[stack.length - 1]!.name}> is never closed`);
  return root;
}
