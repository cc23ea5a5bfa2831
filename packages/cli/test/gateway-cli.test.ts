import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gatewayCredentials } from '../src/commands/gateway.js';
import { openVolumeFs } from '../src/volume-fs.js';
import { parseListenAddress } from '../src/volume-service.js';
import { mustFormat, repo } from './tools-volume.js';
import { freePort } from './support/free-port.js';
import { RawS3, xmlAll } from './support/s3-raw.js';

// `juicefs gateway` as a user runs it: what it refuses before serving (credentials, address,
// volume, port), and a real start, a signed request, and a clean stop on SIGTERM.

const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');
const CREDS = { MINIO_ROOT_USER: 'cliadmin', MINIO_ROOT_PASSWORD: 'cli-secret-1' };

function start(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; err: string }>; stderr: () => string } {
  const clean = { ...process.env };
  for (const k of ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY']) delete clean[k];
  const child = spawn(process.execPath, [bin, 'gateway', ...args], { cwd: repo, env: { ...clean, ...env } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; signal: string | null; err: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, err })));
  return { child, done, stderr: () => err };
}

const lastLine = (s: string) => s.trim().split('\n').pop();


describe('juicefs gateway: arguments', () => {
  it('credentials as JuiceFS checks them: MINIO_ROOT_* first, MINIO_ACCESS_KEY/SECRET_KEY as fallbacks, minimum lengths', () => {
    expect(gatewayCredentials({ MINIO_ROOT_USER: 'abc', MINIO_ROOT_PASSWORD: '12345678' })).toEqual({ accessKey: 'abc', secretKey: '12345678' });
    expect(gatewayCredentials({ MINIO_ACCESS_KEY: 'old', MINIO_SECRET_KEY: 'oldsecret' })).toEqual({ accessKey: 'old', secretKey: 'oldsecret' });
    expect(() => gatewayCredentials({ MINIO_ROOT_USER: 'ab', MINIO_ROOT_PASSWORD: '12345678' })).toThrow(/MINIO_ROOT_USER .* at least 3 characters/);
    expect(() => gatewayCredentials({ MINIO_ROOT_USER: 'abc', MINIO_ROOT_PASSWORD: 'short' })).toThrow(/MINIO_ROOT_PASSWORD .* at least 8 characters/);
  });

  it('addresses: HOST:PORT, [IPv6]:PORT and :PORT; anything else refused by name', () => {
    expect([parseListenAddress('localhost:9000'), parseListenAddress('[::1]:9001'), parseListenAddress(':9002')]).toEqual([
      { host: 'localhost', port: 9000 }, { host: '::1', port: 9001 }, { host: undefined, port: 9002 },
    ]);
    for (const bad of ['9000', 'host:', 'host:99999', 'a:b:c']) expect(() => parseListenAddress(bad)).toThrow(`"${bad}" is not an address to listen on: give HOST:PORT`);
  });
});

