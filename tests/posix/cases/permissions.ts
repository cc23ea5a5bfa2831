import fs from 'node:fs/promises';
import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { errnoOf, py } from '../helpers.js';

// Permission checks as an unprivileged user: a child process drops to nobody (65534) and tries
// what the mode bits allow and forbid on files and directories root made. Needs root to run.

const NOBODY = 65534;

const AS_NOBODY_SCRIPT = `
import errno, json, os, sys
d = sys.argv[1]
uid = int(sys.argv[2])
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
out = {}
def attempt(key, fn):
    try:
        fn()
        out[key] = 'OK'
    except OSError as e:
        out[key] = errno.errorcode[e.errno]
def p(n): return os.path.join(d, n)
attempt('readShared', lambda: open(p('shared'), 'rb').read())
attempt('writeShared', lambda: open(p('shared'), 'r+b'))
attempt('truncateShared', lambda: os.truncate(p('shared'), 0))
attempt('readPrivate', lambda: open(p('private'), 'rb'))
attempt('chmodShared', lambda: os.chmod(p('shared'), 0o666))
attempt('chownShared', lambda: os.chown(p('shared'), uid, uid))
attempt('createInClosed', lambda: open(p('closed/new'), 'w'))
attempt('statInHidden', lambda: os.stat(p('hidden/inside')))
attempt('listHidden', lambda: os.listdir(p('hidden')))
attempt('createInOpen', lambda: open(p('open/mine'), 'w').close())
out['ownerOfMine'] = os.stat(p('open/mine')).st_uid if os.path.exists(p('open/mine')) else None
attempt('unlinkRootsInOpen', lambda: os.unlink(p('open/roots')))
attempt('unlinkRootsInSticky', lambda: os.unlink(p('sticky/roots')))
attempt('touchNowWritable', lambda: os.utime(p('writable'), None))
attempt('setTimesWritable', lambda: os.utime(p('writable'), (1, 1)))
attempt('mkdirInClosed', lambda: os.mkdir(p('closed/sub')))
attempt('renameOutOfClosed', lambda: os.rename(p('closed/file'), p('open/stolen')))
print(json.dumps(out))
`;

// Writes by a user without CAP_FSETID clear setuid, and setgid where the group may execute (Linux
// file_remove_privs, do_truncate, open with O_TRUNC); root's writes keep them.
const SETID_WRITES_SCRIPT = `
import json, os, sys
d = sys.argv[1]
uid = int(sys.argv[2])
def p(n): return os.path.join(d, n)
def as_root():
    fd = os.open(p('by-root'), os.O_WRONLY)
    os.write(fd, b'root')
    os.close(fd)
as_root()
child = os.fork()
if child == 0:
    # In the file's group (root) through a supplementary group only.
    os.setgroups([0])
    os.setgid(uid)
    os.setuid(uid)
    with open(p('setgid-supplementary'), 'ab') as f: f.write(b'more')
    os._exit(0)
os.waitpid(child, 0)
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
with open(p('appended'), 'ab') as f: f.write(b'more')
for n in ('setgid-outsider', 'setgid-member'):
    with open(p(n), 'ab') as f: f.write(b'more')
fd = os.open(p('pwritten'), os.O_WRONLY)
os.pwrite(fd, b'x', 1)
os.close(fd)
os.truncate(p('truncated'), 1)
os.close(os.open(p('opened-trunc'), os.O_WRONLY | os.O_TRUNC))
fd = os.open(p('allocated'), os.O_WRONLY)
os.posix_fallocate(fd, 0, 8192)
os.close(fd)
src = os.open(p('source'), os.O_RDONLY)
dst = os.open(p('copied-into'), os.O_WRONLY)
os.copy_file_range(src, dst, 4, 0, 0)
os.close(src)
os.close(dst)
print(json.dumps({n: oct(os.stat(p(n)).st_mode & 0o7777) for n in sorted(os.listdir(d)) if n != 'source'}))
`;

/**
 * A case that drops to nobody from root: skipped, saying so, when not run as root; `body` gets a
 * directory of its own that nobody may search, as may the directory under test.
 */
