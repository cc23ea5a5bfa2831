import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { MOUNT_FLAGS, mountTuning, parseUidGid, type TuningFlags } from '../src/commands/mount.js';
import { parseCustomLabels } from '../src/metrics/labels.js';
import { fstabLine, fstabOptions, installMountHelper, mountHelperArgs, updateFstab } from '../src/mount/fstab.js';
import { juicefs } from './tools-volume.js';
import { scratchVolume, TAIL_ACCESS_LOG } from './support/scratch-volume.js';

// JuiceFS's own mount flags, so that a command line (a systemd unit, an fstab entry, a CSI
// driver's) written for the Go client mounts here too: the ones with an effect are honoured, the
// two that only switch off Go features this client lacks are accepted, and a value this client
// cannot honour is refused by name rather than ignored.

const defaults: TuningFlags = {
  'max-uploads': 20,
  'cache-large-write': false,
  'prefix-internal': false,
  'hide-internal': false,
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
    expect(errorOf({ 'max-uploads': 0 })).toMatch(/--max-uploads must be a number of at least 1, got 0/);
    expect(errorOf({ 'upload-limit': -5 })).toMatch(/invalid --upload-limit "-5": give Mbps, or a number ending with M, G, T or P/);
    expect(errorOf({ 'custom-labels': 'env=prod' })).toMatch(/"env=prod" is not KEY:VALUE/);
    expect(errorOf({ 'custom-labels': '1bad:x' })).toMatch(/"1bad:x" is not KEY:VALUE/);
  });

  it('custom labels keep colons inside values and skip empty pairs', () => {
    expect(parseCustomLabels('url:http://x:1;;zone:a')).toEqual({ url: 'http://x:1', zone: 'a' });
  });

  it('a bad value fails the command before anything is mounted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-flags-bad-'));
    try {
      const r = juicefs('mount', `sqlite3://${dir}/none.db`, dir, '--max-uploads', '0');
      expect({ code: r.code, err: r.err.trim().split('\n')[0] }).toEqual({
        code: 1,
        err: 'juicefs: EINVAL: --max-uploads must be a number of at least 1, got 0',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mount flags: a mount that uses them', () => {
  const v = scratchVolume('jfs-flags-', 'flags-vol', '--block-size', '64', '--trash-days', '0');
  beforeAll(() => {
    // The bucket moved after formatting: only --bucket can find it now.
    fs.renameSync(path.join(v.dir, 'bucket'), path.join(v.dir, 'moved'));
    v.mount('--no-usage-report', '--no-syslog', '--bucket', path.join(v.dir, 'moved'), '--prefix-internal', '--hide-internal',
      '--custom-labels', 'env:test;team:storage', '--cache-large-write', '--max-uploads', '2', '--upload-limit', '1000', '--atime-mode', 'noatime');
  });

  it('--prefix-internal and --hide-internal: .jfs.* files, left out of the listing; the tools still find them', () => {
    fs.writeFileSync(path.join(v.mp, 'mine'), 'x');
    const info = juicefs('info', path.join(v.mp, 'mine'), '--json');
    expect({
      listing: fs.readdirSync(v.mp).sort(),
      stats: fs.readFileSync(path.join(v.mp, '.jfs.stats'), 'utf8').includes('juicefs_fuse_ops'),
      config: (JSON.parse(fs.readFileSync(path.join(v.mp, '.jfs.config'), 'utf8')) as { HideInternal: boolean }).HideInternal,
      plainName: fs.existsSync(path.join(v.mp, '.stats')),
      info: info.code === 0 && (JSON.parse(info.out) as { Paths: string[] }).Paths,
    }).toEqual({ listing: ['mine'], stats: true, config: true, plainName: false, info: ['/mine'] });
  });

  it('--bucket and --cache-large-write: blocks go to the given bucket, full ones into the cache as well', () => {
    const data = Buffer.alloc(3 * 65536 + 100, 9);
    fs.writeFileSync(path.join(v.mp, 'three-blocks'), data);
    const objects = (root: string): string[] =>
      fs.existsSync(root) ? fs.readdirSync(root, { recursive: true }).map(String).filter((f) => /\d+_\d+_\d+$/.test(f)).map((f) => path.basename(f)).sort() : [];
    const inBucket = objects(path.join(v.dir, 'moved/flags-vol/chunks'));
    const cached = objects(path.join(v.dir, 'cache'));
    expect({
      blockSizes: inBucket.map((k) => Number(k.split('_')[2])).sort((a, b) => a - b),
      cachedAll: inBucket.every((k) => cached.includes(k)),
      oldBucket: fs.existsSync(path.join(v.dir, 'bucket')),
      readBack: fs.readFileSync(path.join(v.mp, 'three-blocks')).equals(data),
    }).toEqual({ blockSizes: [1, 100, 65536, 65536, 65536], cachedAll: true, oldBucket: false, readBack: true });
  });

  it('--custom-labels are on every metric beside vol_name and mp', async () => {
    const url = /prometheus metrics at (\S+)/.exec(fs.readFileSync(path.join(v.dir, 'log'), 'utf8'))?.[1];
    expect(url).toBeDefined();
    const text = await (await fetch(String(url))).text();
    const uptime = text.split('\n').find((l) => l.startsWith('juicefs_uptime{'));
    expect(uptime).toMatch(new RegExp(`^juicefs_uptime\\{env="test",team="storage",vol_name="flags-vol",mp="${v.mp}"\\} `));
  });
});

describe('mount flags: sizes and durations in the forms JuiceFS 1.3+ documents', () => {
  const v = scratchVolume('jfs-units-', 'units-vol', '--trash-days', '0');

  it('--cache-size 1G --buffer-size 64M --attr-cache 500ms --entry-cache 2s --dir-entry-cache 1.5 --heartbeat 12s --upload-limit 1G mean what they mean in JuiceFS', () => {
    v.mount('--cache-size', '1G', '--buffer-size', '64M', '--attr-cache', '500ms', '--entry-cache', '2s', '--dir-entry-cache', '1.5', '--heartbeat', '12s', '--upload-limit', '1G');
    try {
      const c = JSON.parse(fs.readFileSync(path.join(v.mp, '.config'), 'utf8')) as { Chunk: { CacheSize: number; BufferSize: number }; AttrTimeout: number; EntryTimeout: number; DirEntryTimeout: number };
      expect({ cache: c.Chunk.CacheSize, buffer: c.Chunk.BufferSize, attr: c.AttrTimeout, entry: c.EntryTimeout, dirEntry: c.DirEntryTimeout })
        .toEqual({ cache: 1024 ** 3, buffer: 64 * 1024 ** 2, attr: 5e8, entry: 2e9, dirEntry: 1.5e9 });
    } finally {
      v.unmount();
    }
  });

  it('a value in neither form fails before anything is mounted, naming the flag (it used to mount with no cache)', () => {
    const bad = [['--cache-size', '100 GB'], ['--attr-cache', 'soon'], ['--upload-limit', '1Gbps']].map(([flag, value]) => {
      const r = juicefs('mount', '-d', v.meta, v.mp, flag!, value!, '--log', path.join(v.dir, 'bad-log'), '--metrics', '127.0.0.1:0');
      return [r.code, r.err.includes(`--${flag!.slice(2)} "${value}"`)];
    });
    expect({ bad, mounted: fs.readFileSync('/proc/mounts', 'utf8').includes(` ${v.mp} `) }).toEqual({ bad: [[1, true], [1, true], [1, true]], mounted: false });
  });
});

describe('mount flags: --subdir', () => {
  const v = scratchVolume('jfs-subdir-', 'subdir-vol');

  type Tree = { attr: { type: string }; entries?: Record<string, Tree> };
  const names = (t: Tree | undefined): string[] => Object.keys(t?.entries ?? {}).sort();

  it('serves one directory of the volume (made if missing) as the whole tree, without the volume\'s trash', () => {
    v.mount('--subdir', '/team/a');
    fs.mkdirSync(path.join(v.mp, 'x/y'), { recursive: true });
    fs.writeFileSync(path.join(v.mp, 'x/y/f'), 'in the subdir');
    const info = juicefs('info', path.join(v.mp, 'x/y/f'), '--json');
    const seen = {
      listing: fs.readdirSync(v.mp).sort(),
      rootIno: fs.statSync(v.mp).ino,
      upFromX: fs.statSync(path.join(v.mp, 'x/..')).ino,
      infoLength: info.code === 0 && (JSON.parse(info.out) as { Summary: { Length: number } }).Summary.Length,
    };
    expect(juicefs('umount', v.mp).code).toBe(0);
    const tree = (JSON.parse(juicefs('dump', v.meta).out) as { FSTree: Tree }).FSTree;
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

describe('fstab: --update-fstab and mount.juicefs', () => {
  it('mount.juicefs turns mount(8)\'s options back into juicefs mount flags', () => {
    expect(mountHelperArgs(['redis://h:6379/1', '/jfs', '-o', '_netdev,rw,max-uploads=50,writeback,ro,allow_other,x-systemd.automount,nodev', '-n', '-s'], MOUNT_FLAGS)).toEqual([
      'mount', 'redis://h:6379/1', '/jfs', '-d', '--max-uploads=50', '--writeback', '--read-only', '-o', 'allow_other,nodev',
    ]);
    expect(mountHelperArgs(['sqlite3:///v.db', '/jfs'], MOUNT_FLAGS)).toEqual(['mount', 'sqlite3:///v.db', '/jfs', '-d']);
    expect(mountHelperArgs(['sqlite3:///v.db', '/jfs', '-f', '-o', 'writeback'], MOUNT_FLAGS)).toBeUndefined();
    expect(() => mountHelperArgs(['/jfs', '-o', 'writeback'], MOUNT_FLAGS)).toThrow(/mount.juicefs takes META-URL MOUNTPOINT/);
  });

  it('--update-fstab writes the flags given as options, and replaces the line of the same mount point', () => {
    const args = ['sqlite3:///v.db', '/jfs', '-d', '--max-uploads', '50', '--writeback', '--cache-dir=/c', '--update-fstab', '-o', 'allow_other', '--read-only=false'];
    expect(fstabOptions(args, MOUNT_FLAGS)).toEqual(['_netdev', 'max-uploads=50', 'writeback', 'cache-dir=/c', 'allow_other']);
    expect(() => fstabOptions(['--log', '/var/log/my log'], MOUNT_FLAGS)).toThrow(/cannot go into \/etc\/fstab/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-fstab-'));
    try {
      const file = path.join(dir, 'fstab');
      fs.writeFileSync(file, '# static file system information\n/dev/vda / ext4 defaults 0 1\n', { mode: 0o640 });
      const first = updateFstab(file, fstabLine('sqlite3:///v.db', '/jfs', ['_netdev', 'writeback']));
      const again = updateFstab(file, fstabLine('sqlite3:///v.db', '/jfs', ['_netdev', 'writeback']));
      const changed = updateFstab(file, fstabLine('redis://h/1', '/jfs', ['_netdev']));
      expect({ first, again, changed, text: fs.readFileSync(file, 'utf8'), mode: (fs.statSync(file).mode & 0o777).toString(8) }).toEqual({
        first: 'added',
        again: 'unchanged',
        changed: 'replaced',
        text: '# static file system information\n/dev/vda / ext4 defaults 0 1\nredis://h/1 /jfs juicefs _netdev 0 0\n',
        mode: '640',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the helper is a script running this juicefs by absolute paths; it replaces a link, not a stranger\'s file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-helper-'));
    try {
      const script = path.join(dir, 'juicefs.js');
      fs.writeFileSync(script, '#!/usr/bin/env -S node --initial-heap-size=256\n');
      fs.symlinkSync('/usr/local/bin/juicefs', path.join(dir, 'mount.juicefs'));
      const made = installMountHelper(dir, script, '/usr/bin/node', []);
      const text = fs.readFileSync(made.helper, 'utf8');
      expect({ made, executable: (fs.statSync(made.helper).mode & 0o111) === 0o111, last: text.trim().split('\n').pop() }).toEqual({
        made: { helper: path.join(dir, 'mount.juicefs'), replaced: 'a link to /usr/local/bin/juicefs' },
        executable: true,
        last: `JFS_MOUNT_HELPER=1 exec '/usr/bin/node' '--initial-heap-size=256' '${script}' "$@"`,
      });
      expect(installMountHelper(dir, script, '/usr/bin/node', [])).toEqual({ helper: made.helper });
      fs.writeFileSync(made.helper, '#!/bin/sh\necho someone else\n');
      expect(() => installMountHelper(dir, script, '/usr/bin/node', [])).toThrow(/exists and is not ours/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('through a real mount', () => {
    const v = scratchVolume('jfs-boot-', 'boot-vol');
    beforeAll(() => fs.mkdirSync(path.join(v.dir, 'sbin')));
    const mountedOptions = (): string | undefined => fs.readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === v.mp)?.split(' ')[3];

    it('--update-fstab records the mount; mount.juicefs mounts it again from that line as mount(8) would', () => {
      const env = { ...process.env, JFS_FSTAB: path.join(v.dir, 'fstab'), JFS_MOUNT_HELPER_DIR: path.join(v.dir, 'sbin') };
      const flags = ['--update-fstab', '--subdir', 'home', '--cache-dir', path.join(v.dir, 'cache'), '--log', path.join(v.dir, 'log'), '--metrics', '127.0.0.1:0', '-o', 'nodev'];
      const first = spawnSync(process.execPath, [path.resolve(__dirname, 'support/juicefs-from-source.cjs'), 'mount', '-d', v.meta, v.mp, ...flags], { encoding: 'utf8', env });
      expect(first.status).toBe(0);
      fs.writeFileSync(path.join(v.mp, 'made-first'), 'x');
      expect(juicefs('umount', v.mp).code).toBe(0);
      const line = fs.readFileSync(path.join(v.dir, 'fstab'), 'utf8').trim();
      expect(line).toBe(`${v.meta} ${v.mp} juicefs _netdev,subdir=home,cache-dir=${v.dir}/cache,log=${v.dir}/log,metrics=127.0.0.1:0,nodev 0 0`);
      // What mount(8) runs for that line: mount.juicefs SPEC DIR -o OPTIONS.
      const helper = spawnSync(path.join(v.dir, 'sbin/mount.juicefs'), [v.meta, v.mp, '-o', line.split(' ')[3] ?? ''], { encoding: 'utf8', env });
      expect({ code: helper.status, err: helper.stderr.replace(/\(pid \d+,/, '(pid N,') }).toEqual({
        code: 0,
        err: `mounted at ${v.mp} in the background (pid N, log ${v.dir}/log)\n`,
      });
      expect({ options: mountedOptions()?.split(',').includes('nodev'), listing: fs.readdirSync(v.mp).filter((n) => !n.startsWith('.')) }).toEqual({
        options: true,
        listing: ['made-first'],
      });
    });
  });
});

describe('mount flags: --root-squash and --all-squash', () => {
  const v = scratchVolume('jfs-squash-', 'squash-vol');
  const owner = (p: string): string => {
    const st = fs.statSync(path.join(v.mp, p));
    return `${st.uid}:${st.gid}`;
  };
  const asNobody = (command: string) => spawnSync('su', ['nobody', '-s', '/bin/sh', '-c', command], { encoding: 'utf8' });
  beforeAll(() => {
    v.mount();
    fs.mkdirSync(path.join(v.mp, 'locked'), { mode: 0o755 });
    fs.mkdirSync(path.join(v.mp, 'open'));
    fs.chmodSync(path.join(v.mp, 'open'), 0o777);
    v.unmount();
  });

  it('take UID:GID and nothing else', () => {
    expect(parseUidGid('root-squash', ' 65534:65534 ')).toEqual({ uid: 65534, gid: 65534 });
    expect(() => parseUidGid('all-squash', 'nobody')).toThrow(/--all-squash nobody: give the user as UID:GID/);
    expect(() => parseUidGid('all-squash', '1000')).toThrow(/UID:GID/);
  });

  it('--root-squash: root works as that user, and its permissions hold; others are themselves', () => {
    v.mount('--root-squash', '4242:4343');
    try {
      fs.writeFileSync(path.join(v.mp, 'open/by-root'), 'x');
      let locked = 'written';
      try {
        fs.writeFileSync(path.join(v.mp, 'locked/by-root'), 'x');
      } catch (e) {
        locked = (e as NodeJS.ErrnoException).code ?? 'error';
      }
      const nobody = asNobody(`mkdir ${v.mp}/open/by-nobody`);
      expect({ root: owner('open/by-root'), locked, nobody: nobody.status, nobodyOwner: owner('open/by-nobody') }).toEqual({
        root: '4242:4343',
        locked: 'EACCES',
        nobody: 0,
        nobodyOwner: '65534:65534',
      });
    } finally {
      v.unmount();
    }
  });

  it('--all-squash: everyone works as that user', () => {
    v.mount('--all-squash', '1000:1001');
    try {
      fs.mkdirSync(path.join(v.mp, 'open/root-dir'));
      const nobody = asNobody(`mkdir ${v.mp}/open/nobody-dir`);
      expect({ root: owner('open/root-dir'), nobody: nobody.status, nobodyOwner: owner('open/nobody-dir') }).toEqual({
        root: '1000:1001',
        nobody: 0,
        nobodyOwner: '1000:1001',
      });
    } finally {
      v.unmount();
    }
  });
});

describe('mount flags: --negative-entry-cache', () => {
  const v = scratchVolume('jfs-negative-', 'negative-vol');

  // Three stats of a missing name, then creating it and reading it back; the access log counts
  // the LOOKUPs of that name that reached the file system.
  const probe = `import os, sys, threading, time, json
m = sys.argv[1]
${TAIL_ACCESS_LOG}
missing = []
for i in range(3):
    try: os.stat(m + "/not-yet")
    except FileNotFoundError: missing.append(i)
open(m + "/not-yet", "w").write("made")
text = open(m + "/not-yet").read()
time.sleep(1.2)
print(json.dumps({"missing": len(missing), "text": text, "lookups": sum(l.count("lookup (1,not-yet)") for l in lines)}))`;

  const run = (seconds: string): unknown => {
    v.mount('--negative-entry-cache', seconds);
    try {
      const r = spawnSync('python3', ['-c', probe, v.mp], { encoding: 'utf8' });
      fs.rmSync(path.join(v.mp, 'not-yet'));
      return JSON.parse(r.stdout);
    } finally {
      expect(juicefs('umount', v.mp).code).toBe(0);
    }
  };

  it('0 (the default): every lookup of a missing name reaches the file system', () => {
    expect(run('0')).toEqual({ missing: 3, text: 'made', lookups: 4 });
  });

  it('30: the kernel keeps the first "no such name"; creating the name through the mount still works', () => {
    expect(run('30')).toEqual({ missing: 3, text: 'made', lookups: 1 });
  });
});

describe('mount flags: --readdir-cache', () => {
  const v = scratchVolume('jfs-readdir-', 'readdir-vol');

  // Lists a 300-entry directory twice, then after creating a name through the mount; prints how
  // many READDIR requests reached the file system for each listing (from .accesslog).
  const probe = `import os, sys, threading, time, json
m = sys.argv[1]; d = m + "/many"
os.makedirs(d, exist_ok=True)
for i in range(300): open(f"{d}/f{i}", "w").close()
${TAIL_ACCESS_LOG}
def readdirs():
    time.sleep(0.5)
    return sum(1 for l in "".join(lines).splitlines() if " readdir" in l)
counts, before = [], readdirs()
for step in ("first", "again", "after a create"):
    if step == "after a create": open(d + "/new", "w").close()
    n = len(os.listdir(d)); now = readdirs()
    counts.append([n, now - before]); before = now
print(json.dumps(counts))`;

  type Listing = [entries: number, readdirs: number];
  const listings = (...flags: string[]): [Listing, Listing, Listing] => {
    v.mount(...flags);
    try {
      const r = spawnSync('python3', ['-c', probe, v.mp], { encoding: 'utf8' });
      fs.rmSync(path.join(v.mp, 'many'), { recursive: true });
      return JSON.parse(r.stdout) as [Listing, Listing, Listing];
    } finally {
      v.unmount();
    }
  };

  it('off (the default): every listing asks the file system', () => {
    const [first, again, created] = listings();
    expect({ entries: [first[0], again[0], created[0]], askedAgain: again[1] > 0 }).toEqual({ entries: [300, 300, 301], askedAgain: true });
  });

  it('on: the kernel lists again from its cache, and drops it when the directory changes here', () => {
    const [first, again, created] = listings('--readdir-cache');
    expect({ entries: [first[0], again[0], created[0]], asked: [first[1] > 0, again[1], created[1] > 0] }).toEqual({
      entries: [300, 300, 301],
      asked: [true, 0, true],
    });
  });
});
