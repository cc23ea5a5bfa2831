import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatVolume, juicefsMountMissing, startMount, type JuicefsMount } from './mount-harness.js';
import { py, run as runProgram, shOk } from './helpers.js';
import { opsNotRun, runFsx } from './fsx/run.js';

// A mount with the kernel's writeback cache (`-o writeback_cache`): the kernel keeps written
// pages and sends them later, whole pages at explicit offsets. To fill a page before a partial
// write it reads through whatever handle wrote, O_WRONLY ones included, and it places O_APPEND
// writes itself; the mount must allow the first and ignore O_APPEND (libfuse's rules). What fsx
// wrote through that cache must then read back the same from the objects, with no cache at all.

const MIB = 1024 * 1024;
const missing = juicefsMountMissing();
let tmp = '';
let mp = '';
let m: JuicefsMount | undefined;
let meta = '';

beforeAll(async () => {
  if (missing !== undefined) return;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-wbcache-'));
  mp = path.join(tmp, 'mnt');
  await fs.mkdir(mp);
  meta = `sqlite3://${tmp}/meta.db`;
  await formatVolume(meta, 'wbcache', tmp);
  m = await startMount(meta, mp, ['--cache-dir', path.join(tmp, 'cache'), '-o', 'writeback_cache']);
}, 120_000);

afterAll(async () => {
  await m?.stop();
  if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
}, 120_000);

const run = missing === undefined ? test : test.skip;

// Writes one byte into the middle of a file through an O_WRONLY descriptor with the file's pages
// out of the page cache, while tailing .accesslog: the kernel must READ the page first.
const WRITE_ONLY_PROBE = `
import json, os, re, sys, threading, time
m = sys.argv[1]
f = m + "/wo"
with open(f, "wb") as out: out.write(b"0123456789")
lines = []
def tail():
    with open(m + "/.accesslog", "rb", buffering=0) as log:
        while True:
            b = log.read(65536)
            if not b: break
            lines.append(b.decode())
threading.Thread(target=tail, daemon=True).start(); time.sleep(0.3)
fd = os.open(f, os.O_WRONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
try:
    os.pwrite(fd, b"X", 5)
    written = "OK"
except OSError as e:
    written = e.strerror
os.close(fd)
time.sleep(1.2)
ino = os.stat(f).st_ino
reads = [l for l in "".join(lines).splitlines() if re.search(r"\\] read \\(%d," % ino, l)]
print(json.dumps({"written": written, "content": open(f).read(), "kernelRead": len(reads) > 0}))
`;

describe('juicefs mount -o writeback_cache', () => {
  run('a write-only descriptor: the kernel reads the page it writes into', async () => {
    expect(await py(WRITE_ONLY_PROBE, [mp])).toEqual({ written: 'OK', content: '01234X6789', kernelRead: true });
  });

  run('appends land at the end once, whatever pages the kernel sends', async () => {
    const out = await shOk('printf one > a && printf two >> a && printf three >> a && cat a && stat -c %s a', mp);
    expect(out.split('\n')).toEqual(['onetwothree11', '']);
  });

  // The kernel keeps its own mode here and asks nothing after an O_TRUNC open, so the mount
  // invalidates it when it cleared setuid: stat at once shows what a plain directory would.
  run('an O_TRUNC open by another user clears setuid, and stat shows it at once', async () => {
    if (process.getuid?.() !== 0) return;
    for (const d of [tmp, mp]) await fs.chmod(d, 0o755); // nobody must reach the file
    const script = [
      'mkdir -m 777 setid && cd setid',
      'for f in one two three; do echo hi > $f; chmod 06777 $f; done',
      "setpriv --reuid=65534 --regid=65534 --clear-groups sh -c ': > one; : > two; : > three'",
      'stat -c %a:%s one two three',
    ].join(' && ');
    expect((await shOk(script, mp)).split('\n')).toEqual(['777:0', '777:0', '777:0', '']);
  });

  const seeds = [3, 4];
  run('fsx: random operations, two files at once, agree with the model through the kernel\'s cache', async () => {
    const runs = await Promise.all(
      seeds.map((seed) => runFsx(path.join(mp, `fsx${seed}`), { ops: 1000, seed, maxFileBytes: 20 * MIB, saveTo: path.join(tmp, `model${seed}`) })),
    );
    expect(runs.map((r) => ({ unsupported: r.unsupported, notRun: opsNotRun(r) }))).toEqual(seeds.map(() => ({ unsupported: [], notRun: [] })));
  }, 240_000);

  run('what fsx left reads back the same from object storage after a remount with no cache', async () => {
    await m?.stop();
    m = await startMount(meta, mp, ['--cache-size', '0']);
    const same = await Promise.all(seeds.map(async (seed) => (await runProgram('cmp', [path.join(tmp, `model${seed}`), path.join(mp, `fsx${seed}`)])).code));
    expect(same).toEqual(seeds.map(() => 0));
  }, 120_000);
});
