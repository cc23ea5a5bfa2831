import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JuiceFS } from '@juicefs/core';
import type { LockManager } from './locks.js';

/** What the server serves and how: the settings of `juicefs webdav`. */
export interface DavSettings {
  /** The path API over the volume. */
  fs: JuiceFS;
  /** The volume directory served as "/" (--subdir), "/" by default. */
  root: string;
  /** Basic auth, required when both are set (WEBDAV_USER / WEBDAV_PASSWORD, as JuiceFS). */
  username?: string | undefined;
  password?: string | undefined;
  /** --gzip: compress responses for clients that accept it. */
  gzip: boolean;
  /** --disallowList: GET on a directory is refused (PROPFIND still lists, as in JuiceFS). */
  disallowList: boolean;
  /** --enable-proppatch: PROPPATCH keeps dead properties (in an xattr); off, it answers 501. */
  enableProppatch: boolean;
  /** --threads: removals at once when a directory tree is deleted or overwritten. */
  threads: number;
}

/** One request, resolved: its served path ("/a/b"), the segments of it, and the volume path. */
export interface DavRequest {
  req: IncomingMessage;
  res: ServerResponse;
  settings: DavSettings;
  locks: LockManager;
  segments: string[];
  /** The served path, "/" for the root; lock roots and hrefs are made of it. */
  path: string;
  /** The path in the volume (under `settings.root`). */
  vpath: string;
}

export function header(r: DavRequest, name: string): string | undefined {
  const v = r.req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}
