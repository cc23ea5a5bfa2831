/**
 * WebDAV's XML: the DAV: namespace, its elements and property tags. Reading and escaping are
 * shared with the gateway (../xml.ts).
 */
import { escapeXml, parseXml, XmlError, type XmlElement } from '../xml.js';
import { HttpError } from './status.js';

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

/**
 * A request body that must be one DAV:`root` element (PROPFIND, PROPPATCH, LOCK): 400 naming the
 * method when it is not XML, or not that element.
 */
export function davBody(body: string, method: string, root: string): XmlElement {
  let el: XmlElement;
  try {
    el = parseXml(body);
  } catch (err) {
    if (err instanceof XmlError) throw new HttpError(400, `bad ${method} body: ${err.message}`);
    throw err;
  }
  if (el.ns !== DAV || el.local !== root) throw new HttpError(400, `the body is not a DAV:${root} element`);
  return el;
}

export const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';
