import * as path from 'node:path';
import { createStorage, withPrefix } from '@juicefs/chunk';
import { fsError } from '@juicefs/core';
import { JfsTree, metaUrlOf } from './jfs-tree.js';
import { LocalTree } from './local-tree.js';
import { ObjectTree } from './object-tree.js';
import type { SyncTree } from './tree.js';

/** Object stores addressed by bucket name first (path style) by default: the self-hosted kinds. */
const PATH_STYLE = new Set(['minio']);

/**
 * Open SRC or DST of `juicefs sync`, written as JuiceFS writes them:
 * - a local path (`/data/`, `./data`, `file:///data/`);
 * - `jfs://NAME/path`: a directory of a volume whose META-URL is in the environment variable NAME;
 * - `TYPE://[ACCESS_KEY:SECRET_KEY@]BUCKET.ENDPOINT/prefix` or, for minio and endpoints given as
 *   an address with a port, `TYPE://[KEY:SECRET@]HOST:PORT/BUCKET/prefix`.
 * Every one is a directory: what is below it is synced.
 */
export async function openEndpoint(url: string, options: { noHttps: boolean }): Promise<SyncTree> {
  const scheme = /^([a-z][a-z0-9]*):\/\//.exec(url)?.[1];
  if (scheme === undefined) return new LocalTree(path.resolve(url));
  const rest = url.slice(scheme.length + 3);
  if (scheme === 'file') return new LocalTree(path.resolve(rest === '' ? '/' : rest));
  if (scheme === 'jfs') {
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    return JfsTree.open(metaUrlOf(name), slash < 0 ? '/' : rest.slice(slash), `jfs://${rest}`);
  }
  const at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length : rest.indexOf('/'));
  const [accessKey = '', secretKey = ''] = at < 0 ? [] : rest.slice(0, at).split(':').map(decodeURIComponent);
  const location = at < 0 ? rest : rest.slice(at + 1);
  const slash = location.indexOf('/');
  const host = slash < 0 ? location : location.slice(0, slash);
  const segments = (slash < 0 ? '' : location.slice(slash + 1)).split('/').filter((s) => s !== '');
  if (host === '') throw fsError('EINVAL', `${redactEndpoint(url)}: no bucket or endpoint after ${scheme}://`);
  const pathStyle = PATH_STYLE.has(scheme) || /:\d+$/.test(host);
  const protocol = options.noHttps || scheme === 'minio' ? 'http' : 'https';
  const bucketName = pathStyle ? segments.shift() : undefined;
  if (pathStyle && bucketName === undefined) throw fsError('EINVAL', `${redactEndpoint(url)}: give the bucket after the address, e.g. ${scheme}://${host}/BUCKET/`);
  const bucket = pathStyle ? `${protocol}://${host}/${bucketName}` : `${protocol}://${host}`;
  const prefix = segments.length > 0 ? `${segments.join('/')}/` : '';
  const storage = createStorage(scheme, bucket, accessKey, secretKey);
  return new ObjectTree(prefix === '' ? storage : withPrefix(storage, prefix), redactEndpoint(url));
}

/** The URL with its secret key left out, for messages. */
export function redactEndpoint(url: string): string {
  return url.replace(/^([a-z][a-z0-9]*:\/\/)([^:@/]*):([^@/]*)@/, '$1$2:****@');
}
