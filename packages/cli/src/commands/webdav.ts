import { fsError } from '@juicefs/core';
import type { Argv, Options } from 'yargs';
import { log } from '../log.js';
import { redactUrl } from '../volume.js';
import { announceListening, backgroundFlags, checkServiceArgs, openServiceVolume, parseListenAddress, SERVICE_CLIENT_FLAGS, startServiceInBackground, untilStopSignal } from '../volume-service.js';
import { startDavServer } from '../webdav/server.js';

/** `juicefs webdav`'s own flags (JuiceFS cmd/webdav.go), and the client flags servers share. */
export const WEBDAV_FLAGS = {
  'cert-file': { type: 'string', describe: 'certificate file for HTTPS (with --key-file)' },
  'key-file': { type: 'string', describe: 'key file for HTTPS (with --cert-file)' },
  'gzip': { type: 'boolean', default: false, describe: 'compress responses with gzip for clients that accept it' },
  'disallowList': { type: 'boolean', default: false, describe: 'refuse GET on directories (the listing a browser gets); PROPFIND still lists, as in JuiceFS' },
  'enable-proppatch': { type: 'boolean', default: false, describe: 'support PROPPATCH (dead properties kept in an xattr of the file); without it PROPPATCH answers 501' },
  'threads': { alias: 'p', type: 'number', default: 50, describe: 'removals at once when a directory tree is deleted (max 255)' },
  ...backgroundFlags('webdav'),
  ...SERVICE_CLIENT_FLAGS,
} as const satisfies Record<string, Options>;

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
      checkServiceArgs(a);
      if (a.background) return startServiceInBackground('webdav', String(a.log));
      const subdir = '/' + (a.subdir ?? '').split('/').filter(Boolean).join('/');
      const vol = await openServiceVolume(metaUrl, 'webdav', a);
      let server;
      try {
        server = await startDavServer({
          address, certFile: a['cert-file'], keyFile: a['key-file'], fs: vol.fs, root: '/',
          username: process.env['WEBDAV_USER'], password: process.env['WEBDAV_PASSWORD'],
          gzip: a.gzip, disallowList: a.disallowList, enableProppatch: a['enable-proppatch'], threads,
        }, { debug: (m) => log.debug(m), warn: (m) => log.warn(m) });
      } catch (err) {
        await vol.close();
        throw err;
      }
      const auth = process.env['WEBDAV_USER'] && process.env['WEBDAV_PASSWORD'] ? ', Basic auth on' : '';
      announceListening(`WebDAV listening on ${server.url} (volume ${vol.format.Name}, ${redactUrl(metaUrl)}${subdir !== '/' ? `, ${subdir}` : ''}${a['read-only'] ? ', read-only' : ''}${auth})`);
      const signal = await untilStopSignal();
      log.info(`${signal}: stopping the WebDAV server`);
      await server.close();
      await vol.close();
      log.info('WebDAV server stopped, session closed');
    },
  );
}
