import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GroupCache, isMountPoint, mount, VfsFuseHandler, type FuseMount } from '../src/index.js';
import { exec, sh } from './helpers/shell.js';
import { memoryVfs } from './helpers/vfs-volume.js';

// Without default_permissions the kernel checks nothing and the VFS decides, with the caller's
// supplementary groups read from /proc (the kernel sends only the primary gid).

const NOBODY = 65534;
const GROUP = 4321;
let tmp: string;
let mp: string;
let m: FuseMount | undefined;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-fuse-perm-'));
  await fs.chmod(tmp, 0o755);
  mp = path.join(tmp, 'mnt');
  await fs.mkdir(mp);
  const handler = new VfsFuseHandler(await memoryVfs({ attrCache: 0, entryCache: 0, dirEntryCache: 0 }), { defaultPermissions: false });
  m = await mount(mp, handler, { defaultPermissions: false, log: () => {} });
});

afterAll(async () => {
  if (m !== undefined) await m.unmount().catch(() => m?.unmount({ lazy: true }));
  if (await isMountPoint(mp)) await sh(`umount -l ${mp}`);
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Create `name` in `dir` as nobody, with `groups` as supplementary groups; returns the errno name or OK. */
async function createAs(dir: string, name: string, groups: number[]): Promise<string> {
  const script = [
    'import os, sys, errno',
    `os.setgroups(${JSON.stringify(groups)}); os.setgid(${NOBODY}); os.setuid(${NOBODY})`,
    'try:\n    open(os.path.join(sys.argv[1], sys.argv[2]), "w").close(); print("OK")',
    'except OSError as e:\n    print(errno.errorcode[e.errno])',
  ].join('\n');
  const r = await exec('python3', ['-c', script, dir, name]);
  if (r.code !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

test('a supplementary group grants access to a group-writable directory; without it, EACCES', async () => {
  const d = path.join(mp, 'team');
  await fs.mkdir(d);
  await fs.chown(d, 0, GROUP);
  await fs.chmod(d, 0o770);
  expect(await createAs(d, 'by-member', [GROUP])).toBe('OK');
  expect(await createAs(d, 'by-outsider', [])).toBe('EACCES');
  expect((await fs.readdir(d)).sort()).toEqual(['by-member']);
});

test('GroupCache reads this process groups and falls back to the primary gid for a gone pid', async () => {
  const cache = new GroupCache();
  const mine = await cache.get(process.pid, process.getgid!());
  expect(mine[0]).toBe(process.getgid!());
  expect(await cache.get(2 ** 22 + 12345, 77)).toEqual([77]);
});
