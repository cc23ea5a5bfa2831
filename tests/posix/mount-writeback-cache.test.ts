import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatVolume, juicefsMountMissing, startMount, type JuicefsMount } from './mount-harness.js';
import { py, shOk } from './helpers.js';
import { opsNotRun, runFsx } from './fsx/run.js';

// A mount with the kernel's writeback cache (`-o writeback_cache`): the kernel keeps written
// pages and sends them later, whole pages at explicit offsets. To fill a page before a partial
// write it reads through whatever handle wrote, O_WRONLY ones included, and it places O_APPEND
// writes itself; the mount must allow the first and ignore O_APPEND (libfuse's rules).

const MIB = 1024 * 1024;
const missing = juicefsMountMissing();
let tmp = '';
let mp = '';
let m: JuicefsMount | undefined;

beforeAll(async () => {
  if (missing !== undefined) return;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-wbcache-'));
  mp = path.join(tmp, 'mnt');
  await fs.mkdir(mp);
  const meta = `sqlite3://${tmp}/meta.db`;
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

  run('fsx: random operations agree with the model through the kernel\'s cache', async () => {
    const r = await runFsx(path.join(mp, 'fsx'), { ops: 1200, seed: 3, maxFileBytes: 20 * MIB });
    expect({ unsupported: r.unsupported, notRun: opsNotRun(r) }).toEqual({ unsupported: [], notRun: [] });
  }, 240_000);
});
