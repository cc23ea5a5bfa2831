import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { JuiceFS } from '@juicefs/core';
import { log } from '../log.js';
import * as bucketOps from './bucket-handlers.js';
import { fsErrorToS3, s3, S3Error } from './errors.js';
import { sendError, type S3Request } from './http.js';
import type { GatewayConfig } from './layout.js';
import { Multipart } from './multipart.js';
import * as objectOps from './object-handlers.js';
import { ObjectStore } from './objects.js';
import { queryPairs, verifyRequest, type Credentials } from './sigv4.js';
import type { GatewayTls } from './tls.js';

export interface GatewayOptions extends GatewayConfig {
  credentials: Credentials;
  /** --domain: hosts `BUCKET.DOMAIN` name the bucket (virtual-host style); path style always works. */
  domains: string[];
  /** Serve HTTPS with this certificate (gatewayTls), plain HTTP without. */
  tls?: GatewayTls | undefined;
}

/** Query parameters that make a request something other than a plain object or bucket call. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl', 'policy', 'cors', 'lifecycle', 'versioning', 'versions', 'website', 'logging', 'notification', 'replication', 'encryption',
  'object-lock', 'retention', 'legal-hold', 'restore', 'select', 'requestPayment', 'accelerate', 'analytics', 'inventory', 'metrics',
  'ownershipControls', 'publicAccessBlock', 'intelligent-tiering', 'torrent', 'attributes',
];

/** Which operation a request is; undefined for one the gateway does not serve. */
type Handler = (r: S3Request) => Promise<void>;

function route(r: S3Request, store: ObjectStore, multipart: Multipart, cfg: GatewayOptions): Handler | undefined {
  const q = r.query;
  const m = r.method;
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((s) => q.has(s));
  if (unsupported !== undefined) return async () => {
    throw s3.notImplemented(`?${unsupported}`);
  };
  const writes = m === 'PUT' || m === 'POST' || m === 'DELETE';
  if (writes && cfg.readOnly) return async () => {
    throw s3.accessDenied('Access Denied. (the gateway was started with --read-only)');
  };
  if (r.bucket === '') return m === 'GET' ? () => bucketOps.listBuckets(r, store) : undefined;
  if (r.key === '') {
    if (m === 'GET' && q.has('location')) return () => bucketOps.bucketLocation(r, store);
    if (m === 'GET' && q.has('uploads')) return () => bucketOps.listUploads(r, multipart);
    if (m === 'GET' && q.get('list-type') === '2') return () => bucketOps.listObjectsV2(r, store);
    if (m === 'GET') return () => bucketOps.listObjectsV1(r, store);
    if (m === 'HEAD') return () => bucketOps.headBucket(r, store);
    if (m === 'PUT' && q.size === 0) return () => bucketOps.createBucket(r, store);
    if (m === 'DELETE' && q.size === 0) return () => bucketOps.deleteBucket(r, store);
    if (m === 'POST' && q.has('delete')) return () => bucketOps.deleteObjects(r, store);
    return undefined;
  }
  if (q.has('tagging')) {
    if (!cfg.objectTag) return async () => {
      throw s3.notImplemented('object tagging (start the gateway with --object-tag)');
    };
    if (m === 'GET') return () => objectOps.getTagging(r, store);
    if (m === 'PUT') return () => objectOps.putTagging(r, store);
    if (m === 'DELETE') return () => objectOps.deleteTagging(r, store);
    return undefined;
  }
  if (q.has('uploadId')) {
    if (m === 'PUT' && q.has('partNumber')) return () => objectOps.uploadPart(r, store, multipart);
    if (m === 'GET') return () => objectOps.listParts(r, multipart);
    if (m === 'POST') return () => objectOps.completeUpload(r, multipart);
    if (m === 'DELETE') return () => objectOps.abortUpload(r, multipart);
    return undefined;
  }
  if (m === 'POST' && q.has('uploads')) return () => objectOps.createUpload(r, multipart);
  if (m === 'GET' || m === 'HEAD') return () => objectOps.getObject(r, store);
  if (m === 'PUT') return () => (r.req.headers['x-amz-copy-source'] ? objectOps.copyObject(r, store) : objectOps.putObject(r, store));
  if (m === 'DELETE') return () => objectOps.deleteObject(r, store);
  return undefined;
}

function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw s3.invalidArgument(`the request path "${p}" is not valid percent-encoding`);
  }
}

/** Bucket and key from the Host (virtual-host style under a --domain) or the path. */
function target(req: IncomingMessage, path: string, domains: string[]): { bucket: string; key: string } {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  for (const d of domains) {
    if (host.endsWith(`.${d}`)) return { bucket: host.slice(0, -d.length - 1), key: decodePath(path.replace(/^\//, '')) };
  }
  const rest = path.replace(/^\//, '');
  const slash = rest.indexOf('/');
  if (slash < 0) return { bucket: decodePath(rest), key: '' };
  return { bucket: decodePath(rest.slice(0, slash)), key: decodePath(rest.slice(slash + 1)) };
}

/**
 * The S3 server: every request is signature-checked (SigV4 header or presigned query) against
 * the one access key, routed by method, bucket, key and sub-resource, and any failure answered as
 * an S3 XML error. `/minio/health/live` and `/minio/health/ready` answer without credentials,
 * as MinIO's do, for load balancers.
 */
export function createGatewayServer(fs: JuiceFS, options: GatewayOptions): Server {
  const store = new ObjectStore(fs, options);
  const multipart = new Multipart(store);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const qAt = rawUrl.indexOf('?');
    const path = qAt < 0 ? rawUrl : rawUrl.slice(0, qAt);
    let resource = path;
    let errTarget: { bucket: string; key?: string; uploadId?: string } = { bucket: '' };
    const started = performance.now();
    try {
      if ((method === 'GET' || method === 'HEAD') && (path === '/minio/health/live' || path === '/minio/health/ready')) {
        res.writeHead(200, { 'Content-Length': 0 }).end();
        return;
      }
      const auth = verifyRequest({ method, rawUrl, headers: req.headers }, options.credentials);
      const { bucket, key } = target(req, path, options.domains);
      resource = key === '' ? `/${bucket}` : `/${bucket}/${key}`;
      const query = new Map(queryPairs(qAt < 0 ? '' : rawUrl.slice(qAt + 1)));
      errTarget = { bucket, ...(key !== '' ? { key } : {}), ...(query.has('uploadId') ? { uploadId: query.get('uploadId') ?? '' } : {}) };
      const r: S3Request = { req, res, method, bucket, key, query, requestId, auth };
      const handler = route(r, store, multipart, options);
      if (!handler) throw s3.methodNotAllowed();
      await handler(r);
    } catch (err) {
      const e = err instanceof S3Error ? err : fsErrorToS3(err, errTarget);
      if (e.status >= 500) log.warn(`gateway: ${method} ${resource}: ${(err as Error).message ?? String(err)}`);
      sendError(res, method, e, resource, requestId);
      req.resume(); // drain what the handler did not read, so the connection can be reused
    } finally {
      log.debug(`gateway: ${method} ${rawUrl} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
    }
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res);
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener);
  // Large uploads may idle between chunks for a while; S3 clients have their own timeouts.
  server.requestTimeout = 0;
  return server;
}

