import { context, fsError, ROOT_CONTEXT, type Context } from '@juicefs/core';
import type { Argv, Options } from 'yargs';
import { log } from '../log.js';
import { redactUrl } from '../volume.js';
import { openVolumeFs } from '../volume-fs.js';
import { VERSION } from '../version.js';
import { parseListenAddress, startDavServer } from '../webdav/server.js';

const MiB = 1024 * 1024;

/**
 * `juicefs webdav`'s own flags (JuiceFS cmd/webdav.go), and the client flags of JuiceFS's that
 * this in-process client can honour. Others of JuiceFS's (--log, --access-log, --background,
 * the object storage tuning) are not accepted: the command line refuses them by name.
 */
export const WEBDAV_FLAGS = {
  'cert-file': { type: 'string', describe: 'certificate file for HTTPS (with --key-file)' },
  'key-file': { type: 'string', describe: 'key file for HTTPS (with --cert-file)' },
  'gzip': { type: 'boolean', default: false, describe: 'compress responses with gzip for clients that accept it' },
  'disallowList': { type: 'boolean', default: false, describe: 'refuse GET on directories (the listing a browser gets); PROPFIND still lists, as in JuiceFS' },
  'enable-proppatch': { type: 'boolean', default: false, describe: 'support PROPPATCH (dead properties kept in an xattr of the file); without it PROPPATCH answers 501' },
  'threads': { alias: 'p', type: 'number', default: 50, describe: 'removals at once when a directory tree is deleted (max 255)' },
  // Client flags.
  'read-only': { type: 'boolean', default: false, describe: 'serve the volume read-only (every change is 403), without a session' },
  'subdir': { type: 'string', describe: 'serve this directory of the volume as the root (it must exist)' },
  'bucket': { type: 'string', describe: 'use this bucket address instead of the volume\'s (e.g. an internal endpoint of the same bucket)' },
  'cache-dir': { type: 'string', default: 'memory', describe: 'block cache directory; "memory" (the default here) keeps blocks in memory only' },
  'cache-size': { type: 'number', describe: 'cache size in MiB (default 64 for the memory cache, 102400 for a directory)' },
  'buffer-size': { type: 'number', default: 300, describe: 'read/write buffer in MiB' },
  'heartbeat': { type: 'number', default: 12, describe: 'session heartbeat interval, seconds' },
  'attr-cache': { type: 'number', default: 1, describe: 'attribute cache timeout, seconds' },
  'entry-cache': { type: 'number', default: 1, describe: 'file entry cache timeout, seconds' },
  'dir-entry-cache': { type: 'number', default: 1, describe: 'directory entry cache timeout, seconds' },
} as const satisfies Record<string, Options>;

/** Who requests run as: the user running the server, as JuiceFS's does (root may do anything). */
function processContext(): Context {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return ROOT_CONTEXT;
  const gid = process.getgid?.() ?? 0;
  return context(uid, gid, [...new Set([gid, ...(process.getgroups?.() ?? [])])], process.pid);
}

export function webdavCommand(y: Argv): Argv {
  return y.command(
    'webdav META-URL ADDRESS',
    'Start a WebDAV server over the volume (Basic auth when WEBDAV_USER and WEBDAV_PASSWORD are set)',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .positional('ADDRESS', { type: 'string', demandOption: true, describe: 'HOST:PORT to listen on, e.g. localhost:9007' })
        .options(WEBDAV_FLAGS)
        .example('WEBDAV_USER=root WEBDAV_PASSWORD=1234 $0 webdav redis://localhost localhost:9007', ''),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      const address = String(a.ADDRESS);
      const threads = a.threads;
      if (!Number.isInteger(threads) || threads < 1 || threads > 255) throw fsError('EINVAL', `--threads must be a whole number from 1 to 255, got ${threads}`);
      // Before the volume is opened: a typo in the command line should not cost a session.
      parseListenAddress(address);
      if ((a['cert-file'] === undefined) !== (a['key-file'] === undefined)) throw fsError('EINVAL', 'HTTPS needs both --cert-file and --key-file');
      const memory = a['cache-dir'] === 'memory';
      const cacheSize = (a['cache-size'] ?? (memory ? 64 : 102400)) * MiB;
      const subdir = '/' + (a.subdir ?? '').split('/').filter(Boolean).join('/');
      const vol = await openVolumeFs(metaUrl, {
        ctx: processContext(),
        umask: currentUmask(),
        session: { heartbeat: a.heartbeat, readOnly: a['read-only'], info: { Version: VERSION, MountPoint: 'webdav', ProcessID: process.pid } },
        vfs: { readOnly: a['read-only'], hideInternal: true, attrCache: a['attr-cache'], entryCache: a['entry-cache'], dirEntryCache: a['dir-entry-cache'], bufferSize: a['buffer-size'] * MiB },
        cache: { cacheDir: a['cache-dir'], cacheSize, bufferSize: a['buffer-size'] * MiB },
        ...(a.bucket ? { bucket: a.bucket } : {}),
      });
      let server;
      try {
        if (subdir !== '/' && !(await vol.fs.stat(subdir)).isDirectory()) throw fsError('ENOTDIR', `--subdir ${subdir} is not a directory of the volume`);
        server = await startDavServer({
          address, certFile: a['cert-file'], keyFile: a['key-file'], fs: vol.fs, root: subdir,
          username: process.env['WEBDAV_USER'], password: process.env['WEBDAV_PASSWORD'],
          gzip: a.gzip, disallowList: a.disallowList, enableProppatch: a['enable-proppatch'], threads,
        }, { debug: (m) => log.debug(m), warn: (m) => log.warn(m) });
      } catch (err) {
        await vol.close();
        throw err;
      }
      const auth = process.env['WEBDAV_USER'] && process.env['WEBDAV_PASSWORD'] ? ', Basic auth on' : '';
      log.info(`WebDAV listening on ${server.url} (volume ${vol.format.Name}, ${redactUrl(metaUrl)}${subdir !== '/' ? `, ${subdir}` : ''}${a['read-only'] ? ', read-only' : ''}${auth})`);
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      log.info(`${signal}: stopping the WebDAV server`);
      await server.close();
      await vol.close();
      log.info('WebDAV server stopped, session closed');
    },
  );
}

/** The process umask, which JuiceFS's server applies to what it creates. */
function currentUmask(): number {
  const u = process.umask(0);
  process.umask(u);
  return u;
}
