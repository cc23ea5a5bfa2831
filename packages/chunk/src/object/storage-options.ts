import * as path from 'node:path';
import * as os from 'node:os';
import { fsError } from '@juicefs/core';

/** How `juicefs format --storage T --bucket B --access-key A --secret-key S` becomes an OpenDAL operator. */
export interface StorageTarget {
  scheme: string;
  options: Record<string, string>;
  description: string;
  /** Set for S3-style services whose bucket can be created with a signed PUT. */
  s3Bucket?: { endpoint: string; bucket: string; region: string };
}

export interface StorageExtras {
  region?: string;
  sessionToken?: string;
  /** Extra OpenDAL options, passed through as they are. */
  opendal?: Record<string, string>;
  /**
   * For `file`: `native` (default) reads and writes the directory with node:fs; `opendal` uses
   * OpenDAL's fs service (same layout, slower here). Extra `opendal` options imply `opendal`.
   */
  engine?: 'native' | 'opendal';
  /**
   * `--storage-class` (S3's `x-amz-storage-class`) for objects written. Only S3-style storages
   * take it, through OpenDAL's `default_storage_class`; any other type refuses it rather than
   * writing objects in a class nobody asked for.
   */
  storageClass?: string;
}

/** The default `--bucket` for `file` storage, as `juicefs format` picks it. */
export function defaultFileBucket(): string {
  return process.getuid?.() === 0 ? '/var/jfs/' : path.join(os.homedir(), '.juicefs', 'local') + '/';
}

function parseUrl(bucket: string, type: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(bucket) ? bucket : `https://${bucket}`;
  try {
    return new URL(withScheme);
  } catch (err) {
    throw fsError('EINVAL', `--bucket "${bucket}" is not a URL usable with --storage ${type}`, err);
  }
}

/** Splits `http://host:port/bucket` (path style) or `https://bucket.host` (virtual host style). */
function splitBucketUrl(bucket: string, type: string): { endpoint: string; name: string; root: string; pathStyle: boolean } {
  const u = parseUrl(bucket, type);
  const segs = u.pathname.split('/').filter((s) => s !== '');
  if (segs.length > 0) {
    return { endpoint: `${u.protocol}//${u.host}`, name: segs[0] ?? '', root: '/' + segs.slice(1).join('/'), pathStyle: true };
  }
  const dot = u.hostname.indexOf('.');
  if (dot <= 0) throw fsError('EINVAL', `--bucket "${bucket}" names no bucket: use http://host:port/bucket or https://bucket.host`);
  const port = u.port ? `:${u.port}` : '';
  return { endpoint: `${u.protocol}//${u.hostname.slice(dot + 1)}${port}`, name: u.hostname.slice(0, dot), root: '/', pathStyle: false };
}

