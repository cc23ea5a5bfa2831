import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { interfaceAddresses, META_FLAGS, metaServeOptions, type MetaFlags } from '../src/mount/flags-meta.js';
import { parseDurationFlag } from '../src/duration-flag.js';
import { scratchVolume, scratchVolumeOn } from './support/scratch-volume.js';
import { juicefs, redisBase } from './tools-volume.js';
import { claimRedisDb } from './support/redis-db.js';

// JuiceFS's metadata flags of `juicefs mount` (--atime-mode, --skip-dir-mtime, --skip-dir-nlink,
// --sort-dir, --fast-statfs, --open-cache, --open-cache-limit, --network-interfaces), each shown through a real mount
// started by the CLI with the flag on its command line.

// Flags without a default (--network-interfaces) are left out, as yargs leaves them.
const defaults = Object.fromEntries(
  Object.entries(META_FLAGS).flatMap(([k, o]) => ('default' in o ? [[k, o.default]] : [])),
) as unknown as MetaFlags;

describe('metadata mount flags: parsing', () => {
  it('defaults as JuiceFS has them', () => {
    expect(metaServeOptions(defaults)).toEqual({ atimeMode: 'noatime', skipDirMtimeMs: 100, sortDir: false, fastStatfs: false, openCache: 0, openCacheLimit: 10000 });
    expect(metaServeOptions({ ...defaults, 'atime-mode': 'relatime', 'skip-dir-mtime': '1m30s', 'open-cache': '2.5', 'skip-dir-nlink': 0 })).toMatchObject({
      atimeMode: 'relatime', skipDirMtimeMs: 90_000, openCache: 2.5,
    });
    expect([parseDurationFlag('x', '0'), parseDurationFlag('x', '1s'), parseDurationFlag('x', '250ms'), parseDurationFlag('x', '1h')]).toEqual([0, 1, 0.25, 3600]);
  });

  it('a bad value names the flag and the fix', () => {
    const errorOf = (f: Partial<MetaFlags>): string => {
      try {
        metaServeOptions({ ...defaults, ...f });
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(errorOf({ 'atime-mode': 'sometimes' })).toBe('EINVAL: --atime-mode sometimes: use noatime, relatime or strictatime');
    expect(errorOf({ 'skip-dir-mtime': '100 ms' })).toMatch(/--skip-dir-mtime "100 ms" is not a duration: give seconds \(e.g. 60\) or a duration such as 30s, 1m30s, 500ms or 1d/);
    expect(errorOf({ 'open-cache': '-1' })).toMatch(/--open-cache: give a duration of 0 or more, not -1 s/);
    expect(errorOf({ 'open-cache-limit': 0 })).toBe('EINVAL: --open-cache-limit must be a whole number of at least 1, got 0');
    expect(errorOf({ 'skip-dir-nlink': -1 })).toBe('EINVAL: --skip-dir-nlink must be a whole number of at least 0, got -1');
  });

  it('--network-interfaces: the named interfaces\' addresses, loopback too when named; an unknown name lists the ones there are', () => {
    const ifaces = {
      lo: [{ address: '127.0.0.1', internal: true }, { address: '::1', internal: true }],
      eth0: [{ address: '10.0.0.5', internal: false }, { address: 'fe80::1', internal: false }],
      eth1: [{ address: '192.168.1.9', internal: false }],
    } as unknown as NodeJS.Dict<os.NetworkInterfaceInfo[]>;
    expect(interfaceAddresses('eth1, eth0', ifaces)).toEqual(['192.168.1.9', '10.0.0.5', 'fe80::1']);
    expect(interfaceAddresses('lo', ifaces)).toEqual(['127.0.0.1', '::1']);
    expect(() => interfaceAddresses('eth0,wlan0', ifaces)).toThrow('--network-interfaces: no interface "wlan0" on this host; it has eth0, eth1, lo');
    expect(metaServeOptions(defaults)).not.toHaveProperty('ipAddrs');
  });

  it('the command fails with it before anything is mounted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-metaflags-bad-'));
    try {
      const r = juicefs('mount', `sqlite3://${dir}/none.db`, dir, '--atime-mode', 'sometimes');
      expect({ code: r.code, err: r.err.trim().split('\n')[0], mounted: fs.readFileSync('/proc/mounts', 'utf8').includes(dir) }).toEqual({
        code: 1, err: 'juicefs: EINVAL: --atime-mode sometimes: use noatime, relatime or strictatime', mounted: false,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metadata mount flags: --atime-mode through a mount', () => {
  const v = scratchVolume('jfs-atime-', 'atime-vol');

  // The atime stat shows after each step: the file's atime set back to 2001 (touch -a -d), then
  // read; then read again 1.5 s later. --attr-cache 0: the kernel keeps no attributes from the
  // LOOKUP before an open, so stat shows what the file system holds.
  const probe = `set -e
f="$1/file"; echo hello > "$f"; touch -a -d 2001-01-01 "$f"
stat -c %X "$f"; cat "$f" >/dev/null; stat -c %X "$f"; date +%s
sleep 1.5; cat "$f" >/dev/null; stat -c %X "$f"`;

  const atimes = (mode: string): { setBack: number; afterRead: number; now: number; afterSecondRead: number } => {
    v.mount('--atime-mode', mode, '--attr-cache', '0');
    try {
      const r = spawnSync('sh', ['-c', probe, 'probe', v.mp], { encoding: 'utf8' });
      const [setBack, afterRead, now, afterSecondRead] = r.stdout.trim().split('\n').map(Number);
      return { setBack: setBack!, afterRead: afterRead!, now: now!, afterSecondRead: afterSecondRead! };
    } finally {
      v.unmount();
    }
  };

  it('noatime (the default): reading never moves atime', () => {
    const t = atimes('noatime');
    expect([t.setBack, t.afterRead, t.afterSecondRead]).toEqual([978307200, 978307200, 978307200]);
  });

  it('relatime: a read after a change moves atime to now; a second read soon after does not', () => {
    const t = atimes('relatime');
    expect({ setBack: t.setBack, readNow: t.now - t.afterRead <= 1, secondKept: t.afterSecondRead === t.afterRead }).toEqual({
      setBack: 978307200, readNow: true, secondKept: true,
    });
  });

  it('strictatime: every read more than a second after the last moves atime', () => {
    const t = atimes('strictatime');
    expect({ setBack: t.setBack, readNow: t.now - t.afterRead <= 1, secondMoved: t.afterSecondRead > t.afterRead }).toEqual({
      setBack: 978307200, readNow: true, secondMoved: true,
    });
  });
});

describe('metadata mount flags: --network-interfaces through a mount', () => {
  const v = scratchVolume('jfs-ifaces-', 'ifaces-vol');

  /** The IPAddrs of this mount's session, as `juicefs status` shows them. */
  const sessionAddrs = (...flags: string[]): string[] | undefined => {
    v.mount(...flags);
    try {
      const r = juicefs('status', v.meta);
      const status = JSON.parse(r.out) as { Sessions: Array<{ IPAddrs?: string[]; MountPoint: string }> };
      return status.Sessions.find((s) => s.MountPoint === v.mp)?.IPAddrs;
    } finally {
      v.unmount();
    }
  };

  it('the session shows the named interfaces\' addresses (here loopback), and by default every address but loopback\'s', () => {
    const loopback = (os.networkInterfaces()['lo'] ?? []).map((a) => a.address);
    const others = Object.entries(os.networkInterfaces()).filter(([n]) => n !== 'lo').flatMap(([, l]) => (l ?? []).filter((a) => !a.internal).map((a) => a.address));
    expect(loopback.length).toBeGreaterThan(0);
    expect({ named: sessionAddrs('--network-interfaces', 'lo'), all: sessionAddrs() ?? [] }).toEqual({ named: loopback, all: others });
  });
});

describe('metadata mount flags: --skip-dir-mtime and --sort-dir through a mount', () => {
  const v = scratchVolume('jfs-dirflags-', 'dirflags-vol');

  /** A directory's mtime (ns) after making `d`, after one file in it, after a second file at once, after a subdirectory. */
  const mtimes = (...flags: string[]): bigint[] => {
    v.mount(...flags);
    try {
      const d = path.join(v.mp, `d${flags.join('').replace(/\W/g, '')}`);
      fs.mkdirSync(d);
      const mtime = (): bigint => fs.statSync(d, { bigint: true }).mtimeNs;
      const seen = [mtime()];
      fs.writeFileSync(path.join(d, 'one'), '1');
      seen.push(mtime());
      fs.writeFileSync(path.join(d, 'two'), '2');
      seen.push(mtime());
      fs.mkdirSync(path.join(d, 'sub'));
      seen.push(mtime());
      return seen;
    } finally {
      v.unmount();
    }
  };

  it('--skip-dir-mtime 1m: the second create within the window leaves the parent\'s mtime; mkdir (a link count change) still moves it', () => {
    const [made, one, two, sub] = mtimes('--skip-dir-mtime', '1m');
    expect({ firstCreate: one === made, secondCreate: two === one, mkdir: sub! > two! }).toEqual({ firstCreate: true, secondCreate: true, mkdir: true });
  });

  it('--skip-dir-mtime 0: every create moves the parent\'s mtime', () => {
    const [made, one, two] = mtimes('--skip-dir-mtime', '0');
    expect({ firstCreate: one! > made!, secondCreate: two! > one! }).toEqual({ firstCreate: true, secondCreate: true });
  });

  // The root's listing: SQLite gives names in order, then the mount adds its internal files.
  const rootListing = (...flags: string[]): string[] => {
    v.mount(...flags);
    try {
      for (const name of ['b-file', 'A-file']) fs.writeFileSync(path.join(v.mp, name), '');
      return spawnSync('ls', ['-f', v.mp], { encoding: 'utf8' }).stdout.trim().split('\n').filter((n) => !n.startsWith('d'));
    } finally {
      v.unmount();
    }
  };

  it('without --sort-dir, ls -f shows the listing in the order it was built', () => {
    expect(rootListing()).toEqual(['.', '..', 'A-file', 'b-file', '.accesslog', '.stats', '.config', '.trash']);
  });

  it('--sort-dir: ls -f shows the names sorted', () => {
    expect(rootListing('--sort-dir')).toEqual(['.', '..', '.accesslog', '.config', '.stats', '.trash', 'A-file', 'b-file']);
  });
});


/**
 * Redis commands on `keys` (exact names, or prefixes ending in `_`) of database `db` while `run`
 * runs, as MONITOR reports them: the engine's requests for those keys, whatever asked for them.
 */
async function redisCommandsDuring(db: number, keys: string[], run: () => void): Promise<string[]> {
  const monitor = spawn('redis-cli', ['-u', `${redisBase}/${db}`, 'MONITOR']);
  let out = '';
  monitor.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    for (let i = 0; i < 100 && !out.includes('OK'); i++) await new Promise((r) => setTimeout(r, 20));
    run();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    monitor.kill();
  }
  if (process.env['JFS_DEBUG_MONITOR']) process.stderr.write(out);
  const quoted = keys.map((k) => `"${k}`);
  return out.split('\n').filter((l) => l.includes(`[${db} `) && quoted.some((k) => l.includes(k.endsWith('_') ? k : `${k}"`)));
}

describe('metadata mount flags: --open-cache through a mount (Redis)', () => {
  // Claimed when the volume is made (its beforeAll runs first), released by emptying it.
  let db = 0;
  const v = scratchVolumeOn(() => `${redisBase}/${(db = claimRedisDb())}`, 'jfs-opencache-', 'opencache-vol');
  afterAll(() => {
    if (!db) return;
    if (fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === v.mp)) v.unmount();
    spawnSync('redis-cli', ['-u', `${redisBase}/${db}`, 'FLUSHDB']);
  });

  // The second open and read of an unchanged file: cat (the kernel keeps its pages, so only the
  // OPEN comes to the file system), then a read with O_DIRECT (which the file system serves).
  const reread = `import os, sys, mmap
p = sys.argv[1]
open(p, "rb").read()
fd = os.open(p, os.O_RDONLY | os.O_DIRECT); buf = mmap.mmap(-1, 65536); os.readv(fd, [buf]); os.close(fd)`;

  const secondAccess = async (...flags: string[]): Promise<string[]> => {
    // Long entry and attribute timeouts: the kernel looks nothing up again, so what reaches the
    // engine is the open and the read alone.
    v.mount('--entry-cache', '60', '--attr-cache', '60', ...flags);
    try {
      const file = path.join(v.mp, `f${flags.join('').replace(/\W/g, '')}`);
      fs.writeFileSync(file, Buffer.alloc(20000, 7));
      const first = spawnSync('python3', ['-c', reread, file], { encoding: 'utf8' });
      if (first.status !== 0) throw new Error(`first read failed: ${first.stderr}`);
      const ino = fs.statSync(file).ino;
      return await redisCommandsDuring(db, [`i${ino}`, `c${ino}_`], () => {
        const r = spawnSync('python3', ['-c', reread, file], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`second read failed: ${r.stderr}`);
      });
    } finally {
      v.unmount();
    }
  };

  it('0 (the default): the second open and read ask the engine for the file\'s attributes and slices', async () => {
    const commands = await secondAccess();
    expect({ attrs: commands.some((l) => /"i\d+"/.test(l)), slices: commands.some((l) => /"c\d+_0"/.test(l)) }).toEqual({ attrs: true, slices: true });
  });

  it('30: within the cache time the second open and read ask the engine nothing about the file', async () => {
    expect(await secondAccess('--open-cache', '30', '--open-cache-limit', '100')).toEqual([]);
  });
});

describe('metadata mount flags: --fast-statfs and --skip-dir-nlink through a mount', () => {
  const v = scratchVolume('jfs-faststatfs-', 'faststatfs-vol');

  /** Inodes df reports used: before, and after another client (juicefs mdtest-free: a second mount) made files. */
  const usedInodes = (...flags: string[]): number[] => {
    v.mount('--heartbeat', '60', ...flags);
    try {
      const used = (): number => fs.statfsSync(v.mp).files - fs.statfsSync(v.mp).ffree;
      const before = used();
      // Another client of the volume: a second mount, which makes ten files.
      const other = path.join(v.dir, 'other');
      fs.mkdirSync(other, { recursive: true });
      const m = juicefs('mount', '-d', v.meta, other, '--log', path.join(v.dir, 'log2'), '--cache-dir', path.join(v.dir, 'cache2'), '--metrics', '127.0.0.1:0');
      if (m.code !== 0) throw new Error(`second mount failed: ${m.err}`);
      try {
        const dir = fs.mkdtempSync(path.join(other, 'made-'));
        for (let i = 0; i < 9; i++) fs.writeFileSync(path.join(dir, `f${i}`), '');
      } finally {
        juicefs('umount', other); // its usage counters are written at unmount at the latest
      }
      return [before, used()];
    } finally {
      v.unmount();
    }
  };

  it('off (the default): df after another client made 10 inodes counts them', () => {
    const [before, after] = usedInodes();
    expect(after! - before!).toBe(10);
  });

  it('--fast-statfs: df answers from the counters read at the last heartbeat, without them; --skip-dir-nlink is accepted', () => {
    const [before, after] = usedInodes('--fast-statfs', '--skip-dir-nlink', '5');
    expect(after! - before!).toBe(0);
  });
});
