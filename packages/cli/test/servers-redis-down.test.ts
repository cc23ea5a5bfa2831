import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { juicefsAsync, repo } from './tools-volume.js';
import { freePort } from './support/free-port.js';
import { RawS3 } from './support/s3-raw.js';

// The metadata server goes away under `juicefs gateway` and `juicefs webdav` (each run with -d,
// in a process of its own): requests that need it fail with a 5xx, which S3 and WebDAV clients
// retry, within a bounded time and never hang; once the server is back with its data the same
// processes serve again. The Redis server is this test's own (own port and data directory,
// append-only so a restart keeps the volume).

const DEADLINE_MS = 30_000;
const CREDS = { MINIO_ROOT_USER: 'faultadmin', MINIO_ROOT_PASSWORD: 'fault-secret' };


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ping = (port: number) => {
  try {
    return execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).includes('PONG');
  } catch {
    return false;
  }
};

async function startRedis(port: number, dir: string): Promise<void> {
  execFileSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'yes', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--logfile', path.join(dir, 'redis.log')]);
  for (let i = 0; i < 100 && !ping(port); i++) await sleep(100);
  if (!ping(port)) throw new Error(`redis-server on ${port} did not answer (see ${dir}/redis.log; scripts/setup.sh installs it)`);
}

async function stopRedis(port: number): Promise<void> {
  try {
    execFileSync('redis-cli', ['-p', String(port), 'shutdown'], { timeout: 10_000, stdio: 'ignore' });
  } catch {
    // the connection drops as it stops
  }
  for (let i = 0; i < 100 && ping(port); i++) await sleep(100);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A request with a deadline: its status and body, and how long it took. */
async function timed<T extends { status: number }>(fn: () => Promise<T>): Promise<T & { ms: number }> {
  const started = Date.now();
  const r = await fn();
  return { ...r, ms: Date.now() - started };
}
const dav = (url: string, init: RequestInit = {}) => timed(async () => {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(DEADLINE_MS) });
  return { status: r.status, text: await r.text() };
});

/** The command with extra environment variables (jest's process.env does not reach children). */
function juicefsWithEnv(env: Record<string, string>, ...args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(__dirname, 'support/juicefs-from-source.cjs'), ...args], { cwd: repo, env: { ...process.env, ...env } });
    let err = '';
    p.stdout.resume();
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, err }));
  });
}

let dir: string;
let port: number;
const pids: number[] = [];
let davUrl = '';
let s3: RawS3;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-svcdown-'));
  port = await freePort();
  fs.mkdirSync(path.join(dir, 'redis'));
  await startRedis(port, path.join(dir, 'redis'));
  const meta = `redis://127.0.0.1:${port}/1`;
  const f = await juicefsAsync('format', meta, 'svcdown', '--bucket', `${dir}/bucket`);
  if (f.code !== 0) throw new Error(`juicefs format failed: ${f.err}`);
  // No metadata caches: every request reaches the engine.
  const common = ['--attr-cache', '0', '--entry-cache', '0', '--dir-entry-cache', '0', '--metrics', ''];
  const davPort = await freePort();
  const d = await juicefsAsync('webdav', meta, `127.0.0.1:${davPort}`, '-d', '--log', path.join(dir, 'dav.log'), ...common);
  if (d.code !== 0) throw new Error(`juicefs webdav -d failed: ${d.err}`);
  pids.push(Number(/pid (\d+)/.exec(d.err)?.[1]));
  davUrl = `http://127.0.0.1:${davPort}`;
  const gwPort = await freePort();
  const g = await juicefsWithEnv(CREDS, 'gateway', meta, `127.0.0.1:${gwPort}`, '-d', '--log', path.join(dir, 'gw.log'), ...common);
  if (g.code !== 0) throw new Error(`juicefs gateway -d failed: ${g.err}`);
  pids.push(Number(/pid (\d+)/.exec(g.err)?.[1]));
  s3 = new RawS3(`http://127.0.0.1:${gwPort}`, CREDS.MINIO_ROOT_USER, CREDS.MINIO_ROOT_PASSWORD);
}, 120_000);

afterAll(async () => {
  if (port && !ping(port)) await startRedis(port, path.join(dir, 'redis')).catch(() => undefined);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(100);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  if (port) await stopRedis(port);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

test('requests fail with a 5xx while Redis is down, within a bounded time, and succeed again once it is back', async () => {
  expect((await dav(`${davUrl}/before.txt`, { method: 'PUT', body: 'before' })).status).toBe(201);
  expect((await s3.send({ method: 'PUT', path: '/svcdown/s3-before.txt', body: 's3 before' })).status).toBe(200);

  await stopRedis(port);
  const down = {
    davPut: await dav(`${davUrl}/during.txt`, { method: 'PUT', body: 'during' }),
    davGet: await dav(`${davUrl}/before.txt`),
    s3Get: await timed(() => s3.send({ method: 'GET', path: '/svcdown/s3-before.txt' })),
    s3Put: await timed(() => s3.send({ method: 'PUT', path: '/svcdown/s3-during.txt', body: 'during' })),
  };
  expect(Object.values(down).map((r) => r.status >= 500)).toEqual([true, true, true, true]);
  expect(Math.max(...Object.values(down).map((r) => r.ms))).toBeLessThan(DEADLINE_MS);

  await startRedis(port, path.join(dir, 'redis'));
  const back = {
    davGet: await dav(`${davUrl}/before.txt`),
    davPut: (await dav(`${davUrl}/after.txt`, { method: 'PUT', body: 'after' })).status,
    s3Get: (await s3.send({ method: 'GET', path: '/svcdown/s3-before.txt' })).text,
    s3Put: (await s3.send({ method: 'PUT', path: '/svcdown/s3-after.txt', body: 'after' })).status,
  };
  expect({ ...back, davGet: [back.davGet.status, back.davGet.text] }).toEqual({ davGet: [200, 'before'], davPut: 201, s3Get: 's3 before', s3Put: 200 });
}, 120_000);
