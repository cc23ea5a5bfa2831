import fs from 'node:fs/promises';
import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { run } from '../helpers.js';

// Advisory locks between two processes: BSD flock(2) and POSIX fcntl(2) record locks. Python's
// fcntl module does the calls; the script forks so holder and contender are separate processes
// with their own open file descriptions, and they hand over turns through pipes (no timing).

const LOCK_SCRIPT = `
import errno, fcntl, json, os, struct, sys
path, mode = sys.argv[1], sys.argv[2]
to_child_r, to_child_w = os.pipe()
to_parent_r, to_parent_w = os.pipe()
def say(fd, word): os.write(fd, (word + '\\n').encode())
def hear(fd):
    buf = b''
    while not buf.endswith(b'\\n'):
        c = os.read(fd, 1)
        if not c: raise SystemExit('peer went away')
        buf += c
    return buf.decode().strip()
def attempt(fn):
    try:
        fn()
        return 'OK'
    except OSError as e:
        return errno.errorcode[e.errno]
FLOCK_FMT = 'hhqqi'
def getlk(fd, typ, start, length):
    raw = struct.pack(FLOCK_FMT, typ, os.SEEK_SET, start, length, 0)
    raw += b'\\0' * (32 - len(raw))
    res = fcntl.fcntl(fd, fcntl.F_GETLK, raw)
    t, _, s, l, pid = struct.unpack(FLOCK_FMT, res[:struct.calcsize(FLOCK_FMT)])
    names = {fcntl.F_RDLCK: 'F_RDLCK', fcntl.F_WRLCK: 'F_WRLCK', fcntl.F_UNLCK: 'F_UNLCK'}
    return {'type': names.get(t, t), 'start': s, 'len': l, 'pid': pid}
pid = os.fork()
if pid == 0:
    out = {}
    fd = os.open(path, os.O_RDWR)
    hear(to_child_r)
    if mode == 'flock':
        out['exclusiveWhileHeld'] = attempt(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB))
        out['sharedWhileHeld'] = attempt(lambda: fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB))
        say(to_parent_w, 'waiting')
        fcntl.flock(fd, fcntl.LOCK_EX)
        out['blockingAcquired'] = 'OK'
        say(to_parent_w, 'acquired')
        hear(to_child_r)
    else:
        lk = getlk(fd, fcntl.F_WRLCK, 0, 10)
        out['getlk'] = {'type': lk['type'], 'start': lk['start'], 'len': lk['len'], 'holderPid': lk['pid'] == os.getppid()}
        out['getlkFree'] = getlk(fd, fcntl.F_WRLCK, 10, 10)['type']
        out['writeOverlap'] = attempt(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0))
        out['readOverlap'] = attempt(lambda: fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 10, 5))
        out['disjoint'] = attempt(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 10))
        say(to_parent_w, 'waiting')
        fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)
        out['blockingAcquired'] = 'OK'
        say(to_parent_w, 'acquired')
        hear(to_child_r)
    os.close(fd)
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()
    os._exit(0)
fd = os.open(path, os.O_RDWR)
held = {}
if mode == 'flock':
    fcntl.flock(fd, fcntl.LOCK_EX)
else:
    fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)
    held['ownGetlk'] = getlk(fd, fcntl.F_WRLCK, 0, 10)['type']
say(to_child_w, 'go')
assert hear(to_parent_r) == 'waiting'
if mode == 'flock':
    fcntl.flock(fd, fcntl.LOCK_UN)
else:
    os.close(fd)
assert hear(to_parent_r) == 'acquired'
if mode == 'flock':
    held['parentWhileChildHolds'] = attempt(lambda: fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB))
else:
    fd2 = os.open(path, os.O_RDWR)
    held['parentWhileChildHolds'] = attempt(lambda: fcntl.lockf(fd2, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0))
    os.close(fd2)
sys.stdout.write(json.dumps(held) + '\\n')
sys.stdout.flush()
say(to_child_w, 'done')
os.waitpid(pid, 0)
`;

async function runLocks(file: string, mode: 'flock' | 'fcntl'): Promise<{ holder: unknown; contender: unknown }> {
  const r = await run('python3', ['-c', LOCK_SCRIPT, file, mode], undefined, 60_000);
  if (r.code !== 0) throw new Error(`lock script failed (exit ${r.code}); is python3 installed? ${r.stderr.trim()}`);
  // The holder prints its line first; the contender prints only after the holder says 'done'.
  const [holder, contender] = r.stdout.split('\n', 2);
  return { holder: JSON.parse(holder ?? 'null') as unknown, contender: JSON.parse(contender ?? 'null') as unknown };
}

export function registerLockCases(ctx: SuiteContext): void {
  ctx.test('flock across two processes: exclusive excludes, blocking waits for the unlock', async () => {
    const d = await ctx.dir('locks-flock');
    const f = path.join(d, 'lockfile');
    await fs.writeFile(f, 'l');
    expect(await runLocks(f, 'flock')).toEqual({
      holder: { parentWhileChildHolds: 'EAGAIN' },
      contender: { exclusiveWhileHeld: 'EAGAIN', sharedWhileHeld: 'EAGAIN', blockingAcquired: 'OK' },
    });
  });

  ctx.test('fcntl record locks across two processes: F_GETLK, ranges, close releases, blocking wait', async () => {
    const d = await ctx.dir('locks-fcntl');
    const f = path.join(d, 'lockfile');
    await fs.writeFile(f, 'l'.repeat(64));
    expect(await runLocks(f, 'fcntl')).toEqual({
      holder: { ownGetlk: 'F_UNLCK', parentWhileChildHolds: 'EAGAIN' },
      contender: {
        getlk: { type: 'F_WRLCK', start: 0, len: 10, holderPid: true },
        getlkFree: 'F_UNLCK',
        writeOverlap: 'EAGAIN',
        readOverlap: 'EAGAIN',
        disjoint: 'OK',
        blockingAcquired: 'OK',
      },
    });
  });
}
