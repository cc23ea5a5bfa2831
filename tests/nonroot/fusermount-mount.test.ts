import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// `juicefs mount` through fusermount3, with the real juicefs command (TypeScript entry under
// node) on SQLite and a local bucket:
//   (a) as root, the fusermount3 path forced with JFS_FUSERMOUNT=1 (-d and foreground);
//   (b) really as a user (uid 65534, nobody, through setpriv), everything owned by that uid;
//   (c) that user without fusermount3 on PATH gets an error naming the fix.
// Every mount is taken down in afterAll, whatever happened.

const repo = path.resolve(__dirname, '../..');
const cli = path.join(repo, 'packages/cli/test/support/juicefs-from-source.cjs');
const NOBODY = 65534;

let tmp: string;
const mountpoints: string[] = [];
let devFuseMode: number | undefined;
/** setpriv's absolute path: some runs give the user a PATH without it. */
let setpriv = 'setpriv';

function mounted(mp: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mp);
}

function mountLine(mp: string): string {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mp) ?? '';
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function result(r: SpawnSyncReturns<string>): Run {
  return { code: r.status, out: r.stdout, err: r.stderr + (r.error ? String(r.error) : '') };
}

/** Run a program as uid/gid 65534 with no supplementary groups. */
function asNobody(home: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  return result(
    spawnSync(setpriv, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', file, ...args], {
      encoding: 'utf8', input: '', timeout: 90_000, cwd: home,
      // TMPDIR: the TypeScript loader keeps its transpile cache there, so it must be this user's.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: home, ...env },
    }),
  );
}

function juicefsAsNobody(home: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  return asNobody(home, process.execPath, [cli, ...args], env);
}

function juicefsAsRoot(args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  return result(spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: 'utf8', input: '', timeout: 90_000, env: { ...process.env, ...env } }));
}

/** A shell command as nobody: root cannot enter a user's FUSE mount made without allow_other. */
function shAsNobody(home: string, script: string): Run {
  return asNobody(home, '/bin/sh', ['-c', script]);
}

