import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  findFusermountTools,
  findOnPath,
  FUSE_FD_ENV,
  fusermountOptionString,
  isMountPoint,
  listMountPoints,
  spawnThroughFusermount,
  takeInheritedFuseFd,
  unmountCommand,
  userAllowOther,
} from '../src/index.js';

// Mounting through fusermount3 and the Python helper (src/mount/fusermount*.ts): the -o list,
// tool discovery and its errors, and real mounts made by fusermount3 and served by a child
// process (helpers/fusermount-child.ts) that inherited the descriptor. Runs as root and takes
// the fusermount3 path on purpose; the non-root cases run children as uid 65534 (nobody).
// tests/nonroot runs the whole juicefs command as that user.

const NOBODY = 65534;
const repoRoot = path.resolve(__dirname, '../../..');
const tsRun = path.join(__dirname, 'helpers/ts-run.cjs');
const childScript = path.join(__dirname, 'helpers/fusermount-child.ts');

let tmp: string;
const children: ChildProcess[] = [];
const mountpoints: string[] = [];

beforeAll(() => {
  if (process.getuid?.() !== 0 || !fs.existsSync('/dev/fuse')) {
    throw new Error('these tests mount FUSE and switch to uid 65534: run them as root on a machine with /dev/fuse (scripts/setup.sh installs fuse3)');
  }
  if (findOnPath('fusermount3') === undefined || findOnPath('python3') === undefined || findOnPath('setpriv') === undefined) {
    throw new Error('these tests need fusermount3, python3 and setpriv on PATH: run scripts/setup.sh (fuse3, python3, util-linux)');
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-fusermount-'));
  fs.chmodSync(tmp, 0o755);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const mp of mountpoints) if (await isMountPoint(mp)) spawnSync('umount', ['-l', mp]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function freshDir(name: string, owner = 0): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d);
  fs.chownSync(d, owner, owner);
  mountpoints.push(d);
  return d;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  for (let waited = 0; !(await check()); waited += 50) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Served {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Mount `mp` through fusermount3 and the helper, served by fusermount-child; resolves once usable. */
async function serveThroughFusermount(mp: string): Promise<Served> {
  const child = spawnThroughFusermount({
    mountpoint: mp,
    options: { fsname: 'memfs-fusermount', subtype: 'memfs' },
    command: process.execPath,
    args: [tsRun, childScript, mp],
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(`the fusermount child to mount ${mp}`, () => {
    if (gone && !out.includes('mounted')) throw new Error(`the child exited before mounting ${mp}: ${err}`);
    return out.includes('mounted');
  });
  return { child, out: () => out, err: () => err, exited };
}

/** Run a Node snippet as uid 65534 with this workspace's TypeScript loader; returns its exit code and output. */
function runAsNobody(script: string, env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const home = fs.mkdtempSync(path.join(tmp, 'nobody-'));
  fs.chownSync(home, NOBODY, NOBODY);
  const r = spawnSync(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', `require(${JSON.stringify(path.join(repoRoot, 'scripts/ts-register.cjs'))});\n${script}`],
    // TMPDIR: the loader's transpile cache must be writable by this user.
    { encoding: 'utf8', cwd: home, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: home, ...env }, timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the fusermount3 -o list', () => {
  test('fsname, subtype, default_permissions and rw; no fd, rootmode, user_id or group_id (fusermount3 sets those)', () => {
    expect(fusermountOptionString({ fsname: 'JuiceFS:vol', subtype: 'juicefs' }, true)).toBe('fsname=JuiceFS:vol,subtype=juicefs,allow_other,default_permissions,rw');
  });

  test('allow_other only where fusermount3 permits it, and only when asked', () => {
    expect(fusermountOptionString({}, false)).toBe('fsname=juicefs,subtype=juicefs,default_permissions,rw');
    expect(fusermountOptionString({ allowOther: false }, true)).toBe('fsname=juicefs,subtype=juicefs,default_permissions,rw');
  });

  test('read-only, no default_permissions, extra options; values that would split the list are refused', () => {
    expect(fusermountOptionString({ readOnly: true, defaultPermissions: false, extraOptions: ['noatime'] }, false)).toBe('fsname=juicefs,subtype=juicefs,ro,noatime');
    expect(() => fusermountOptionString({ fsname: 'a,b' }, false)).toThrow(/fsname "a,b" must not contain commas/);
    expect(() => fusermountOptionString({ extraOptions: ['x y'] }, false)).toThrow(RangeError);
  });

  test('user_allow_other is read from fuse.conf lines, comments ignored', () => {
    expect(userAllowOther('# user_allow_other\n#user_allow_other\nmount_max = 1000\n')).toBe(false);
    expect(userAllowOther('mount_max = 1000\n  user_allow_other  # users may allow_other\n')).toBe(true);
  });
});

describe('finding the tools', () => {
  test('findOnPath returns the first executable and skips directories and plain files', () => {
    const a = freshDir('path-a');
    const b = freshDir('path-b');
    fs.writeFileSync(path.join(a, 'tool'), 'not executable', { mode: 0o644 });
    fs.mkdirSync(path.join(a, 'dir-tool'));
    fs.writeFileSync(path.join(b, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    // As root, access(X_OK) passes for any file with an x bit, so a 0644 file is the skip case here.
    expect(findOnPath('tool', `${a}::${b}`)).toBe(path.join(b, 'tool'));
    expect(findOnPath('dir-tool', `${a}:${b}`)).toBeUndefined();
  });

  test('without fusermount3 on PATH, the error names fuse3 and root', () => {
    const empty = freshDir('no-tools');
    expect(() => findFusermountTools(empty)).toThrow(expect.objectContaining({ code: 'EPERM', message: expect.stringContaining('install fuse3') }));
  });

  test('without python3 on PATH, the error names python3 and root', () => {
    const only = freshDir('only-fusermount');
    fs.symlinkSync(findOnPath('fusermount3') ?? '/usr/bin/fusermount3', path.join(only, 'fusermount3'));
    expect(() => findFusermountTools(only)).toThrow(expect.objectContaining({ code: 'EPERM', message: expect.stringMatching(/install python3, or mount as root/) }));
  });

  test('a /dev/fuse the user cannot open is named with its mode and the chmod that fixes it', () => {
    const dir = freshDir('devfuse');
    const fake = path.join(dir, 'fuse');
    fs.writeFileSync(fake, '', { mode: 0o600 });
    const r = runAsNobody(`
      const { findFusermountTools } = require(${JSON.stringify(path.join(repoRoot, 'packages/fuse/src/index.ts'))});
      try { findFusermountTools(process.env.PATH, ${JSON.stringify(fake)}); console.log('no error'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
    `);
    expect(r.stderr).toBe('');
    const e = JSON.parse(r.stdout) as { code: string; message: string };
    expect(e.code).toBe('EACCES');
    expect(e.message).toContain('(mode 0600)');
    expect(e.message).toContain(`uid ${NOBODY}`);
    expect(e.message).toContain(`chmod 0666 ${fake}`);
  });

  test('unmounting as root is umount(8); takeInheritedFuseFd ignores a missing variable and refuses a descriptor that is not /dev/fuse', () => {
    expect(unmountCommand('/mnt/x', false)).toEqual(['umount', ['/mnt/x']]);
    expect(unmountCommand('/mnt/x', true)).toEqual(['umount', ['-l', '/mnt/x']]);
    expect(takeInheritedFuseFd({})).toBeUndefined();
    const env: NodeJS.ProcessEnv = { [FUSE_FD_ENV]: '0' };
    expect(() => takeInheritedFuseFd(env)).toThrow(expect.objectContaining({ code: 'EBADF', message: expect.stringContaining('not an open /dev/fuse descriptor') }));
    // Taken once: the variable is gone, so children of the server do not take it for theirs.
    expect(env[FUSE_FD_ENV]).toBeUndefined();
  });

  test('as non-root, unmounting is fusermount3 -u (-z when lazy)', () => {
    const r = runAsNobody(`
      const { unmountCommand } = require(${JSON.stringify(path.join(repoRoot, 'packages/fuse/src/index.ts'))});
      console.log(JSON.stringify([unmountCommand('/m', false), unmountCommand('/m', true)]));
    `);
    expect(r.stderr).toBe('');
    const [plain, lazy] = JSON.parse(r.stdout) as [[string, string[]], [string, string[]]];
    expect(path.basename(plain[0])).toBe('fusermount3');
    expect(plain[1]).toEqual(['-u', '/m']);
    expect(lazy[1]).toEqual(['-u', '-z', '/m']);
  });
});

describe('mounting through fusermount3 (as root, the path forced)', () => {
  test('the child serves the inherited descriptor: files work, the mount is fusermount3\'s, and SIGTERM unmounts it', async () => {
    const mp = freshDir('served');
    const s = await serveThroughFusermount(mp);
    expect(s.out()).toContain(`mounted ${mp} fd=3`);
    const entry = (await listMountPoints()).find((m) => m.mountpoint === mp);
    expect(entry).toEqual({ mountpoint: mp, fstype: 'fuse.memfs', source: 'memfs-fusermount' });
    // fusermount3 always adds nosuid,nodev; our -o list asked for default_permissions and allow_other.
    const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mp) ?? '';
    expect(line).toMatch(/ rw,nosuid,nodev/);
    expect(line).toMatch(/default_permissions,allow_other/);

    await fs.promises.writeFile(path.join(mp, 'hello.txt'), 'hello through fusermount3\n');
    await fs.promises.mkdir(path.join(mp, 'sub'));
    await fs.promises.rename(path.join(mp, 'hello.txt'), path.join(mp, 'sub/moved.txt'));
    expect(await fs.promises.readFile(path.join(mp, 'sub/moved.txt'), 'utf8')).toBe('hello through fusermount3\n');
    expect((await fs.promises.stat(path.join(mp, 'sub/moved.txt'))).size).toBe(26);
    expect((await fs.promises.readdir(mp)).sort()).toEqual(['sub']);

    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.out()).toContain('closed');
    expect(await isMountPoint(mp)).toBe(false);
  });

  test('a server killed with SIGKILL does not leave a dead mount: the helper\'s watchdog unmounts it', async () => {
    const mp = freshDir('killed');
    const s = await serveThroughFusermount(mp);
    expect(await isMountPoint(mp)).toBe(true);
    s.child.kill('SIGKILL');
    expect((await s.exited).signal).toBe('SIGKILL');
    await waitFor(`the watchdog to unmount ${mp}`, async () => !(await isMountPoint(mp)));
    // The directory is plain again: no "Transport endpoint is not connected".
    expect(await fs.promises.readdir(mp)).toEqual([]);
  });

  test('a failed fusermount3 (mount point missing) ends the helper with fusermount3\'s message and no server started', async () => {
    const mp = path.join(tmp, 'does-not-exist');
    const child = spawnThroughFusermount({ mountpoint: mp, options: {}, command: process.execPath, args: ['-e', 'console.log("server started")'], stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/fusermount3: .*does-not-exist/);
    expect(err).toContain(`could not mount ${mp}`);
  });
});

describe('as non-root without the helper', () => {
  test('mount() fails with EPERM naming root and the fusermount3 helper', () => {
    const mp = freshDir('nobody-plain', NOBODY);
    const home = fs.mkdtempSync(path.join(tmp, 'nobody-child-'));
    fs.chownSync(home, NOBODY, NOBODY);
    const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, tsRun, childScript, mp], {
      encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: home }, timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const e = JSON.parse(r.stderr.trim().split('\n').pop() ?? '{}') as { code: string; message: string };
    expect(e.code).toBe('EPERM');
    expect(e.message).toContain(`mounting ${mp} needs root`);
    expect(e.message).toContain('spawnThroughFusermount');
    expect(e.message).toContain('juicefs mount does this by itself when fusermount3 and python3 are installed');
    expect(spawnSync('grep', ['-c', mp, '/proc/self/mountinfo'], { encoding: 'utf8' }).stdout.trim()).toBe('0');
  });
});
