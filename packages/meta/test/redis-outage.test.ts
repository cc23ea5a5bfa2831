import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { NodeType, type Attr } from '@juicefs/core';
import { createRedisEngine } from '../src/redis/index.js';
import type { EngineStore } from '../src/base/store.js';
import { freePort } from './free-port.js';

// A Redis server that goes away and comes back: operations must fail promptly (never hang) while
// it is down, and the same engine must work again once it is back. The server is our own
// redis-server process (installed by scripts/setup.sh) on a free port, so the shared test server
// is never disturbed.
let dir: string;
let port: number;
let server: ChildProcess | undefined;


async function startServer(): Promise<void> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`cannot start redis-server (run scripts/setup.sh to install it): ${err.message}`)));
  });
  server = child;
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`the test redis-server on port ${port} did not start`);
}

async function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-redis-outage-'));
  port = await freePort();
  await startServer();
});
afterAll(async () => {
  await stopServer();
  fs.rmSync(dir, { recursive: true, force: true });
});

const file: Attr = {
  flags: 0, type: NodeType.File, mode: 0o644, uid: 0, gid: 0, atime: 0, atimensec: 0, mtime: 0, mtimensec: 0,
  ctime: 0, ctimensec: 0, nlink: 1, length: 0, rdev: 0, parent: 1n, accessACL: 0, defaultACL: 0, tier: 0,
};

it('fails promptly while the server is down and recovers when it is back', async () => {
  const engine: EngineStore = await createRedisEngine(`redis://127.0.0.1:${port}/0`);
  try {
    await engine.txn(async (tx) => tx.setAttr(2n, file));
    await stopServer();
    const started = Date.now();
    // a read, a write-only commit and a plain command, all at once
    await Promise.all([
      expect(engine.txn((tx) => tx.getAttr(2n))).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining(`127.0.0.1:${port}`) }),
      expect(engine.txn(async (tx) => tx.setAttr(3n, file))).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('unreachable') }),
      expect(engine.getFormat()).rejects.toThrow(),
    ]);
    // bounded by the per-command retries, not by a test timeout
    expect(Date.now() - started).toBeLessThan(20000);

    await startServer(); // a fresh, empty server on the same port
    let back = false;
    for (let i = 0; i < 100 && !back; i++) {
      back = await engine.txn(async (tx) => tx.setAttr(4n, file)).then(() => true, () => false);
      if (!back) await new Promise((r) => setTimeout(r, 100));
    }
    expect(back).toBe(true);
    expect(await engine.txn((tx) => tx.getAttr(4n))).toEqual(file);
  } finally {
    await engine.close();
  }
}, 60000);