/** Region from an AWS host such as `s3.eu-west-1.amazonaws.com`. */
function awsRegion(endpoint: string): string | undefined {
  return /s3[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(endpoint)?.[1];
}

/** Storage types whose objects can be given a storage class here (S3's x-amz-storage-class). */
export function takesStorageClass(type: string): boolean {
  const t = type.toLowerCase();
  return t === 's3' || t === 'minio';
}

export function storageTarget(type: string, bucket: string, accessKey = '', secretKey = '', extras: StorageExtras = {}): StorageTarget {
  const t = type.toLowerCase();
  const pass = extras.opendal ?? {};
  const storageClass = extras.storageClass ?? '';
  if (storageClass !== '' && !takesStorageClass(t)) {
    throw fsError(
      'EINVAL',
      `--storage-class ${storageClass}: storage ${type} cannot set a storage class here (only s3 and minio buckets take one, as x-amz-storage-class); leave the flag out`,
    );
  }
  switch (t) {
    case 'file':
    case 'fs': {
      let root = bucket === '' ? defaultFileBucket() : bucket.replace(/^file:\/\//, '');
      root = path.resolve(root);
      return { scheme: 'fs', options: { root, ...pass }, description: `file://${root}/` };
    }
    case 'mem':
    case 'memory':
      return { scheme: 'memory', options: { ...pass }, description: `mem://${bucket}/` };
    case 's3':
    case 'minio': {
      const b = splitBucketUrl(bucket, t);
      const region = extras.region ?? awsRegion(b.endpoint) ?? 'us-east-1';
      const options: Record<string, string> = {
        bucket: b.name,
        endpoint: b.endpoint,
        region,
        root: b.root,
        disable_config_load: 'true',
        disable_ec2_metadata: 'true',
        ...(b.pathStyle ? {} : { enable_virtual_host_style: 'true' }),
        ...(accessKey ? { access_key_id: accessKey } : {}),
        ...(secretKey ? { secret_access_key: secretKey } : {}),
        ...(extras.sessionToken ? { session_token: extras.sessionToken } : {}),
        ...(!accessKey && !secretKey ? { allow_anonymous: 'true' } : {}),
        ...(storageClass !== '' ? { default_storage_class: storageClass } : {}),
        ...pass,
      };
      return { scheme: 's3', options, description: `s3://${b.name}/`, s3Bucket: { endpoint: b.endpoint, bucket: b.name, region } };
    }
    case 'oss':
    case 'cos':
    case 'obs': {
      const b = splitBucketUrl(bucket, t);
      const keys: Record<string, [string, string]> = {
        oss: ['access_key_id', 'access_key_secret'],
        cos: ['secret_id', 'secret_key'],
        obs: ['access_key_id', 'secret_access_key'],
      };
      const [ak, sk] = keys[t] ?? ['access_key_id', 'secret_access_key'];
      const options: Record<string, string> = { bucket: b.name, endpoint: b.endpoint, root: b.root, ...pass };
      if (accessKey) options[ak] = accessKey;
      if (secretKey) options[sk] = secretKey;
      return { scheme: t, options, description: `${t}://${b.name}/` };
    }
    case 'gs':
    case 'gcs': {
      const u = parseUrl(bucket, t);
      const name = u.protocol === 'gs:' ? u.hostname : (u.pathname.split('/').filter(Boolean)[0] ?? u.hostname.split('.')[0] ?? '');
      const options: Record<string, string> = { bucket: name, ...pass };
      if (secretKey) options.credential_path = secretKey;
      return { scheme: 'gcs', options, description: `gs://${name}/` };
    }
    case 'wasb':
    case 'azblob':
    case 'azure': {
      const b = splitBucketUrl(bucket, t);
      const account = accessKey || b.endpoint.replace(/^\w+:\/\//, '').split('.')[0] || '';
      const options: Record<string, string> = { container: b.pathStyle ? b.name : b.name, endpoint: b.endpoint, root: b.root, ...pass };
      if (account) options.account_name = account;
      if (secretKey) options.account_key = secretKey;
      return { scheme: 'azblob', options, description: `wasb://${b.name}/` };
    }
    case 'webdav': {
      const u = parseUrl(bucket, t);
      const options: Record<string, string> = { endpoint: `${u.protocol}//${u.host}`, root: u.pathname || '/', ...pass };
      if (accessKey) options.username = accessKey;
      if (secretKey) options.password = secretKey;
      return { scheme: 'webdav', options, description: `webdav://${u.host}${u.pathname}` };
    }
    case 'swift': {
      const b = splitBucketUrl(bucket, t);
      // http://host/v1/AUTH_account/container: the container is the last path element.
      const u = parseUrl(bucket, t);
      const segs = u.pathname.split('/').filter(Boolean);
      const container = segs.pop() ?? b.name;
      const options: Record<string, string> = { endpoint: `${u.protocol}//${u.host}/${segs.join('/')}`, container, ...pass };
      if (secretKey) options.token = secretKey;
      return { scheme: 'swift', options, description: `swift://${container}/` };
    }
    default:
      throw fsError('EINVAL', `--storage ${type} is not supported: use file, mem, s3, minio, oss, gs, wasb, webdav, cos, obs or swift`);
  }
}
