import fs from 'node:fs/promises';
import path from 'node:path';
import type { SuiteContext } from '../context.js';
import { errnoOf, py, sh, shOk } from '../helpers.js';

// Inode attributes: mode bits, ownership, timestamps to the nanosecond, extended attributes,
// and FIFOs.

const UTIME_SCRIPT = `
import json, os, sys
p = sys.argv[1]
os.utime(p, ns=(1600000000987654321, 1700000000123456789))
st = os.stat(p)
out = {'atime_ns': st.st_atime_ns, 'mtime_ns': st.st_mtime_ns}
os.utime(p, ns=(5, 1_000_000_001))
st = os.stat(p)
out['small_atime_ns'] = st.st_atime_ns
out['small_mtime_ns'] = st.st_mtime_ns
print(json.dumps(out))
`;

const XATTR_SCRIPT = `
import errno, json, os, sys
p = sys.argv[1]
out = {}
def attempt(key, fn):
    try:
        r = fn()
        out[key] = r.decode('latin-1') if isinstance(r, bytes) else ('OK' if r is None else r)
    except OSError as e:
        out[key] = errno.errorcode[e.errno]
attempt('set', lambda: os.setxattr(p, 'user.color', b'blue'))
attempt('setEmpty', lambda: os.setxattr(p, 'user.empty', b''))
attempt('setBig', lambda: os.setxattr(p, 'user.big', b'x' * 2000))
attempt('get', lambda: os.getxattr(p, 'user.color'))
attempt('getEmpty', lambda: os.getxattr(p, 'user.empty'))
attempt('bigLen', lambda: len(os.getxattr(p, 'user.big')))
attempt('list', lambda: sorted(os.listxattr(p)))
attempt('createExisting', lambda: os.setxattr(p, 'user.color', b'red', os.XATTR_CREATE))
attempt('replaceMissing', lambda: os.setxattr(p, 'user.nope', b'red', os.XATTR_REPLACE))
attempt('replace', lambda: os.setxattr(p, 'user.color', b'green', os.XATTR_REPLACE))
attempt('getReplaced', lambda: os.getxattr(p, 'user.color'))
attempt('remove', lambda: os.removexattr(p, 'user.color'))
attempt('getRemoved', lambda: os.getxattr(p, 'user.color'))
attempt('removeMissing', lambda: os.removexattr(p, 'user.color'))
attempt('listAfter', lambda: sorted(os.listxattr(p)))
print(json.dumps(out))
`;

export function registerAttributeCases(ctx: SuiteContext): void {
  ctx.test('chmod sets permission and special bits (Node and chmod(1)); chown by root clears setuid', async () => {
    const d = await ctx.dir('attr-mode');
    const f = path.join(d, 'f');
    await fs.writeFile(f, 'm');
    const before = (await fs.stat(f, { bigint: true })).ctimeNs;
    await fs.chmod(f, 0o640);
    const m640 = (await fs.stat(f)).mode & 0o7777;
    const after = (await fs.stat(f, { bigint: true })).ctimeNs;
    await shOk('chmod 4755 f', d);
    const viaTool = await shOk('stat -c %a f', d);
    await fs.mkdir(path.join(d, 'sticky'));
    await fs.chmod(path.join(d, 'sticky'), 0o1777);
    const isRoot = process.getuid?.() === 0;
    const chownResult = await errnoOf(() => fs.chown(f, 1234, 5678));
    const st = await fs.stat(f);
    expect({
      m640,
      ctimeNotBackwards: after >= before,
      viaTool,
      sticky: (await fs.stat(path.join(d, 'sticky'))).mode & 0o7777,
      chown: chownResult,
      owner: isRoot ? [st.uid, st.gid] : 'not root',
      modeAfterChown: isRoot ? st.mode & 0o7777 : 'not root',
    }).toEqual({
      m640: 0o640,
      ctimeNotBackwards: true,
      viaTool: '4755\n',
      sticky: 0o1777,
      chown: isRoot ? 'OK' : 'EPERM',
      owner: isRoot ? [1234, 5678] : 'not root',
      modeAfterChown: isRoot ? 0o755 : 'not root',
    });
  });

  ctx.test('utimes keeps nanoseconds (python os.utime ns=, touch -d, stat %y)', async () => {
    const d = await ctx.dir('attr-times');
    const f = path.join(d, 'f');
    await fs.writeFile(f, 't');
    const viaPython = await py<Record<string, number>>(UTIME_SCRIPT, [f]);
    await shOk('touch -m -d @1234567890.000000042 f && touch -a -d @1111111111.999999999 f', d);
    const big = await fs.stat(f, { bigint: true });
    const statTool = await shOk('stat -c "%y|%x" f', d);
    const dirTimes = path.join(d, 'sub');
    await fs.mkdir(dirTimes);
    await shOk('touch -h -m -d @1500000000.5 sub', d);
    expect({
      viaPython,
      mtimeNs: big.mtimeNs.toString(),
      atimeNs: big.atimeNs.toString(),
      statToolUtc: statTool.includes('.000000042') && statTool.includes('.999999999'),
      dirMtimeNs: (await fs.stat(dirTimes, { bigint: true })).mtimeNs.toString(),
    }).toEqual({
      viaPython: {
        atime_ns: 1600000000987654321,
        mtime_ns: 1700000000123456789,
        small_atime_ns: 5,
        small_mtime_ns: 1000000001,
      },
      mtimeNs: '1234567890000000042',
      atimeNs: '1111111111999999999',
      statToolUtc: true,
      dirMtimeNs: '1500000000500000000',
    });
  });

  ctx.test('extended attributes: set, get, list, create/replace flags, remove, ENODATA', async () => {
    const d = await ctx.dir('attr-xattr');
    const f = path.join(d, 'f');
    await fs.writeFile(f, 'x');
    expect(await py<Record<string, unknown>>(XATTR_SCRIPT, [f])).toEqual({
      set: 'OK',
      setEmpty: 'OK',
      setBig: 'OK',
      get: 'blue',
      getEmpty: '',
      bigLen: 2000,
      list: ['user.big', 'user.color', 'user.empty'],
      createExisting: 'EEXIST',
      replaceMissing: 'ENODATA',
      replace: 'OK',
      getReplaced: 'green',
      remove: 'OK',
      getRemoved: 'ENODATA',
      removeMissing: 'ENODATA',
      listAfter: ['user.big', 'user.empty'],
    });
  });

  ctx.test('mkfifo makes a FIFO that carries data between two processes', async () => {
    const d = await ctx.dir('attr-fifo');
    await shOk('mkfifo -m 0640 pipe', d);
    const st = await fs.stat(path.join(d, 'pipe'));
    const entry = (await fs.readdir(d, { withFileTypes: true })).find((e) => e.name === 'pipe');
    const through = await shOk('cat pipe > out & printf "through the fifo" > pipe; wait; cat out', d);
    expect({
      isFIFO: st.isFIFO(),
      mode: st.mode & 0o777,
      direntFIFO: entry?.isFIFO() ?? 'missing',
      size: st.size,
      through,
      mkfifoOverExisting: (await sh('mkfifo pipe', d)).code !== 0,
    }).toEqual({ isFIFO: true, mode: 0o640, direntFIFO: true, size: 0, through: 'through the fifo', mkfifoOverExisting: true });
  });
}
