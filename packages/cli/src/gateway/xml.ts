/**
 * The XML S3 answers with: a writer of element trees. Request bodies are read with the shared
 * reader (../xml.ts: parseXml, childNamed, childrenNamed).
 */
import { escapeXml } from '../xml.js';

/** A value in an element tree to write: text, a nested element list, or absent (left out). */
export type XmlValue = string | number | boolean | XmlNode[] | undefined;

/** One element: `[name, value]`. Arrays of these keep order and allow repeated names. */
export type XmlNode = readonly [string, XmlValue];

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

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
