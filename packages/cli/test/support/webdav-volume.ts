// What the webdav-*.test.ts files share: a SQLite + local-directory volume in a temporary
// directory, opened in this process, with WebDAV servers started over it on 127.0.0.1:0.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mustFormat } from '../tools-volume.js';
import { openVolumeFs, type VolumeFs } from '../../src/volume-fs.js';
import type { DavSettings } from '../../src/webdav/context.js';
import { startDavServer, type DavServer } from '../../src/webdav/server.js';

export interface DavVolume {
  dir: string;
  meta: string;
  /** The volume the servers serve. */
  vol: VolumeFs;
  /** The same volume opened a second time: another session and VFS, to check what reached the engine. */
  other: VolumeFs;
  /** A server over `vol` with these settings (closed in afterAll). */
  serve(settings?: Partial<DavSettings>): Promise<DavServer>;
}

/** Registers the beforeAll that formats and opens the volume and the afterAll that closes everything. */
export function davVolume(prefix: string): DavVolume {
  const servers: DavServer[] = [];
  const v = {
    dir: '',
    meta: '',
    serve: async (settings: Partial<DavSettings> = {}) => {
      const s = await startDavServer(
        { address: '127.0.0.1:0', fs: v.vol.fs, root: '/', gzip: false, disallowList: false, enableProppatch: false, threads: 4, ...settings },
        { debug: () => undefined, warn: (m) => process.stderr.write(`${m}\n`) },
      );
      servers.push(s);
      return s;
    },
  } as DavVolume;
  beforeAll(async () => {
    v.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    v.meta = `sqlite3://${v.dir}/meta.db`;
    mustFormat(v.meta, 'davvol', path.join(v.dir, 'bucket'), '--trash-days', '0');
    v.vol = await openVolumeFs(v.meta, { vfs: { hideInternal: true } });
    // No caches: it must see at once what the server did through the other session.
    v.other = await openVolumeFs(v.meta, { vfs: { attrCache: 0, entryCache: 0, dirEntryCache: 0 } });
  }, 60000);
  afterAll(async () => {
    for (const s of servers) await s.close(0);
    await v.other?.close();
    await v.vol?.close();
    fs.rmSync(v.dir, { recursive: true, force: true });
  });
  return v;
}

/** fetch with a method and headers, the body read as text. */
export async function dav(url: string, method: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<{ status: number; headers: Headers; text: string }> {
  const r = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

/** The <D:response> elements of a multistatus body, as href → the response's XML. */
export function responses(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<D:response><D:href>([^<]*)<\/D:href>([\s\S]*?)<\/D:response>/g)) out.set(m[1]!, m[2]!);
  return out;
}
