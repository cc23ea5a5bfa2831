import type { JfsStats } from '@juicefs/core';
import type { DavLock } from './locks.js';
import { contentTypeOf } from '../mime.js';
import { DAV, esc } from './xml.js';

/**
 * Live properties: what a node's attributes say, in DAV: names. JuiceFS keeps no birth time,
 * so creationdate is the change time (ctime).
 */
export const LIVE_PROPS = ['resourcetype', 'displayname', 'getcontentlength', 'getlastmodified', 'creationdate', 'getetag', 'getcontenttype', 'supportedlock', 'lockdiscovery'] as const;
export type LiveProp = (typeof LIVE_PROPS)[number];

export function isLiveProp(ns: string, local: string): boolean {
  return ns === DAV && (LIVE_PROPS as readonly string[]).includes(local);
}

/** The strong ETag of a file, as Go's webdav makes it: mtime in ns and size, in hex. */
export function etagOf(st: JfsStats): string {
  return `"${st.mtimeNs.toString(16)}${st.size.toString(16)}"`;
}

/** Inner XML of one live property of a node, or undefined when the node has none (files only, e.g.). */
export function liveProp(p: LiveProp, st: JfsStats, name: string, locks: readonly DavLock[]): string | undefined {
  const dir = st.isDirectory();
  switch (p) {
    case 'resourcetype':
      return dir ? '<D:collection/>' : '';
    case 'displayname':
      return esc(name);
    case 'getcontentlength':
      return dir ? undefined : String(st.size);
    case 'getlastmodified':
      return st.mtime.toUTCString();
    case 'creationdate':
      return st.ctime.toISOString().replace(/\.\d{3}Z$/, 'Z');
    case 'getetag':
      return dir ? undefined : esc(etagOf(st));
    case 'getcontenttype':
      return dir ? undefined : esc(contentTypeOf(name));
    case 'supportedlock':
      return '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>';
    case 'lockdiscovery':
      return locks.map(activeLock).join('');
  }
}

/** One <D:activelock> (LOCK answers and the lockdiscovery property). */
export function activeLock(l: DavLock): string {
  return (
    '<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:exclusive/></D:lockscope>' +
    `<D:depth>${l.depth}</D:depth>${l.owner === '' ? '' : `<D:owner>${l.owner}</D:owner>`}<D:timeout>Second-${l.timeout}</D:timeout>` +
    `<D:locktoken><D:href>${esc(l.token)}</D:href></D:locktoken><D:lockroot><D:href>${esc(encodeURI(l.root))}</D:href></D:lockroot></D:activelock>`
  );
}