function nobodyCase(ctx: SuiteContext, name: string, dir: string, body: (d: string) => Promise<void>): void {
  if (process.getuid?.() !== 0) {
    ctx.skip(`${name} NOT RUN: needs root to switch to uid ${NOBODY}`, () => undefined);
    return;
  }
  ctx.test(name, async () => {
    const d = await ctx.dir(dir);
    await fs.chmod(ctx.root(), 0o755);
    await fs.chmod(d, 0o755);
    await body(d);
  });
}

export function registerPermissionCases(ctx: SuiteContext): void {
  registerSetidWriteCase(ctx);
  nobodyCase(ctx, 'permission checks for an unprivileged user (read, write, create, unlink, sticky, chmod, utime)', 'perm-nobody', async (d) => {
    const p = (n: string) => path.join(d, n);
    await fs.writeFile(p('shared'), 'shared', { mode: 0o644 });
    await fs.writeFile(p('private'), 'private', { mode: 0o600 });
    await fs.writeFile(p('writable'), 'w');
    await fs.chmod(p('writable'), 0o666);
    await fs.mkdir(p('closed'), { mode: 0o755 });
    await fs.writeFile(p('closed/file'), 'c');
    await fs.mkdir(p('hidden'), { mode: 0o700 });
    await fs.writeFile(p('hidden/inside'), 'h');
    for (const dir of ['open', 'sticky']) {
      await fs.mkdir(p(dir));
      await fs.chmod(p(dir), dir === 'open' ? 0o777 : 0o1777);
      await fs.writeFile(p(`${dir}/roots`), 'r');
    }
    const rootAccessExec = await errnoOf(() => fs.access(p('shared'), fs.constants.X_OK));
    expect({ rootAccessExec, nobody: await py<unknown>(AS_NOBODY_SCRIPT, [d, String(NOBODY)]) }).toEqual({
      rootAccessExec: 'EACCES',
      nobody: {
        readShared: 'OK',
        writeShared: 'EACCES',
        truncateShared: 'EACCES',
        readPrivate: 'EACCES',
        chmodShared: 'EPERM',
        chownShared: 'EPERM',
        createInClosed: 'EACCES',
        statInHidden: 'EACCES',
        listHidden: 'EACCES',
        createInOpen: 'OK',
        ownerOfMine: NOBODY,
        unlinkRootsInOpen: 'OK',
        unlinkRootsInSticky: 'EPERM',
        touchNowWritable: 'OK',
        setTimesWritable: 'EPERM',
        mkdirInClosed: 'EACCES',
        renameOutOfClosed: 'EACCES',
      },
    });
  });
}

function registerSetidWriteCase(ctx: SuiteContext): void {
  const name = "writes, truncates, O_TRUNC, fallocate and copy_file_range by another user clear setuid and group-executable setgid, and any setgid of a group the writer is not in; root keeps them";
  nobodyCase(ctx, name, 'perm-setid', async (d) => {
    await fs.writeFile(path.join(d, 'source'), 'data', { mode: 0o644 });
    const names = ['appended', 'pwritten', 'truncated', 'opened-trunc', 'allocated', 'copied-into', 'by-root'];
    for (const n of names) {
      await fs.writeFile(path.join(d, n), 'content');
      await fs.chmod(path.join(d, n), 0o6777);
    }
    // Setgid without group execute: kept for a member of the file's group only (Linux 6.x).
    for (const n of ['setgid-outsider', 'setgid-member', 'setgid-supplementary']) {
      await fs.writeFile(path.join(d, n), 'content');
      if (n === 'setgid-member') await fs.chown(path.join(d, n), 0, NOBODY);
      await fs.chmod(path.join(d, n), 0o2766);
    }
    const modes = await py<Record<string, string>>(SETID_WRITES_SCRIPT, [d, String(NOBODY)]);
    expect(modes).toEqual({
      allocated: '0o777',
      appended: '0o777',
      'by-root': '0o6777',
      'copied-into': '0o777',
      'opened-trunc': '0o777',
      pwritten: '0o777',
      'setgid-member': '0o2766',
      'setgid-outsider': '0o766',
      'setgid-supplementary': '0o2766',
      truncated: '0o777',
    });
  });
}
