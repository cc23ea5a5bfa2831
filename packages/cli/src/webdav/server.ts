import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fsError } from '@juicefs/core';
import type { DavSettings } from './context.js';
import { parseListenAddress } from '../volume-service.js';
import { davHandler, type DavLog } from './handler.js';
import { LockManager } from './locks.js';

export interface DavServerOptions extends DavSettings {
  /** HOST:PORT (`:PORT` listens on every interface, `[::1]:PORT` for IPv6), as Go's net/http takes it. */
  address: string;
  /** --cert-file / --key-file: serve HTTPS. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

export interface DavServer {
  server: Server;
  /** http(s)://HOST:PORT as it listens (the port chosen when 0 was asked). */
  url: string;
  locks: LockManager;
  /** Stop accepting, end idle connections, cut the rest after `graceMs`; resolves once closed. */
  close(graceMs?: number): Promise<void>;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw fsError('ENOENT', `--${flag} ${file}: ${(err as Error).message}`);
  }
}

/** Start the WebDAV server and resolve once it listens; a bad or busy address is an error naming it. */
export async function startDavServer(o: DavServerOptions, log: DavLog): Promise<DavServer> {
  const { host, port } = parseListenAddress(o.address);
  if ((o.certFile === undefined) !== (o.keyFile === undefined)) throw fsError('EINVAL', 'HTTPS needs both --cert-file and --key-file');
  const locks = new LockManager();
  const handler = davHandler(o, log, locks);
  const tls = o.certFile !== undefined && o.keyFile !== undefined;
  const server = tls ? createHttpsServer({ cert: readPem('cert-file', o.certFile!), key: readPem('key-file', o.keyFile!) }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE' ? 'is already in use: stop what listens there or choose another port'
        : err.code === 'EACCES' ? 'needs privileges (ports below 1024 need root)'
        : err.code === 'EADDRNOTAVAIL' ? 'is not an address of this host'
        : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'names a host that does not resolve'
        : `cannot be listened on (${err.message})`;
      reject(fsError(err.code === 'EADDRINUSE' ? 'EBUSY' : 'EINVAL', `${o.address} ${why}`));
    });
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${shown}:${a.port}`,
    locks,
    close: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), graceMs).unref();
      }),
  };
}
