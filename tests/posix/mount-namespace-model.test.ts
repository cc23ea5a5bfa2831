import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { formatVolume, juicefsMountMissing, startMount, type JuicefsMount } from './mount-harness.js';

// Random sequences of namespace operations (create, write, mkdir, rename over files and
// directories, link, symlink, unlink, chmod, truncate) run on a plain temporary directory and on a
// mount; every result, error code and stat (type, size, mode, link count) must agree. All changes
// go through the one mount, so the caches must follow each of them however long they may keep
// things: the mount runs with every cache at 60 s (kernel attributes and entries, negative
// entries, open files, directory listings), so a stale link count, a name still found after a
// rename or an old listing would show here rather than expire first.

const PATHS = ['a', 'b', 'd', 'd/a', 'd/b', 'd/e', 'd/e/f', 'e', 'e/a'];
const TARGETS = ['a', 'd', 'd/a', '../a', 'missing'];

type Op =
  | { op: 'writeFile' | 'appendFile'; p: string; data: string }
  | { op: 'readFile' | 'mkdir' | 'rmdir' | 'unlink' | 'stat' | 'lstat' | 'readdir' | 'readlink'; p: string }
  | { op: 'rename' | 'link'; p: string; q: string }
  | { op: 'truncate'; p: string; n: number }
  | { op: 'symlink'; target: string; p: string }
  | { op: 'chmod'; p: string; mode: number };

const at = fc.constantFrom(...PATHS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('writeFile' as const, 'appendFile' as const), p: at, data: fc.string({ maxLength: 12 }) }),
  fc.record({ op: fc.constantFrom('readFile' as const, 'mkdir' as const, 'rmdir' as const, 'unlink' as const), p: at }),
  fc.record({ op: fc.constantFrom('stat' as const, 'lstat' as const, 'readdir' as const, 'readlink' as const), p: at }),
  fc.record({ op: fc.constantFrom('rename' as const, 'rename' as const, 'link' as const), p: at, q: at }),
  fc.record({ op: fc.constant('truncate' as const), p: at, n: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ op: fc.constant('symlink' as const), target: fc.constantFrom(...TARGETS), p: at }),
  fc.record({ op: fc.constant('chmod' as const), p: at, mode: fc.constantFrom(0o600, 0o755, 0o1777) }),
);

interface StatLike {
  size: number;
  mode: number;
  nlink: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function describeStat(s: StatLike): string {
  const kind = s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  // A directory's size is the file system's own; its link count (2 + subdirectories) is POSIX's.
  if (kind === 'dir') return `dir:${(s.mode & 0o7777).toString(8)}:${s.nlink}`;
  if (kind === 'link') return `link:${s.size}`;
  return `${kind}:${s.size}:${(s.mode & 0o7777).toString(8)}:${s.nlink}`;
}

async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    const r = await fn();
    return `ok:${Buffer.isBuffer(r) ? r.toString() : JSON.stringify(r ?? null)}`;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    return `err:${code}`;
  }
}

function apply(root: string, o: Op): Promise<string> {
  const p = (rel: string) => path.join(root, rel);
  switch (o.op) {
    case 'writeFile': return outcome(() => fs.writeFile(p(o.p), o.data));
    case 'appendFile': return outcome(() => fs.appendFile(p(o.p), o.data));
    case 'readFile': return outcome(() => fs.readFile(p(o.p)));
    case 'mkdir': return outcome(() => fs.mkdir(p(o.p)));
    case 'rmdir': return outcome(() => fs.rmdir(p(o.p)));
    case 'unlink': return outcome(() => fs.unlink(p(o.p)));
    case 'stat': return outcome(async () => describeStat(await fs.stat(p(o.p))));
    case 'lstat': return outcome(async () => describeStat(await fs.lstat(p(o.p))));
    case 'readdir': return outcome(async () => (await fs.readdir(p(o.p))).sort());
    case 'readlink': return outcome(() => fs.readlink(p(o.p)));
    case 'rename': return outcome(() => fs.rename(p(o.p), p(o.q)));
    case 'link': return outcome(() => fs.link(p(o.p), p(o.q)));
    case 'truncate': return outcome(() => fs.truncate(p(o.p), o.n));
    case 'symlink': return outcome(() => fs.symlink(o.target, p(o.p)));
    case 'chmod': return outcome(() => fs.chmod(p(o.p), o.mode));
  }
}

const missing = juicefsMountMissing();
let tmp = '';
let mp = '';
let m: JuicefsMount | undefined;

beforeAll(async () => {
  if (missing !== undefined) return;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-nsmodel-'));
  mp = path.join(tmp, 'mnt');
  await fs.mkdir(mp);
  await fs.mkdir(path.join(tmp, 'plain'));
  const meta = `sqlite3://${tmp}/meta.db`;
  await formatVolume(meta, 'nsmodel', tmp);
  m = await startMount(meta, mp, [
    '--cache-dir', path.join(tmp, 'cache'), '--attr-cache', '60', '--entry-cache', '60', '--dir-entry-cache', '60',
    '--negative-entry-cache', '60', '--open-cache', '60', '--readdir-cache',
  ]);
}, 120_000);

afterAll(async () => {
  await m?.stop();
  if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
}, 120_000);

(missing === undefined ? test : test.skip)('random namespace operations agree with a plain directory, step by step', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
      const dirs = [path.join(tmp, 'plain', `r${run}`), path.join(mp, `r${run}`)] as const;
      run++;
      await Promise.all(dirs.map((d) => fs.mkdir(d)));
      for (const [step, o] of ops.entries()) {
        const [want, got] = [await apply(dirs[0], o), await apply(dirs[1], o)];
        expect({ step, op: o, result: got }).toEqual({ step, op: o, result: want });
      }
    }),
    { numRuns: 150, seed: 20261127 },
  );
}, 300_000);
