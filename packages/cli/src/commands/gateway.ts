import type { AddressInfo } from 'node:net';
import { fsError } from '@juicefs/core';
import type { Argv, Options } from 'yargs';
import { isValidBucketName, MINIO_SYS_DIR } from '../gateway/layout.js';
import { ObjectStore } from '../gateway/objects.js';
import { createGatewayServer, type GatewayOptions } from '../gateway/server.js';
import { startStaleSweeper } from '../gateway/stale-files.js';
import type { Credentials } from '../gateway/sigv4.js';
import { gatewayTls } from '../gateway/tls.js';
import { log } from '../log.js';
import { redactUrl } from '../volume.js';
import { announceListening, backgroundFlags, checkServiceArgs, openServiceVolume, parseListenAddress, SERVICE_CLIENT_FLAGS, startServiceInBackground, untilStopSignal } from '../volume-service.js';

/**
 * `juicefs gateway META-URL ADDRESS`: an S3-compatible server over the volume, as JuiceFS's
 * MinIO-based gateway: the bucket is the volume (or, with --multi-buckets, each top directory),
 * objects are files and "dir/" objects directories, laid out so the Go gateway and this one can
 * take turns on the same volume (see gateway/layout.ts).
 */

/** MINIO_ROOT_USER / MINIO_ROOT_PASSWORD (or the older MINIO_ACCESS_KEY / MINIO_SECRET_KEY), checked as JuiceFS checks them. */
export function gatewayCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const accessKey = env['MINIO_ROOT_USER'] || env['MINIO_ACCESS_KEY'] || '';
  const secretKey = env['MINIO_ROOT_PASSWORD'] || env['MINIO_SECRET_KEY'] || '';
  if (accessKey.length < 3) throw fsError('EINVAL', 'MINIO_ROOT_USER should be specified as an environment variable with at least 3 characters (the access key clients sign with)');
  if (secretKey.length < 8) throw fsError('EINVAL', 'MINIO_ROOT_PASSWORD should be specified as an environment variable with at least 8 characters (the secret key clients sign with)');
  return { accessKey, secretKey };
}

function parseUmask(text: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) throw fsError('EINVAL', `invalid umask "${text}": give it in octal, e.g. 022`);
  return parseInt(text, 8);
}

export const GATEWAY_FLAGS = {
  'multi-buckets': { type: 'boolean', default: false, describe: 'use the top-level directories as buckets' },
  'bucket-name': { type: 'string', describe: 'the bucket\'s name instead of the volume\'s (ignored with --multi-buckets)' },
  'keep-etag': { type: 'boolean', default: false, describe: 'keep the ETag of uploaded objects (in the s3-etag xattr) and answer it on reads' },
  'umask': { type: 'string', default: '022', describe: 'umask for new files and directories, in octal' },
  'object-tag': { type: 'boolean', default: false, describe: 'enable the object tagging API (tags in the s3-tags xattr)' },
  'object-meta': { type: 'boolean', default: false, describe: 'keep Content-Type, Cache-Control, Content-Disposition and x-amz-meta-* (in the s3-meta xattr)' },
  'head-dir': { type: 'boolean', default: false, describe: 'allow HEAD (and GET) on any directory' },
  'hide-dir-object': { type: 'boolean', default: false, describe: 'leave the directories made by PUT "dir/" out of listings' },
  'domain': { type: 'string', describe: 'domain(s) for virtual-host-style requests (BUCKET.DOMAIN), comma separated' },
  'no-banner': { type: 'boolean', default: false, describe: 'accepted for JuiceFS command lines (this gateway prints one line on start)' },
  'mountpoint': { type: 'string', default: 's3gateway', describe: 'the name this gateway\'s session shows as its mount point (juicefs status)' },
  'certs-dir': { type: 'string', describe: 'directory of public.crt and private.key for HTTPS, as MinIO\'s (default ~/.minio/certs, where JuiceFS\'s gateway finds them too; neither file: plain HTTP)' },
  ...backgroundFlags('gateway'),
  ...SERVICE_CLIENT_FLAGS,
} as const satisfies Record<string, Options>;

export function gatewayCommand(y: Argv): Argv {
  return y.command(
    'gateway <META-URL> <ADDRESS>',
    'Start an S3-compatible gateway (access key and secret from MINIO_ROOT_USER and MINIO_ROOT_PASSWORD)',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .positional('ADDRESS', { type: 'string', demandOption: true, describe: 'HOST:PORT to listen on (e.g. localhost:9000)' })
        .options(GATEWAY_FLAGS),
    async (a) => {
      // Everything the command line decides is checked before the volume is opened.
      const credentials = gatewayCredentials();
      const address = parseListenAddress(String(a.ADDRESS));
      const umask = parseUmask(String(a.umask));
      const bucketName = a['bucket-name'];
      if (bucketName !== undefined && (bucketName.startsWith(MINIO_SYS_DIR) || !isValidBucketName(bucketName))) {
        throw fsError('EINVAL', `invalid bucket name "${bucketName}": 3 to 63 lowercase letters, digits, dots and hyphens`);
      }
      const tls = gatewayTls(a['certs-dir']);
      const metaUrl = String(a['META-URL']);
      checkServiceArgs(a);
      if (a.background) return startServiceInBackground('gateway', String(a.log));
      const v = await openServiceVolume(metaUrl, String(a.mountpoint), a, { umask });
      let closed = false;
      const closeVolume = async () => {
        if (closed) return;
        closed = true;
        await v.close();
      };
      try {
        const options: GatewayOptions = {
          bucket: bucketName ?? v.format.Name,
          multiBuckets: a['multi-buckets'], keepEtag: a['keep-etag'], objectTag: a['object-tag'], objectMeta: a['object-meta'],
          headDir: a['head-dir'], hideDirObject: a['hide-dir-object'], readOnly: a['read-only'],
          domains: (a.domain ?? '').split(',').map((d) => d.trim().toLowerCase()).filter((d) => d !== ''),
          credentials,
          tls,
        };
        const server = createGatewayServer(v.fs, options);
        await new Promise<void>((resolve, reject) => {
          server.once('error', (err: NodeJS.ErrnoException) => {
            if (err.code === 'EADDRINUSE') reject(new Error(`EADDRINUSE: address ${a.ADDRESS} is already in use: stop what listens there or pick another port`));
            else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') reject(new Error(`${err.code}: cannot listen on ${a.ADDRESS} (is the host one of this machine's addresses?)`));
            else reject(err);
          });
          server.listen(address.port, address.host, () => resolve());
        });
        const bound = server.address() as AddressInfo;
        const shown = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
        announceListening(`S3 gateway for volume ${v.format.Name} (${redactUrl(metaUrl)}) listening on ${tls ? 'https' : 'http'}://${shown}${tls ? ` (certificate from ${tls.dir})` : ''}, bucket${options.multiBuckets ? 's: top-level directories' : ` ${options.bucket}`}`);
        // As JuiceFS's gateway: what interrupted PUTs and abandoned multipart uploads leave in
        // .sys goes after a week.
        const sweeper = options.readOnly ? undefined : startStaleSweeper(new ObjectStore(v.fs, options));
        const signal = await untilStopSignal();
        log.info(`received ${signal}, closing the gateway`);
        await sweeper?.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Requests still running get a moment to finish before their connections are cut.
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
      } finally {
        await closeVolume();
      }
    },
  );
}