beforeAll(() => {
  if (process.getuid?.() !== 0 || !fs.existsSync('/dev/fuse')) {
    throw new Error('these tests mount FUSE and switch to uid 65534: run them as root on a machine with /dev/fuse (scripts/setup.sh installs fuse3)');
  }
  for (const tool of ['fusermount3', 'setpriv']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (found.status !== 0) throw new Error(`${tool} is not on PATH: run scripts/setup.sh (it installs fuse3 and util-linux)`);
    if (tool === 'setpriv') setpriv = found.stdout.trim();
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-nonroot-'));
  fs.chmodSync(tmp, 0o755);
});

afterAll(() => {
  for (const mp of mountpoints) if (mounted(mp)) spawnSync('umount', ['-l', mp]);
  if (devFuseMode !== undefined) fs.chmodSync('/dev/fuse', devFuseMode);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('(a) as root, the fusermount3 path forced (JFS_FUSERMOUNT=1)', () => {
  const force = { JFS_FUSERMOUNT: '1' };
  let dir: string;
  let mp: string;
  let meta: string;

  beforeAll(() => {
    dir = path.join(tmp, 'root');
    mp = path.join(dir, 'mnt');
    fs.mkdirSync(mp, { recursive: true });
    mountpoints.push(mp);
    meta = `sqlite3://${dir}/meta.db`;
    const f = juicefsAsRoot(['format', meta, 'rootvol', '--bucket', `${dir}/bucket`]);
    if (f.code !== 0) throw new Error(`juicefs format failed: ${f.err}`);
  });

  it('-d mounts through fusermount3, serves files, and juicefs umount takes it down; the data stays', () => {
    const m = juicefsAsRoot(['mount', meta, mp, '-d', '--log', `${dir}/log`, '--cache-dir', `${dir}/cache`, '--metrics', ''], force);
    expect(m.err).toContain(`mounted at ${mp} in the background through fusermount3`);
    expect(m.code).toBe(0);
    // fusermount3's mark: nosuid,nodev are always added; the source and type are JuiceFS's.
    expect(mountLine(mp)).toMatch(/ rw,nosuid,nodev,.* - fuse\.juicefs JuiceFS:rootvol rw,user_id=0,group_id=0,default_permissions,allow_other/);

    const big = Buffer.alloc(5 * 1024 * 1024 + 17, 3);
    fs.writeFileSync(path.join(mp, 'hello.txt'), 'hello via fusermount3\n');
    fs.mkdirSync(path.join(mp, 'sub'));
    fs.writeFileSync(path.join(mp, 'sub/big.bin'), big);
    expect(fs.readFileSync(path.join(mp, 'hello.txt'), 'utf8')).toBe('hello via fusermount3\n');
    expect(fs.statSync(path.join(mp, 'sub/big.bin')).size).toBe(big.length);

    const u = juicefsAsRoot(['umount', mp], force);
    expect(u.err).toBe('');
    expect(u.code).toBe(0);
    expect(mounted(mp)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'bucket/rootvol/chunks'))).toBe(true);
  });

  it('in the foreground, SIGTERM to the command unmounts and it exits 0; the files written before are there', async () => {
    const child = spawn(process.execPath, [cli, 'mount', meta, mp, '--cache-dir', `${dir}/cache`, '--metrics', ''], {
      cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...force },
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for (let i = 0; !err.includes('is ready at'); i++) {
      if (i > 400 || child.exitCode !== null) throw new Error(`the foreground mount did not come up: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(mounted(mp)).toBe(true);
    expect(fs.readFileSync(path.join(mp, 'hello.txt'), 'utf8')).toBe('hello via fusermount3\n');
    expect(fs.readFileSync(path.join(mp, 'sub/big.bin')).equals(Buffer.alloc(5 * 1024 * 1024 + 17, 3))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain(`${mp} unmounted`);
    expect(mounted(mp)).toBe(false);
  });
  it('an unformatted META-URL fails before fusermount3 mounts anything', () => {
    const m = juicefsAsRoot(['mount', `sqlite3://${dir}/empty.db`, mp, '-d', '--log', `${dir}/log2`, '--cache-dir', `${dir}/cache`, '--metrics', ''], force);
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/juicefs: ENOENT: database sqlite3:\/\/.*empty\.db is not formatted: run juicefs format/);
    expect(mounted(mp)).toBe(false);
  });
});

describe('(b) as uid 65534 (nobody)', () => {
  let home: string;
  let mp: string;
  let meta: string;

  beforeAll(() => {
    // The user runs the repository's sources and node in place: they must be readable by it.
    const probe = asNobody(tmp, process.execPath, ['-e', `require(${JSON.stringify(path.join(repo, 'scripts/ts-register.cjs'))}); require(${JSON.stringify(path.join(repo, 'packages/cli/src/version.ts'))})`], { TMPDIR: os.tmpdir() });
    if (probe.code !== 0) {
      throw new Error(`uid ${NOBODY} cannot run node on ${repo} (${probe.err.trim()}): the repository, node_modules and ${process.execPath} must be readable (and directories searchable) by other users`);
    }
    // fusermount3 opens /dev/fuse as the calling user. A distribution's udev rule makes it
    // crw-rw-rw-; where it is not (this VM has no udev: 0600), open it for the test and put the
    // mode back afterwards.
    const mode = fs.statSync('/dev/fuse').mode & 0o777;
    if ((mode & 0o006) !== 0o006) {
      devFuseMode = mode;
      fs.chmodSync('/dev/fuse', 0o666);
    }
    home = path.join(tmp, 'nobody');
    mp = path.join(home, 'mnt');
    fs.mkdirSync(mp, { recursive: true });
    fs.chownSync(home, NOBODY, NOBODY);
    fs.chownSync(mp, NOBODY, NOBODY);
    mountpoints.push(mp);
    meta = `sqlite3://${home}/meta.db`;
    const f = juicefsAsNobody(home, ['format', meta, 'uservol', '--bucket', `${home}/bucket`]);
    if (f.code !== 0) throw new Error(`juicefs format as uid ${NOBODY} failed: ${f.err}`);
  });

  const mountIt = (): void => {
    const m = juicefsAsNobody(home, ['mount', meta, mp, '-d', '--log', `${home}/log`, '--cache-dir', `${home}/cache`, '--metrics', '']);
    if (m.code !== 0) throw new Error(`juicefs mount -d as uid ${NOBODY} failed (exit ${m.code}): ${m.err}\nlog:\n${fs.existsSync(`${home}/log`) ? fs.readFileSync(`${home}/log`, 'utf8').slice(-2000) : ''}`);
    expect(m.err).toContain(`mounted at ${mp} in the background through fusermount3`);
    expect(mounted(mp)).toBe(true);
  };

  it('mounts with fusermount3, serves the user\'s files, and juicefs umount (fusermount3 -u) takes it down', () => {
    mountIt();
    // A user's mount: user_id/group_id are the user's, and no allow_other (fuse.conf has no user_allow_other).
    const line = mountLine(mp);
    expect(line).toContain(`fuse.juicefs JuiceFS:uservol rw,user_id=${NOBODY},group_id=${NOBODY},default_permissions`);
    expect(line).not.toContain('allow_other');

    const w = shAsNobody(home, `cd ${mp} && printf 'hello from nobody\\n' > hello.txt && mkdir -p a/b && head -c 3000000 /dev/zero > a/b/zeros && mv hello.txt a/ && stat -c '%u %g %s %n' a/hello.txt a/b/zeros && cat a/hello.txt`);
    expect(w.err).toBe('');
    expect(w.out).toBe(`${NOBODY} ${NOBODY} 18 a/hello.txt\n${NOBODY} ${NOBODY} 3000000 a/b/zeros\nhello from nobody\n`);

    const u = juicefsAsNobody(home, ['umount', mp]);
    expect(u.err).toBe('');
    expect(u.code).toBe(0);
    expect(mounted(mp)).toBe(false);
  });

  it('remounts and reads back what it wrote; the volume\'s files on disk belong to the user', () => {
    mountIt();
    const r = shAsNobody(home, `cat ${mp}/a/hello.txt && wc -c < ${mp}/a/b/zeros`);
    expect(r.err).toBe('');
    expect(r.out).toBe('hello from nobody\n3000000\n');
    expect(juicefsAsNobody(home, ['umount', mp]).code).toBe(0);
    expect(mounted(mp)).toBe(false);
    for (const p of ['meta.db', 'bucket/uservol/chunks']) expect(fs.statSync(path.join(home, p)).uid).toBe(NOBODY);
  });

  it('a server killed with SIGKILL leaves no dead mount: the helper\'s watchdog unmounts it as the user', async () => {
    mountIt();
    const log = fs.readFileSync(`${home}/log`, 'utf8');
    expect(log).toContain(`OK, uservol is ready at ${mp}`);
    const status = JSON.parse(juicefsAsNobody(home, ['status', meta]).out) as { Sessions: Array<{ ProcessID: number; MountPoint: string }> };
    const pid = status.Sessions.find((s) => s.MountPoint === mp)?.ProcessID;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid ?? 0, 'SIGKILL');
    for (let i = 0; mounted(mp); i++) {
      if (i > 200) throw new Error(`${mp} is still mounted 10 s after its server was killed`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(fs.readdirSync(mp)).toEqual([]);
  });

  it('(c) without fusermount3 on PATH, juicefs mount fails naming the fix and mounts nothing', () => {
    const m = juicefsAsNobody(home, ['mount', meta, mp, '--cache-dir', `${home}/cache`, '--metrics', ''], { PATH: '/nonexistent' });
    expect(m.code).toBe(1);
    expect(m.err).toContain('juicefs: EPERM: mounting without root needs fusermount3, which is not on PATH: install fuse3 (apt-get install fuse3), or mount as root');
    expect(mounted(mp)).toBe(false);
  });
});
