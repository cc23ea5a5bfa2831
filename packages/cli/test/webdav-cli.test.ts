// `juicefs webdav` as a user runs it: the real command in its own process, against a SQLite +
// local-directory volume, stopped with SIGTERM/SIGINT. Startup failures must name the problem.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { request } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { juicefs, juicefsAsync, mustFormat, repo } from './tools-volume.js';
import { openVolumeFs, type VolumeFs } from '../src/volume-fs.js';

const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
}

/** Start `juicefs webdav META 127.0.0.1:0 FLAGS` and wait for the line that gives its address. */
async function startWebdav(meta: string, flags: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [bin, 'webdav', meta, '127.0.0.1:0', ...flags], { cwd: repo, env: { ...process.env, ...env } });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /WebDAV listening on (https?:\/\/[^\s]+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`juicefs webdav exited with ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err, exited };
}

let dir: string;
let meta: string;
let check: VolumeFs;
const running: Running[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-webdav-cli-'));
  meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, 'davcli', path.join(dir, 'bucket'));
  check = await openVolumeFs(meta, { vfs: { attrCache: 0, entryCache: 0, dirEntryCache: 0 } });
}, 60000);

afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await check?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sessions = () => (JSON.parse(juicefs('status', meta).out) as { Sessions: Array<{ MountPoint: string }> }).Sessions;

test('serves the volume with auth, registers a session, and closes it on SIGTERM', async () => {
  const r = await startWebdav(meta, ['--cache-dir', 'memory'], { WEBDAV_USER: 'u', WEBDAV_PASSWORD: 'p' });
  running.push(r);
  expect(r.stderr()).toContain('Basic auth on');
  const auth = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };
  expect((await fetch(`${r.url}/hello.txt`, { method: 'PUT', body: 'over webdav' })).status).toBe(401);
  expect((await fetch(`${r.url}/hello.txt`, { method: 'PUT', body: 'over webdav', headers: auth })).status).toBe(201);
  expect((await check.fs.readFile('/hello.txt')).toString()).toBe('over webdav');
  await check.fs.writeFile('/native.txt', 'over the path API');
  expect(await (await fetch(`${r.url}/native.txt`, { headers: auth })).text()).toBe('over the path API');
  expect(sessions().map((s) => s.MountPoint)).toContain('webdav');
  r.child.kill('SIGTERM');
  expect(await r.exited).toBe(0);
  expect(r.stderr()).toContain('session closed');
  expect(sessions().map((s) => s.MountPoint)).not.toContain('webdav');
}, 60000);

test('SIGINT (Ctrl-C) stops it too; --read-only refuses changes with 403 and serves reads', async () => {
  const r = await startWebdav(meta, ['--read-only']);
  running.push(r);
  expect((await fetch(`${r.url}/ro.txt`, { method: 'PUT', body: 'x' })).status).toBe(403);
  expect((await fetch(`${r.url}/hello.txt`, { method: 'DELETE' })).status).toBe(403);
  expect(await (await fetch(`${r.url}/hello.txt`)).text()).toBe('over webdav');
  expect(await check.fs.exists('/ro.txt')).toBe(false);
  r.child.kill('SIGINT');
  expect(await r.exited).toBe(0);
}, 60000);

test('--subdir serves a directory; HTTPS with --cert-file/--key-file', async () => {
  await check.fs.mkdir('/www');
  await check.fs.writeFile('/www/index.txt', 'in www');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { encoding: 'utf8' });
  if (ssl.error) throw new Error(`openssl is needed for the HTTPS case: ${ssl.error.message}`);
  const r = await startWebdav(meta, ['--subdir', 'www', '--cert-file', cert, '--key-file', key]);
  running.push(r);
  expect(r.url).toMatch(/^https:\/\//);
  const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${r.url}/index.txt`, { rejectUnauthorized: false }, (res) => {
      let t = '';
      res.on('data', (d: Buffer) => (t += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
    });
    req.on('error', reject);
    req.end();
  });
  expect(body).toEqual({ status: 200, text: 'in www' });
  r.child.kill('SIGTERM');
  expect(await r.exited).toBe(0);
}, 60000);

describe('startup failures name the problem and exit non-zero', () => {
  test('a bad address', async () => {
    const r = await juicefsAsync('webdav', meta, 'localhost');
    expect(r.code).toBe(1);
    expect(r.err).toContain('"localhost" is not an address to listen on: give HOST:PORT');
  });

  test('a port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const r = await juicefsAsync('webdav', meta, `127.0.0.1:${port}`);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  test('a database that holds no volume', async () => {
    const r = await juicefsAsync('webdav', `sqlite3://${dir}/empty.db`, '127.0.0.1:0');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not formatted/);
  });

  test('HTTPS half configured, a subdir that is a file, and --threads out of range', async () => {
    const half = await juicefsAsync('webdav', meta, '127.0.0.1:0', '--cert-file', '/nonexistent.pem');
    expect(half.code).toBe(1);
    expect(half.err).toContain('HTTPS needs both --cert-file and --key-file');
    await check.fs.writeFile('/plainfile', 'not a directory');
    const sub = await juicefsAsync('webdav', meta, '127.0.0.1:0', '--subdir', '/plainfile/x');
    expect(sub.code).toBe(1);
    expect(sub.err).toContain('ENOTDIR: --subdir /plainfile/x: "plainfile" is not a directory');
    // The session it had begun is closed again.
    expect(davSessions()).toEqual([]);
    const threads = await juicefsAsync('webdav', meta, '127.0.0.1:0', '--threads', '0');
    expect(threads.code).toBe(1);
    expect(threads.err).toContain('--threads must be a whole number from 1 to 255');
  });
});

/** Sessions of WebDAV servers (the checking volume opened here has one too). */
const davSessions = () => sessions().map((s) => s.MountPoint).filter((m) => m === 'webdav');

test('-d returns once the server listens; it serves in the background, logs to --log, and stops on SIGTERM', async () => {
  const logFile = path.join(dir, 'dav-bg.log');
  const r = await juicefsAsync('webdav', meta, '127.0.0.1:0', '-d', '--log', logFile);
  const pid = Number(/pid (\d+)/.exec(r.err)?.[1]);
  const url = /WebDAV listening on (https?:\/\/\S+)/.exec(r.err)?.[1];
  try {
    const put = await fetch(`${url}/bg.txt`, { method: 'PUT', body: 'in the background' });
    expect({ code: r.code, started: /webdav started in the background \(pid \d+, log .*dav-bg\.log\)/.test(r.err), put: put.status, stored: (await check.fs.readFile('/bg.txt')).toString(), sessions: davSessions() }).toEqual({
      code: 0, started: true, put: 201, stored: 'in the background', sessions: ['webdav'],
    });
  } finally {
    if (pid > 0) process.kill(pid, 'SIGTERM');
  }
  for (let i = 0; i < 100 && davSessions().length > 0; i++) await new Promise((res) => setTimeout(res, 100));
  expect([davSessions(), fs.readFileSync(logFile, 'utf8').includes('SIGTERM: stopping the WebDAV server')]).toEqual([[], true]);
}, 60000);
