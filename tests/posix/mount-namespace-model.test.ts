import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { formatVolume, juicefsMountMissing, startMount, type JuicefsMount } from './mount-harness.js';

// Random sequences of namespace operations (create, write, mkdir, rename over files and
// directories, link, symlink, unlink, chmod, truncate) run on a plain temporary directory and on a
// mount; every result, error code and stat (type, size, mode, link count) must agree. All changes
// go through the one mount, so its caches must follow each of them however long they may keep
// things: it runs with every cache at 60 s (kernel attributes and entries, negative entries, open
// files, directory listings), so a stale link count, a name still found after a rename or an old
// listing would show here rather than expire first. The same sequences then alternate between two
// mounts of one volume without caches.

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
const mounts: JuicefsMount[] = [];
/** The mount with every cache at 60 s, and two mounts of another volume with none. */
let cached = '';
let twins: [string, string] = ['', ''];

async function mountAt(meta: string, name: string, args: readonly string[]): Promise<string> {
  const mp = path.join(tmp, name);
  await fs.mkdir(mp);
  mounts.push(await startMount(meta, mp, ['--cache-dir', path.join(tmp, `cache-${name}`), ...args]));
  return mp;
}

beforeAll(async () => {
  if (missing !== undefined) return;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-nsmodel-'));
  await fs.mkdir(path.join(tmp, 'plain'));
  const meta = `sqlite3://${tmp}/cached.db`;
  await formatVolume(meta, 'nsmodel', tmp);
  cached = await mountAt(meta, 'cached', [
    '--attr-cache', '60', '--entry-cache', '60', '--dir-entry-cache', '60', '--negative-entry-cache', '60', '--open-cache', '60', '--readdir-cache',
  ]);
  const shared = `sqlite3://${tmp}/shared.db`;
  await formatVolume(shared, 'nsshared', path.join(tmp, 'shared'));
  const none = ['--attr-cache', '0', '--entry-cache', '0', '--dir-entry-cache', '0'];
  twins = [await mountAt(shared, 'twin1', none), await mountAt(shared, 'twin2', none)];
}, 180_000);

afterAll(async () => {
  for (const m of mounts) await m.stop();
  if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true });
}, 120_000);

/**
 * 150 seeded sequences; each runs in fresh directories `r<N>` of the plain directory and of the
 * mounts, step `i` on the mount `pick(i)` names.
 */
async function agreeWithPlain(label: string, pick: (step: number) => string, seed: number): Promise<void> {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
      const name = `${label}${run++}`;
      const plain = path.join(tmp, 'plain', name);
      await fs.mkdir(plain);
      await fs.mkdir(path.join(pick(0), name));
      for (const [step, o] of ops.entries()) {
        const want = await apply(plain, o);
        const got = await apply(path.join(pick(step), name), o);
        expect({ step, op: o, result: got }).toEqual({ step, op: o, result: want });
      }
    }),
    { numRuns: 150, seed },
  );
}

const run = missing === undefined ? test : test.skip;

run('random namespace operations on one mount with 60 s caches agree with a plain directory, step by step', async () => {
  await agreeWithPlain('c', () => cached, 20261127);
}, 300_000);

// Two clients of one volume, every other step on the other one: with no kernel caches each must
// see the other's last change at once (the VFS's own caches included).
run('the same, alternating between two mounts of one volume with no caches', async () => {
  await agreeWithPlain('t', (step) => twins[step % 2] ?? '', 20261128);
}, 300_000);
