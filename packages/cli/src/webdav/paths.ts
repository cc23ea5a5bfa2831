/**
 * Request URLs to paths of the volume and back. A URL path is percent-decoded segment by
 * segment; "." and ".." segments, NUL and "/" inside a segment are refused, so no request can
 * name anything outside the served directory.
 */

export class BadPath extends Error {}

/** The segments a URL path names (empty for the root); BadPath when it cannot be a volume path. */
export function urlSegments(urlPath: string): string[] {
  const out: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new BadPath(`"${raw}" is not valid percent-encoded UTF-8`);
    }
    if (seg === '.' || seg === '..' || seg.includes('/') || seg.includes('\0')) throw new BadPath(`"${seg}" cannot be a file name`);
    out.push(seg);
  }
  return out;
}

/** The path in the volume for URL `segments` under `root` (the --subdir, "/" by default). */
export function volumePath(root: string, segments: readonly string[]): string {
  const base = root.endsWith('/') ? root : root + '/';
  return base + segments.join('/');
}

/** The href for `segments`, percent-encoded; collections end with "/". */
export function hrefOf(segments: readonly string[], collection: boolean): string {
  const p = '/' + segments.map(encodeURIComponent).join('/');
  return collection && segments.length > 0 ? p + '/' : p;
}

/** The URL path of a Destination header (absolute URL or absolute path); `host` must match when it names one. */
export function destinationPath(header: string, host: string | undefined): { path: string } | { error: 'bad' | 'other-host' } {
  let url: URL;
  try {
    url = new URL(header, `http://${host ?? 'localhost'}`);
  } catch {
    return { error: 'bad' };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(header) && host !== undefined && url.host !== host) return { error: 'other-host' };
  return { path: url.pathname };
}

/**
 * The VFS's virtual files at the root of the volume (and their `.jfs.` names), and the trash.
 * They are for a mount's tools: `.config` holds the format with its secrets and `.control`
 * takes commands, so WebDAV never reaches them (JuiceFS's server, on pkg/fs, does not see them
 * either). Listings already leave them out (hideInternal).
 */
const INTERNAL = /^\.(jfs\.)?(control|accesslog|stats|config|trash)$/;

export function isInternalPath(vpath: string): boolean {
  const first = vpath.split('/').find((s) => s !== '');
  return first !== undefined && INTERNAL.test(first);
}
