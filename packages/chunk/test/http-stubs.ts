// Local TCP/HTTP servers an S3 bucket can be pointed at, for what a real S3 server cannot be made
// to do on demand: never answer, answer late, or show the headers it was sent.
import { createServer as createTcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Stub {
  url: string;
  /** Request lines seen (e.g. "GET /bucket/key"), in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Accepts connections, reads requests, and never answers. */
export async function silentServer(): Promise<Stub> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => {
      for (const line of d.toString('latin1').split('\r\n')) {
        const m = /^(GET|PUT|DELETE|HEAD|POST) (\S+) HTTP/.exec(line);
        if (m) requests.push(`${m[1]} ${m[2]}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface HttpStub extends Stub {
  /** Headers of each request, in order. */
  headers: IncomingHttpHeaders[];
}

/** Answers every request after `delayMs`: a GET with `body`, anything else with an empty 200. */
export async function slowServer(delayMs: number, body = 'hello'): Promise<HttpStub> {
  const requests: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    headers.push(req.headers);
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/octet-stream', ETag: '"e"' });
          res.end(body);
        } else {
          res.writeHead(200, { 'Content-Length': 0, ETag: '"e"' });
          res.end();
        }
      }, delayMs).unref();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    headers,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
