import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkServiceArgs, openServiceVolume, type ServiceClientArgs } from '../src/volume-service.js';
import { juicefs, mustFormat } from './tools-volume.js';

// What the servers over a volume (gateway, webdav) share: the volume opened with their client
// flags, under a session named after the service, with a mount's background jobs unless told not to.

const defaults: ServiceClientArgs = {
  'read-only': false, 'cache-dir': 'memory', 'buffer-size': 300, 'heartbeat': 12, 'attr-cache': 1, 'entry-cache': 1, 'dir-entry-cache': 1,
  'no-bgjob': false, 'backup-meta': '1h', 'backup-skip-trash': false, 'metrics': '',
};

let dir: string;
let meta: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-service-'));
  meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, 'svcvol', path.join(dir, 'bucket'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sessions = () => (JSON.parse(juicefs('status', meta).out) as { Sessions: Array<{ MountPoint: string }> }).Sessions.map((s) => s.MountPoint);

test('runs the background jobs a mount runs, under a session named after the service, and stops them on close', async () => {
  const v = await openServiceVolume(meta, 'my-service', defaults);
  const during = { jobs: v.meta.backgroundJobsRunning, sessions: sessions(), config: await v.fs.exists('/.config') };
  await v.close();
  expect({ ...during, after: v.meta.backgroundJobsRunning, sessionsAfter: sessions() }).toEqual({
    jobs: true, sessions: ['my-service'], config: false, after: false, sessionsAfter: [],
  });
});

test('--no-bgjob and --read-only run none', async () => {
  const quiet = await openServiceVolume(meta, 'svc', { ...defaults, 'no-bgjob': true });
  const ro = await openServiceVolume(meta, 'svc', { ...defaults, 'read-only': true });
  const running = [quiet.meta.backgroundJobsRunning, ro.meta.backgroundJobsRunning];
  await expect(ro.fs.writeFile('/x', 'no')).rejects.toMatchObject({ code: 'EROFS' });
  await quiet.close();
  await ro.close();
  expect(running).toEqual([false, false]);
});

test('bad client flags are refused by name before anything is opened', () => {
  expect(() => checkServiceArgs({ ...defaults, 'backup-meta': 'hourly' })).toThrow(/--backup-meta "hourly" is not a duration/);
  expect(() => checkServiceArgs({ ...defaults, 'heartbeat': -1 })).toThrow('--heartbeat: give a duration of 0 or more, not -1 s');
  expect(() => checkServiceArgs({ ...defaults, 'cache-size': '64 megs' })).toThrow('invalid --cache-size "64 megs"');
  expect(() => checkServiceArgs({ ...defaults, 'cache-size': '1G', 'buffer-size': '1G', 'attr-cache': '500ms', heartbeat: '12s' })).not.toThrow();
  expect(() => checkServiceArgs(defaults)).not.toThrow();
});

test('--access-log appends a line per operation in the .accesslog format, which juicefs profile replays', async () => {
  const logFile = path.join(dir, 'logs', 'access.log');
  const v = await openServiceVolume(meta, 'svc', { ...defaults, 'access-log': logFile, 'no-bgjob': true });
  await v.fs.mkdir('/logged');
  await v.fs.writeFile('/logged/f', 'x');
  await v.close();
  const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
  expect(lines.some((l) => /^\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d\.\d{6} \[uid:\d+,gid:\d+,pid:\d+\] mkdir \(1,logged,.*\): OK .*<\d+\.\d{6}>$/.test(l))).toBe(true);
  expect(lines.some((l) => / create \(\d+,f,/.test(l))).toBe(true);
  const profile = juicefs('profile', logFile, '--interval', '0');
  expect([profile.code, /mkdir/.test(profile.out), /create/.test(profile.out)]).toEqual([0, true, true]);
});

test('--metrics serves Prometheus metrics labelled with the volume and the service (another port when taken), and stops with it', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  const v = await openServiceVolume(meta, 'svc-metrics', { ...defaults, 'no-bgjob': true, 'metrics': `127.0.0.1:${taken}`, 'custom-labels': 'team:storage' });
  await new Promise<void>((r) => blocker.close(() => r()));
  let url: string | undefined;
  try {
    expect(v.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(v.metricsUrl).not.toContain(`:${taken}/`);
    await v.fs.writeFile('/m.txt', 'metrics');
    url = v.metricsUrl;
    const text = await (await fetch(url!)).text();
    expect(text).toMatch(/juicefs_fuse_ops_durations_histogram_seconds_count\{[^}]*vol_name="svcvol"[^}]*\}/);
    expect(text).toMatch(/mp="svc-metrics"/);
    expect(text).toMatch(/team="storage"/);
  } finally {
    await v.close();
  }
  await expect(fetch(url!)).rejects.toThrow();
});
