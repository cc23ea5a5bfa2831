import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_SPIN_MICROS, DevFuseChannel, PollFuseChannel, SpinGovernor, SpinGovernors, canPollFuseDevice, defaultSpinMicros, isMountPoint, mount, openFuseChannel, type FuseReader, type RequestContext, type WriteIn } from '../src/index.js';
import { MemFsHandler } from './helpers/memfs-handler.js';
import { spawnSync } from 'node:child_process';
import { sh } from './helpers/shell.js';

// Both ways of reading /dev/fuse serve a real mount: `poll` (the default, on the event loop) and
// `worker` (a thread blocked in read(2), the fallback). Each must carry small requests, 1 MiB
// writes (the read buffer must hold max_write) and end cleanly on unmount.

test('this Node can poll the FUSE device, and openFuseChannel picks the reader asked for', () => {
  expect(canPollFuseDevice()).toBe(true);
  expect(openFuseChannel(-1, 4096, () => {}, 'poll')).toBeInstanceOf(PollFuseChannel);
  expect(openFuseChannel(-1, 4096, () => {}, 'worker')).toBeInstanceOf(DevFuseChannel);
});

/** Copies a write's bytes only after a pause, so a reader that reused them too early is caught. */
class SlowWriteMemFs extends MemFsHandler {
  override async write(ctx: RequestContext, ino: bigint, req: WriteIn): Promise<number> {
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    return super.write(ctx, ino, req);
  }
}

// `poll` spins briefly after each reply by default (DEFAULT_SPIN_MICROS); JFS_FUSE_SPIN_US=0 is
// the plain event-loop reader, so both ways a request can be read are exercised.
describe.each<[FuseReader, string]>([
  ['poll', '30'],
  ['poll', '0'],
  ['worker', '0'],
])('%s reader, spin %s µs', (reader, spin) => {
  let tmp: string;
  let mp: string;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), `jfs-reader-${reader}-${spin}-`));
    mp = path.join(tmp, 'mnt');
    await fs.mkdir(mp);
  });

  afterAll(async () => {
    if (await isMountPoint(mp)) await sh(`umount -l ${mp}`);
    await fs.rm(tmp, { recursive: true, force: true });
  });

  test('serves small and 1 MiB requests and ends on unmount', async () => {
    const before = process.env['JFS_FUSE_SPIN_US'];
    process.env['JFS_FUSE_SPIN_US'] = spin;
    const m = await mount(mp, new SlowWriteMemFs(), { fsname: 'reader-test', subtype: 'memfs', reader, log: () => {} });
    if (before === undefined) delete process.env['JFS_FUSE_SPIN_US'];
    else process.env['JFS_FUSE_SPIN_US'] = before;
    try {
      await fs.writeFile(path.join(mp, 'small'), 'hello');
      expect(await fs.readFile(path.join(mp, 'small'), 'utf8')).toBe('hello');
      const big = randomBytes(3 * 1024 * 1024 + 17);
      await fs.writeFile(path.join(mp, 'big'), big);
      expect((await fs.readFile(path.join(mp, 'big'))).equals(big)).toBe(true);
      // Many requests at once: every one answered, none lost between reads.
      await Promise.all(Array.from({ length: 50 }, (_, i) => fs.writeFile(path.join(mp, `f${i}`), `${i}`)));
      expect((await fs.readdir(mp)).length).toBe(52);
      // Big writes in flight together: the poll reader lends each its read buffer and reads on
      // into spares; no write's bytes may change under it before it is answered.
      const blobs = Array.from({ length: 12 }, () => randomBytes(2 * 1024 * 1024 + 4096));
      await Promise.all(blobs.map((b, i) => fs.writeFile(path.join(mp, `blob${i}`), b)));
      for (const [i, b] of blobs.entries()) expect((await fs.readFile(path.join(mp, `blob${i}`))).equals(b)).toBe(true);
    } finally {
      await m.unmount();
    }
    expect(await isMountPoint(mp)).toBe(false);
    expect(await m.closed).toMatch(/ENODEV|destroyed|closed|EOF/);
  });
});

describe('SpinGovernor (when the poll reader spins after a reply)', () => {
  test('spins after every reply while spins catch requests', () => {
    const g = new SpinGovernor();
    for (let i = 0; i < 100; i++) {
      expect(g.shouldSpin()).toBe(true);
      g.record(true);
    }
  });

  test('stops when spins keep missing, probes once in 16 replies, and resumes on hits', () => {
    const g = new SpinGovernor();
    let spins = 0;
    for (let i = 0; i < 200; i++) {
      if (g.shouldSpin()) {
        spins++;
        g.record(false);
      }
    }
    // A first run of misses (until the rate falls below a third), then one probe per 16 replies.
    expect(spins).toBeLessThan(40);
    expect(spins).toBeGreaterThan(200 / 16);
    // A client that turns tight again: the first probe that catches a request resumes spinning.
    let unspun = 0;
    while (!g.shouldSpin()) unspun++;
    expect(unspun).toBeLessThan(16);
    g.record(true);
    for (let i = 0; i < 20; i++) {
      expect(g.shouldSpin()).toBe(true);
      g.record(true);
    }
    // A chance catch among misses costs only a few spins before they stop again.
    for (let i = 0; i < 100; i++) if (g.shouldSpin()) g.record(false);
    g.record(true);
    let wasted = 0;
    for (let i = 0; i < 16; i++) if (g.shouldSpin()) (wasted++, g.record(false));
    expect(wasted).toBeLessThan(10);
  });

  test('each kind of reply learns apart: replies that end a call stop spinning, those inside one keep it', () => {
    const gs = new SpinGovernors();
    const insideCall = 1; // e.g. a failed LOOKUP: the CREATE of the same open(2) follows at once
    const endsCall = 2; // e.g. CREATE: the program's next call comes much later
    const spun = new Map([[insideCall, 0], [endsCall, 0]]);
    for (let i = 0; i < 200; i++) {
      for (const kind of [insideCall, endsCall]) {
        const g = gs.of(kind);
        if (!g.shouldSpin()) continue;
        spun.set(kind, (spun.get(kind) ?? 0) + 1);
        g.record(kind === insideCall);
      }
    }
    expect(spun.get(insideCall)).toBe(200);
    expect(spun.get(endsCall)).toBeLessThan(40);
    expect(gs.of(insideCall)).toBe(gs.of(insideCall));
  });
});

describe('how long the poll reader spins after a reply', () => {
  test('the default on more than one CPU, none on one, JFS_FUSE_SPIN_US over both', () => {
    expect(defaultSpinMicros({}, 2)).toBe(DEFAULT_SPIN_MICROS);
    expect(DEFAULT_SPIN_MICROS).toBeGreaterThan(0);
    expect(defaultSpinMicros({}, 1)).toBe(0);
    expect(defaultSpinMicros({ JFS_FUSE_SPIN_US: '50' }, 1)).toBe(50);
    expect(defaultSpinMicros({ JFS_FUSE_SPIN_US: '0' }, 4)).toBe(0);
    // Not a number, or empty: as if unset.
    expect(defaultSpinMicros({ JFS_FUSE_SPIN_US: 'fast' }, 4)).toBe(DEFAULT_SPIN_MICROS);
    expect(defaultSpinMicros({ JFS_FUSE_SPIN_US: '' }, 1)).toBe(0);
  });

  test('a process pinned to one CPU counts one (the CPU count follows the affinity mask)', () => {
    const r = spawnSync('taskset', ['-c', '0', process.execPath, '-e', "process.stdout.write(String(require('node:os').availableParallelism()))"], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('1');
  });
});