describe('juicefs gateway: the command', () => {
  let dir: string;
  let meta: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-gateway-cli-'));
    meta = `sqlite3://${dir}/meta.db`;
    mustFormat(meta, 'clivol', path.join(dir, 'bucket'), '--trash-days', '0');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses, with a message naming the problem: no credentials, a bad address, an unformatted volume, a port in use', async () => {
    const noCreds = await start([meta, '127.0.0.1:0'], {}).done;
    const badAddr = await start([meta, 'nowhere'], CREDS).done;
    const unformatted = await start([`sqlite3://${dir}/empty.db`, '127.0.0.1:0'], CREDS).done;
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const inUse = await start([meta, `127.0.0.1:${port}`], CREDS).done;
    blocker.close();
    expect({
      noCreds: [noCreds.code, lastLine(noCreds.err)],
      badAddr: [badAddr.code, lastLine(badAddr.err)],
      unformatted: [unformatted.code, /not formatted|format/i.test(unformatted.err)],
      inUse: [inUse.code, lastLine(inUse.err)],
    }).toEqual({
      noCreds: [1, 'juicefs: EINVAL: MINIO_ROOT_USER should be specified as an environment variable with at least 3 characters (the access key clients sign with)'],
      badAddr: [1, 'juicefs: EINVAL: "nowhere" is not an address to listen on: give HOST:PORT, e.g. localhost:9000 (or :9000 for every interface)'],
      unformatted: [1, true],
      inUse: [1, `juicefs: EADDRINUSE: address 127.0.0.1:${port} is already in use: stop what listens there or pick another port`],
    });
  }, 60000);

  it('serves signed requests until SIGTERM, then closes the server and the session and exits 0', async () => {
    const port = await freePort();
    const g = start([meta, `127.0.0.1:${port}`], CREDS);
    for (let i = 0; i < 200 && !g.stderr().includes('listening on'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(g.stderr()).toContain(`S3 gateway for volume clivol (sqlite3://${dir}/meta.db) listening on http://127.0.0.1:${port}, bucket clivol`);
    const s3 = new RawS3(`http://127.0.0.1:${port}`, CREDS.MINIO_ROOT_USER, CREDS.MINIO_ROOT_PASSWORD);
    const put = await s3.send({ method: 'PUT', path: '/clivol/hello.txt', body: 'hi' });
    const list = await s3.send({ method: 'GET', path: '/clivol', query: { 'list-type': '2' } });
    const status = () => new Promise<{ Sessions: Array<{ MountPoint: string }> }>((resolve) => {
      const p = spawn(process.execPath, [bin, 'status', meta], { cwd: repo });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', () => resolve(JSON.parse(out) as { Sessions: Array<{ MountPoint: string }> }));
    });
    // While it serves, its session is there under the service's name.
    const serving = (await status()).Sessions.map((x) => x.MountPoint);
    g.child.kill('SIGTERM');
    const end = await g.done;
    expect({ put: put.status, keys: xmlAll(list.text, 'Key'), serving, code: end.code, closing: end.err.includes('received SIGTERM, closing the gateway') }).toEqual({
      put: 200, keys: ['hello.txt'], serving: ['s3gateway'], code: 0, closing: true,
    });
    // The session ended: status lists none.
    expect((await status()).Sessions).toEqual([]);
  }, 60000);

  it('serves HTTPS with public.crt and private.key from ~/.minio/certs, as MinIO does, or from --certs-dir; one file alone is refused', async () => {
    const home = path.join(dir, 'home');
    const certs = path.join(home, '.minio', 'certs');
    fs.mkdirSync(certs, { recursive: true });
    const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(certs, 'private.key'), '-out', path.join(certs, 'public.crt'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    if (ssl.error) throw new Error(`openssl is needed for the HTTPS case: ${ssl.error.message}`);
    const ca = fs.readFileSync(path.join(certs, 'public.crt'));
    const port = await freePort();
    const g = start([meta, `127.0.0.1:${port}`], { ...CREDS, HOME: home });
    try {
      for (let i = 0; i < 200 && !g.stderr().includes('listening on'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(g.stderr()).toContain(`listening on https://127.0.0.1:${port} (certificate from ${certs}), bucket clivol`);
      // Verified against the certificate itself: the gateway really speaks TLS with it.
      const get = (p: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`https://127.0.0.1:${port}${p}`, { ca }, (res) => {
          let t = '';
          res.on('data', (d: Buffer) => (t += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
        });
        req.on('error', reject);
        req.end();
      });
      const live = await get('/minio/health/live');
      const unsigned = await get('/clivol');
      expect({ live: live.status, unsigned: [unsigned.status, /<Code>AccessDenied<\/Code>/.test(unsigned.text)] }).toEqual({ live: 200, unsigned: [403, true] });
    } finally {
      g.child.kill('SIGTERM');
      await g.done;
    }
    // A key without its certificate, or a --certs-dir that does not exist: refused before serving.
    const lonely = path.join(dir, 'lonely');
    fs.mkdirSync(lonely);
    fs.copyFileSync(path.join(certs, 'private.key'), path.join(lonely, 'private.key'));
    const half = await start([meta, '127.0.0.1:0', '--certs-dir', lonely], CREDS).done;
    const missing = await start([meta, '127.0.0.1:0', '--certs-dir', path.join(dir, 'nope')], CREDS).done;
    expect([half.code, lastLine(half.err), missing.code, lastLine(missing.err)]).toEqual([
      1, `juicefs: ENOENT: ${lonely} has private.key but no public.crt: HTTPS needs both (or remove the other to serve plain HTTP)`,
      1, `juicefs: ENOENT: --certs-dir ${path.join(dir, 'nope')} does not exist: give the directory holding public.crt and private.key`,
    ]);
  }, 60000);

  it('-d returns once the gateway listens, which then serves in the background until SIGTERM; --log gets its output', async () => {
    const port = await freePort();
    const logFile = path.join(dir, 'gw-bg.log');
    const g = start([meta, `127.0.0.1:${port}`, '-d', '--log', logFile, '--mountpoint', 'bg-gw'], CREDS);
    const end = await g.done;
    const pid = Number(/pid (\d+)/.exec(end.err)?.[1]);
    try {
      const s3 = new RawS3(`http://127.0.0.1:${port}`, CREDS.MINIO_ROOT_USER, CREDS.MINIO_ROOT_PASSWORD);
      const put = await s3.send({ method: 'PUT', path: '/clivol/bg.txt', body: 'from the background' });
      const get = await s3.send({ method: 'GET', path: '/clivol/bg.txt' });
      expect({ code: end.code, started: /gateway started in the background \(pid \d+, log .*gw-bg\.log\): S3 gateway for volume clivol .* listening on http:\/\/127\.0\.0\.1:\d+/.test(end.err), put: put.status, got: get.text }).toEqual({
        code: 0, started: true, put: 200, got: 'from the background',
      });
    } finally {
      if (pid > 0) process.kill(pid, 'SIGTERM');
    }
    // It logs its stop into --log and goes away.
    for (let i = 0; i < 100 && !fs.readFileSync(logFile, 'utf8').includes('received SIGTERM'); i++) await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 100 && (() => { try { process.kill(pid, 0); return true; } catch { return false; } })(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.readFileSync(logFile, 'utf8')).toContain('received SIGTERM, closing the gateway');
  }, 60000);

  it('-d reports a gateway that cannot start, with the end of its log', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const end = await start([meta, `127.0.0.1:${port}`, '-d', '--log', path.join(dir, 'gw-busy.log')], CREDS).done;
      expect([end.code, /the background gateway did not start \(it exited with 1\); the end of .*gw-busy\.log:\n.*EADDRINUSE/s.test(end.err)]).toEqual([1, true]);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  }, 60000);

  it('--subdir serves one directory of the volume (made when missing, as JuiceFS does) as the bucket', async () => {
    const port = await freePort();
    const g = start([meta, `127.0.0.1:${port}`, '--subdir', 'tenants/a', '--metrics', ''], CREDS);
    for (let i = 0; i < 200 && !g.stderr().includes('listening on'); i++) await new Promise((r) => setTimeout(r, 100));
    const s3 = new RawS3(`http://127.0.0.1:${port}`, CREDS.MINIO_ROOT_USER, CREDS.MINIO_ROOT_PASSWORD);
    const put = await s3.send({ method: 'PUT', path: '/clivol/doc.txt', body: 'tenant a' });
    const list = await s3.send({ method: 'GET', path: '/clivol', query: { 'list-type': '2' } });
    g.child.kill('SIGTERM');
    const end = await g.done;
    const v = await openVolumeFs(meta);
    try {
      expect({ put: put.status, keys: xmlAll(list.text, 'Key'), code: end.code, stored: (await v.fs.readFile('/tenants/a/doc.txt')).toString() }).toEqual({
        put: 200, keys: ['doc.txt'], code: 0, stored: 'tenant a',
      });
    } finally {
      await v.close();
    }
  }, 60000);

  it("removes what interrupted PUTs and abandoned uploads left in .sys over a week ago, soon after it starts (JuiceFS's gateway checks daily)", async () => {
    const weekAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    const stale = '/.sys/tmp/5d1/5d1c0ffe-0000-4000-8000-000000000001';
    const fresh = '/.sys/tmp/5d2/5d2c0ffe-0000-4000-8000-000000000002';
    const abandoned = '/.sys/uploads/5d3/5d3c0ffe-0000-4000-8000-000000000003';
    const v = await openVolumeFs(meta);
    try {
      for (const f of [stale, fresh]) {
        await v.fs.mkdir(path.dirname(f), { recursive: true });
        await v.fs.writeFile(f, 'part of an object');
      }
      await v.fs.mkdir(abandoned, { recursive: true });
      await v.fs.writeFile(`${abandoned}/1`, 'a part');
      await v.fs.utimes(stale, weekAgo, weekAgo);
      await v.fs.utimes(abandoned, weekAgo, weekAgo);
    } finally {
      await v.close();
    }
    const port = await freePort();
    const g = start([meta, `127.0.0.1:${port}`], CREDS);
    for (let i = 0; i < 300 && !g.stderr().includes(`removed ${abandoned}`); i++) await new Promise((r) => setTimeout(r, 100));
    g.child.kill('SIGTERM');
    const end = await g.done;
    const after = await openVolumeFs(meta);
    try {
      expect({
        code: end.code,
        logged: [stale, abandoned].map((p) => end.err.includes(`gateway: removed ${p}, stale since ${weekAgo.toISOString().slice(0, 16)}`)),
        left: await Promise.all([stale, fresh, abandoned].map((p) => after.fs.exists(p))),
      }).toEqual({ code: 0, logged: [true, true], left: [false, true, false] });
    } finally {
      await after.close();
    }
  }, 60000);
});
