/**
 * WebDAV's XML: the DAV: namespace, its elements and property tags. Reading and escaping are
 * shared with the gateway (../xml.ts).
 */
import { escapeXml, type XmlElement } from '../xml.js';

export { escapeXml as esc, parseXml, XmlError, type XmlElement } from '../xml.js';

export const DAV = 'DAV:';

/** The first child named DAV:`local`. */
export function davChild(el: XmlElement, local: string): XmlElement | undefined {
  return el.children.find((c) => c.ns === DAV && c.local === local);
}

/** A property name as an element: DAV: ones with the D: prefix, others with their own namespace declared. */
export function propTag(ns: string, local: string, inner?: string): string {
  const open = ns === DAV ? `D:${local}` : ns === '' ? `${local} xmlns=""` : `X:${local} xmlns:X="${escapeXml(ns)}"`;
  const close = ns === DAV ? `D:${local}` : ns === '' ? local : `X:${local}`;
  return inner === undefined || inner === '' ? `<${open}/>` : `<${open}>${inner}</${close}>`;
}

export const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';
