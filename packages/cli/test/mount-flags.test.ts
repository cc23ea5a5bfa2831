import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mountTuning, parseCustomLabels, type TuningFlags } from '../src/commands/mount.js';
import { juicefs, mustFormat } from './tools-volume.js';

// JuiceFS's own mount flags, so that a command line (a systemd unit, an fstab entry, a CSI
// driver's) written for the Go client mounts here too: the ones with an effect are honoured, the
// two that only switch off Go features this client lacks are accepted, and a value this client
// cannot honour is refused by name rather than ignored.

const defaults: TuningFlags = {
  'max-uploads': 20,
  'cache-large-write': false,
  'prefix-internal': false,
  'hide-internal': false,
  'atime-mode': 'noatime',
};

describe('mount flags: parsing', () => {
  it('turn into serve options, defaults as JuiceFS has them', () => {
    expect(mountTuning(defaults)).toEqual({ maxUploads: 20, cacheLargeWrite: false, prefixInternal: false, hideInternal: false });
    expect(
      mountTuning({ ...defaults, bucket: '/data/b2', 'upload-limit': 100, 'download-limit': 0, 'max-uploads': 4, 'custom-labels': 'env:prod; team : ml' }),
    ).toEqual({
      maxUploads: 4, cacheLargeWrite: false, prefixInternal: false, hideInternal: false,
      bucket: '/data/b2', uploadLimitMbps: 100, downloadLimitMbps: 0, customLabels: { env: 'prod', team: 'ml' },
    });
  });

  it('refuse what this client cannot honour, naming the flag', () => {
    const errorOf = (f: Partial<TuningFlags>): string => {
      try {
        mountTuning({ ...defaults, ...f });
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(errorOf({ 'atime-mode': 'relatime' })).toMatch(/--atime-mode relatime: this client keeps access times as noatime only/);
    expect(errorOf({ 'atime-mode': 'sometimes' })).toMatch(/use noatime, relatime or strictatime/);
    expect(errorOf({ 'max-uploads': 0 })).toMatch(/--max-uploads must be a number of at least 1, got 0/);
    expect(errorOf({ 'upload-limit': -5 })).toMatch(/--upload-limit must be a number of at least 0/);
    expect(errorOf({ 'custom-labels': 'env=prod' })).toMatch(/"env=prod" is not KEY:VALUE/);
    expect(errorOf({ 'custom-labels': '1bad:x' })).toMatch(/"1bad:x" is not KEY:VALUE/);
  });

  it('custom labels keep colons inside values and skip empty pairs', () => {
    expect(parseCustomLabels('url:http://x:1;;zone:a')).toEqual({ url: 'http://x:1', zone: 'a' });
  });

  it('a bad value fails the command before anything is mounted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-flags-bad-'));
    try {
      const r = juicefs('mount', `sqlite3://${dir}/none.db`, dir, '--atime-mode', 'strictatime');
      expect({ code: r.code, err: r.err.trim().split('\n')[0] }).toEqual({
        code: 1,
        err: 'juicefs: EINVAL: --atime-mode strictatime: this client keeps access times as noatime only; leave the flag out',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const canMount = process.getuid?.() === 0 && fs.existsSync('/dev/fuse');

describe('mount flags: a mount that uses them', () => {
  let dir: string;
  let mp: string;
  let meta: string;
  beforeAll(() => {
    if (!canMount) throw new Error('these tests need root and /dev/fuse (run them as root on a machine with FUSE)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-flags-'));
    mp = path.join(dir, 'mp');
    fs.mkdirSync(mp);
    meta = `sqlite3://${dir}/meta.db`;
    mustFormat(meta, 'flags-vol', path.join(dir, 'bucket'), '--block-size', '64', '--trash-days', '0');
    // The bucket moved after formatting: only --bucket can find it now.
    fs.renameSync(path.join(dir, 'bucket'), path.join(dir, 'moved'));
    const m = juicefs('mount', '-d', meta, mp, '--log', path.join(dir, 'log'), '--cache-dir', path.join(dir, 'cache'), '--metrics', '127.0.0.1:0',
      '--no-usage-report', '--no-syslog', '--bucket', path.join(dir, 'moved'), '--prefix-internal', '--hide-internal',
      '--custom-labels', 'env:test;team:storage', '--cache-large-write', '--max-uploads', '2', '--upload-limit', '1000', '--atime-mode', 'noatime');
    if (m.code !== 0) throw new Error(`juicefs mount failed: ${m.err}`);
  });
  afterAll(() => {
    if (!canMount) return;
    if (juicefs('umount', mp).code !== 0) juicefs('umount', '--force', mp);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--prefix-internal and --hide-internal: .jfs.* files, left out of the listing; the tools still find them', () => {
    fs.writeFileSync(path.join(mp, 'mine'), 'x');
    const info = juicefs('info', path.join(mp, 'mine'), '--json');
    expect({
      listing: fs.readdirSync(mp).sort(),
      stats: fs.readFileSync(path.join(mp, '.jfs.stats'), 'utf8').includes('juicefs_fuse_ops'),
      config: (JSON.parse(fs.readFileSync(path.join(mp, '.jfs.config'), 'utf8')) as { HideInternal: boolean }).HideInternal,
      plainName: fs.existsSync(path.join(mp, '.stats')),
      info: info.code === 0 && (JSON.parse(info.out) as { Paths: string[] }).Paths,
    }).toEqual({ listing: ['mine'], stats: true, config: true, plainName: false, info: ['/mine'] });
  });

  it('--bucket and --cache-large-write: blocks go to the given bucket, full ones into the cache as well', () => {
    const data = Buffer.alloc(3 * 65536 + 100, 9);
    fs.writeFileSync(path.join(mp, 'three-blocks'), data);
    const objects = (root: string): string[] =>
      fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }).map(String).filter((f) => /\d+_\d+_\d+$/.test(f)).map((f) => path.basename(f)).sort() : [];
    const inBucket = objects(path.join(dir, 'moved/flags-vol/chunks'));
    const cached = objects(path.join(dir, 'cache'));
    expect({
      blockSizes: inBucket.map((k) => Number(k.split('_')[2])).sort((a, b) => a - b),
      cachedAll: inBucket.every((k) => cached.includes(k)),
      oldBucket: fs.existsSync(path.join(dir, 'bucket')),
      readBack: fs.readFileSync(path.join(mp, 'three-blocks')).equals(data),
    }).toEqual({ blockSizes: [1, 100, 65536, 65536, 65536], cachedAll: true, oldBucket: false, readBack: true });
  });

  it('--custom-labels are on every metric beside vol_name and mp', async () => {
    const url = /prometheus metrics at (\S+)/.exec(fs.readFileSync(path.join(dir, 'log'), 'utf8'))?.[1];
    expect(url).toBeDefined();
    const text = await (await fetch(String(url))).text();
    const uptime = text.split('\n').find((l) => l.startsWith('juicefs_uptime{'));
    expect(uptime).toMatch(new RegExp(`^juicefs_uptime\\{env="test",team="storage",vol_name="flags-vol",mp="${mp}"\\} `));
  });
});

describe('mount flags: --subdir', () => {
  let dir: string;
  let mp: string;
  let meta: string;
  beforeAll(() => {
    if (!canMount) throw new Error('these tests need root and /dev/fuse (run them as root on a machine with FUSE)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-subdir-'));
    mp = path.join(dir, 'mp');
    fs.mkdirSync(mp);
    meta = `sqlite3://${dir}/meta.db`;
    mustFormat(meta, 'subdir-vol', path.join(dir, 'bucket'));
  });
  afterAll(() => {
    if (!canMount) return;
    if (fs.readFileSync('/proc/mounts', 'utf8').includes(` ${mp} `) && juicefs('umount', mp).code !== 0) juicefs('umount', '--force', mp);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  type Tree = { attr: { type: string }; entries?: Record<string, Tree> };
  const names = (t: Tree | undefined): string[] => Object.keys(t?.entries ?? {}).sort();

  it('serves one directory of the volume (made if missing) as the whole tree, without the volume\'s trash', () => {
    const m = juicefs('mount', '-d', meta, mp, '--subdir', '/team/a', '--log', path.join(dir, 'log'), '--cache-dir', path.join(dir, 'cache'), '--metrics', '127.0.0.1:0');
    if (m.code !== 0) throw new Error(`juicefs mount failed: ${m.err}`);
    fs.mkdirSync(path.join(mp, 'x/y'), { recursive: true });
    fs.writeFileSync(path.join(mp, 'x/y/f'), 'in the subdir');
    const info = juicefs('info', path.join(mp, 'x/y/f'), '--json');
    const seen = {
      listing: fs.readdirSync(mp).sort(),
      rootIno: fs.statSync(mp).ino,
      upFromX: fs.statSync(path.join(mp, 'x/..')).ino,
      infoLength: info.code === 0 && (JSON.parse(info.out) as { Summary: { Length: number } }).Summary.Length,
    };
    expect(juicefs('umount', mp).code).toBe(0);
    const tree = (JSON.parse(juicefs('dump', meta).out) as { FSTree: Tree }).FSTree;
    expect({
      ...seen,
      volumeRoot: names(tree).filter((n) => n !== '.trash'),
      team: names(tree.entries?.['team']),
      a: names(tree.entries?.['team']?.entries?.['a']),
      y: names(tree.entries?.['team']?.entries?.['a']?.entries?.['x']?.entries?.['y']),
    }).toEqual({
      listing: ['.accesslog', '.config', '.stats', 'x'],
      rootIno: 1,
      upFromX: 1,
      infoLength: 13,
      volumeRoot: ['team'],
      team: ['a'],
      a: ['x'],
      y: ['f'],
    });
  });
});
